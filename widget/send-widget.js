/*
 * The SEND guidance assistant's chat widget. A council page adds one tag:
 *
 *   <script src="https://ASSISTANT/webhooks/widget/send-widget.js" defer
 *           data-council="sefton" data-role="parent"></script>
 *
 * data-council (required): the council whose guidance to use (metadata.local_authority).
 * data-role (optional): "parent" or "professional" (metadata.role).
 * data-assistant (optional): the assistant's address; by default, where this script came from.
 *
 * It talks to the assistant's REST channel (../shared/CONTRACT.md). Nothing the user or the
 * knowledge writes is inserted as HTML: answers' HTML is parsed inertly and rebuilt from a
 * short list of elements, and everything else is set as text. No inline scripts or styles, so
 * it works under a strict Content Security Policy. The conversation is kept in the tab's
 * session storage, so it survives a reload but not the tab.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) { return; }
  var base = (script.getAttribute("data-assistant") || new URL(script.src).origin).replace(/\/+$/, "");
  var council = script.getAttribute("data-council") || "";
  var role = script.getAttribute("data-role") || "";
  var STORE = "send-assistant:" + council;
  var ALLOWED = { P: 1, UL: 1, OL: 1, LI: 1, STRONG: 1, EM: 1, H2: 1, H3: 1, H4: 1, BR: 1, A: 1, CODE: 1 };

  var TEXT = {
    launcher: "Ask about SEND support",
    title: "SEND guidance assistant",
    close: "Close the assistant",
    restart: "Start again",
    send: "Send",
    inputLabel: "Your question",
    placeholder: "Type your question",
    note: "I explain your council's published SEND guidance. I give guidance, not decisions: your child's school SENCO and your council make those.",
    you: "You said:",
    assistant: "Assistant:",
    sources: "Where this comes from",
    helpful: "Was this helpful?",
    yes: "Yes",
    no: "No",
    thanks: "Thank you for your feedback.",
    typing: "The assistant is typing",
    error: "Sorry, the assistant can't be reached just now. Please try again in a moment, or contact your child's school SENCO or your council's Local Offer.",
    hello: "Hello. Ask me about SEND support in school, or type \"help\" to see the topics."
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE)) || null; } catch (e) { return null; }
  }

  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // The conversation id comes from the assistant (signed, so nobody can choose someone else's);
  // it is asked for before the first message and kept with the conversation in this tab.
  function newState() {
    return { sender: null, open: false, items: [] };
  }

  var state = load() || newState();

  // Safe rendering: parse the answer's HTML in an inert document, copy only allowed elements
  // and their text; links only to http(s) addresses.
  function safeHtml(html) {
    var fragment = document.createDocumentFragment();
    var parsed = new DOMParser().parseFromString(html, "text/html");
    function copy(from, to) {
      from.childNodes.forEach(function (child) {
        if (child.nodeType === Node.TEXT_NODE) {
          to.appendChild(document.createTextNode(child.textContent));
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          if (ALLOWED[child.tagName]) {
            var made = document.createElement(child.tagName.toLowerCase());
            if (child.tagName === "A") {
              var href = child.getAttribute("href") || "";
              if (/^https?:\/\//i.test(href)) {
                made.setAttribute("href", href);
                made.setAttribute("rel", "noopener noreferrer");
                made.setAttribute("target", "_blank");
              }
            }
            copy(child, made);
            to.appendChild(made);
          } else {
            copy(child, to);  // keep the text of anything else, never the element
          }
        }
      });
    }
    copy(parsed.body, fragment);
    return fragment;
  }

  function plainText(text) {
    var fragment = document.createDocumentFragment();
    text.split(/\n{2,}/).forEach(function (para) {
      var p = el("p");
      para.split("\n").forEach(function (line, i) {
        if (i) { p.appendChild(el("br")); }
        p.appendChild(document.createTextNode(line));
      });
      fragment.appendChild(p);
    });
    return fragment;
  }

  // The REST reply is a list of messages; a message's custom payload is with it or in the
  // message after it (CONTRACT.md). Group them into bot items.
  function toItems(messages) {
    var items = [];
    messages.forEach(function (m) {
      if (m.text !== undefined || m.buttons) {
        items.push({ who: "bot", text: m.text || "", buttons: m.buttons || [], custom: m.custom || null });
      } else if (m.custom && items.length && !items[items.length - 1].custom) {
        items[items.length - 1].custom = m.custom;
      } else if (m.custom) {
        items.push({ who: "bot", text: "", buttons: [], custom: m.custom });
      }
    });
    return items;
  }

  // ---- the widget's elements
  var root = el("div", { "class": "sendw", "data-state": "closed" });
  var launcher = el("button", { type: "button", "class": "sendw-launcher", "aria-expanded": "false",
    "aria-controls": "sendw-panel" }, TEXT.launcher);
  var panel = el("section", { id: "sendw-panel", "class": "sendw-panel", role: "dialog",
    "aria-modal": "false", "aria-labelledby": "sendw-title", hidden: "" });
  var header = el("div", { "class": "sendw-header" });
  var title = el("h2", { id: "sendw-title", "class": "sendw-title" }, TEXT.title);
  var restart = el("button", { type: "button", "class": "sendw-restart" }, TEXT.restart);
  var close = el("button", { type: "button", "class": "sendw-close", "aria-label": TEXT.close }, "×");
  var note = el("p", { "class": "sendw-note" }, TEXT.note);
  var log = el("div", { "class": "sendw-log", tabindex: "-1", "aria-label": "Conversation" });
  var typing = el("p", { "class": "sendw-typing", hidden: "" });
  typing.appendChild(el("span", { "class": "sendw-visually-hidden" }, TEXT.typing));
  typing.appendChild(el("span", { "class": "sendw-dots", "aria-hidden": "true" }, "•••"));
  var live = el("div", { "class": "sendw-visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
  var form = el("form", { "class": "sendw-form" });
  var label = el("label", { "for": "sendw-input", "class": "sendw-visually-hidden" }, TEXT.inputLabel);
  var input = el("input", { id: "sendw-input", "class": "sendw-input", type: "text",
    autocomplete: "off", maxlength: "2000", placeholder: TEXT.placeholder });
  var send = el("button", { type: "submit", "class": "sendw-send" }, TEXT.send);

  header.append(title, restart, close);
  form.append(label, input, send);
  panel.append(header, note, log, typing, form);
  root.append(launcher, panel, live);

  function renderItem(item, index) {
    var box = el("div", { "class": "sendw-msg sendw-" + item.who });
    box.appendChild(el("span", { "class": "sendw-visually-hidden" }, item.who === "user" ? TEXT.you : TEXT.assistant));
    if (item.who === "user") {
      box.appendChild(el("p", {}, item.text));
      return box;
    }
    var custom = item.custom || {};
    var body = el("div", { "class": "sendw-body" });
    if (custom.html) {
      body.appendChild(safeHtml(custom.html));
    } else {
      body.appendChild(plainText(item.text));
    }
    box.appendChild(body);
    if (custom.sources && custom.sources.length) {
      var sources = el("div", { "class": "sendw-sources" });
      sources.appendChild(el("h3", {}, TEXT.sources));
      var list = el("ul");
      custom.sources.forEach(function (s) {
        var li = el("li");
        var words = s.document + ": " + s.section;
        if (s.url && /^https?:\/\//i.test(s.url)) {
          li.appendChild(el("a", { href: s.url, rel: "noopener noreferrer", target: "_blank" }, words));
        } else {
          li.textContent = words;
        }
        list.appendChild(li);
      });
      sources.appendChild(list);
      box.appendChild(sources);
    }
    if (item.buttons && item.buttons.length) {
      var buttons = el("div", { "class": "sendw-buttons" });
      item.buttons.forEach(function (b) {
        var button = el("button", { type: "button", "class": "sendw-choice" }, b.title);
        button.addEventListener("click", function () { ask(b.payload, b.title); });
        buttons.appendChild(button);
      });
      box.appendChild(buttons);
    }
    if (custom.topic && custom.sources && custom.sources.length) {
      box.appendChild(feedback(item, index));
    }
    return box;
  }

  function feedback(item, index) {
    var box = el("div", { "class": "sendw-feedback", role: "group", "aria-label": TEXT.helpful });
    if (item.feedback) {
      box.appendChild(el("p", {}, TEXT.thanks));
      return box;
    }
    box.appendChild(el("span", { "aria-hidden": "true" }, TEXT.helpful + " "));
    [["yes", TEXT.yes], ["no", TEXT.no]].forEach(function (pair) {
      var button = el("button", { type: "button", "class": "sendw-helpful" }, pair[1]);
      button.addEventListener("click", function () {
        item.feedback = pair[0];
        save();
        var payload = "/feedback_" + pair[0] + JSON.stringify({ topic: item.custom.topic });
        post(payload).catch(function () { /* feedback is best effort */ });
        var thanks = el("p", {}, TEXT.thanks);
        box.replaceChildren(thanks);
        live.textContent = TEXT.thanks;
        input.focus();
      });
      box.appendChild(button);
    });
    return box;
  }

  function render() {
    log.replaceChildren();
    state.items.forEach(function (item, i) { log.appendChild(renderItem(item, i)); });
    log.scrollTop = log.scrollHeight;
  }

  function announce(items) {
    var words = items.map(function (i) { return i.text; }).join(" ");
    live.textContent = "";
    window.setTimeout(function () { live.textContent = words; }, 50);
  }

  function conversationId() {
    if (state.sender) { return Promise.resolve(state.sender); }
    return fetch(base + "/webhooks/conversation/new", { method: "POST" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (body) {
        state.sender = body.conversation_id;
        save();
        return state.sender;
      });
  }

  function sendAs(sender, message) {
    var metadata = { local_authority: council };
    if (role) { metadata.role = role; }
    return fetch(base + "/webhooks/rest/webhook", {
      method: "POST",
      // The conversation id as a header too: nginx sends one conversation to one Rasa server.
      headers: { "Content-Type": "application/json", "X-Conversation-Id": sender },
      body: JSON.stringify({ sender: sender, message: message, metadata: metadata })
    });
  }

  function post(message) {
    return conversationId().then(function (sender) {
      return sendAs(sender, message);
    }).then(function (response) {
      if (response.status === 403) {  // an id the assistant no longer knows: start afresh
        state.sender = null;
        return conversationId().then(function (sender) { return sendAs(sender, message); });
      }
      return response;
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  var busy = false;
  function ask(message, shown) {
    if (busy || !message.trim()) { return; }
    busy = true;
    state.items.push({ who: "user", text: shown || message });
    save();
    render();
    typing.hidden = false;
    post(message).then(function (messages) {
      var items = toItems(messages);
      state.items = state.items.concat(items);
      announce(items);
    }).catch(function () {
      var item = { who: "bot", text: TEXT.error, buttons: [], custom: null };
      state.items.push(item);
      announce([item]);
    }).then(function () {
      busy = false;
      typing.hidden = true;
      save();
      render();
      input.focus();
    });
  }

  function setOpen(open, moveFocus) {
    state.open = open;
    save();
    panel.hidden = !open;
    root.setAttribute("data-state", open ? "open" : "closed");
    launcher.setAttribute("aria-expanded", String(open));
    if (open && !state.items.length) {
      state.items.push({ who: "bot", text: TEXT.hello, buttons: [], custom: null });
      save();
      render();
    }
    if (moveFocus) { (open ? input : launcher).focus(); }
  }

  launcher.addEventListener("click", function () { setOpen(!state.open, true); });
  close.addEventListener("click", function () { setOpen(false, true); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false, true); }
  });
  restart.addEventListener("click", function () {
    state = newState();
    state.open = true;
    state.items.push({ who: "bot", text: TEXT.hello, buttons: [], custom: null });
    save();
    render();
    live.textContent = TEXT.hello;
    input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    ask(text);
  });

  function start() {
    var css = el("link", { rel: "stylesheet", href: base + "/webhooks/widget/send-widget.css" });
    document.head.appendChild(css);
    document.body.appendChild(root);
    render();
    setOpen(state.open, false);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
