"""The standard Rasa web client, npm `rasa-webchat` (pinned in package-lock.json), in a real
headless Chromium, on a page of its own as a council's site would embed it, talking to the real
assistant over socket.io.

The page comes from a small HTTP server of this test's (another origin than the assistant's),
so the assistant runs as in production: it takes browser calls only from origins in
`SEND_ALLOWED_ORIGINS`, here the page's, and only conversation ids it issued
(`SEND_CONVERSATION_SECRET`). Starting it takes seconds and trains nothing (the session's
`model`). `make test` installs chromium and rasa-webchat first (`make browser`)."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import socketio

from actions.answers import compose_answer, pick_file, source_line
from actions.knowledge import KnowledgeBase
from actions.paths import PROJECT_ROOT
from bot import conversations
from tools.evaluate import new_conversation
from tools.servers import Assistant, free_port, running_assistant

WEBCHAT = PROJECT_ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"
"""rasa-webchat's UMD bundle (React included): `window.WebChat.default(props, null)`."""
ARTEFACTS = PROJECT_ROOT / "test-artifacts"
SECRET = "a secret for the rasa-webchat test"
COUNCIL = "havering"
QUESTION = "what is SEN support?"
TOPIC = "sen_support"
"""Havering's answer has a "- " list and related topics as buttons."""

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>SEND Local Offer</title><link rel="icon" href="data:,">
</head>
<body>
<h1>SEND Local Offer</h1>
<script src="/rasa-webchat/index.js"></script>
<script>
window.WebChat.default({
  socketUrl: %(socket_url)s,
  socketPath: "/socket.io/",
  customData: {"local_authority": %(council)s},
  initPayload: "/greet",
  title: "SEND guidance",
  params: {storage: "session"}
}, null);
</script>
</body>
</html>
"""


class CouncilSite:
    """A web site of its own on loopback: the page, and rasa-webchat's bundle beside it."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                content_type, body = files.get(self.path.split("?")[0], ("", b""))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", content_type or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CouncilSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def site() -> Iterator[CouncilSite]:
    if not WEBCHAT.is_file():
        pytest.fail(f"no rasa-webchat at {WEBCHAT}: run `make browser` (or `npm ci`)")
    with CouncilSite() as running:
        running.files["/rasa-webchat/index.js"] = ("text/javascript", WEBCHAT.read_bytes())
        yield running


@pytest.fixture(scope="module")
def webchat_assistant(model: Path, site: CouncilSite,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The assistant as in production, with the council site's origin allowed."""
    with running_assistant(model=model, rasa_port=free_port(), action_port=free_port(),
                           work_dir=tmp_path_factory.mktemp("webchat-assistant"),
                           env={"SEND_DEFAULT_COUNCIL": "", "SEND_CONVERSATION_SECRET": SECRET,
                                "SEND_ALLOWED_ORIGINS": site.origin}) as running:
        site.files["/"] = ("text/html; charset=utf-8", (PAGE % {
            "socket_url": json.dumps(running.rasa_url),
            "council": json.dumps(COUNCIL)}).encode())
        yield running


@pytest.fixture
def page(browser: Any, site: CouncilSite, webchat_assistant: Assistant) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    # rasa-webchat's stylesheet imports a font from Google; nothing here reaches the internet
    context.route("https://fonts.googleapis.com/**",
                  lambda route: route.fulfill(status=200, content_type="text/css", body=""))
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda err: errors.append(str(err)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    opened.goto(site.origin + "/")
    yield opened
    context.close()
    assert errors == [], errors  # no script errors, no refused (CORS) requests


def bot_messages(page: Any) -> Any:
    """The assistant's messages, each with its quick replies (`.rw-replies`) if it has any (not
    the typing indicator, also a `.rw-response`)."""
    return page.locator(".rw-messages-container .rw-message:has(.rw-response .rw-markdown)")


def new_reply(page: Any, before: int) -> Any:
    """The assistant's next message after the first `before`, once it arrives."""
    bot_messages(page).nth(before).wait_for()
    return bot_messages(page).nth(before)


def ask(page: Any, text: str) -> Any:
    """Type a question in rasa-webchat, send it, and return the assistant's reply."""
    before = bot_messages(page).count()
    page.locator(".rw-new-message").fill(text)
    page.locator(".rw-new-message").press("Enter")
    return new_reply(page, before)


@pytest.mark.integration
def test_rasa_webchat_gets_the_councils_answer_as_markdown_with_quick_replies(
        page: Any, kb: KnowledgeBase) -> None:
    page.locator(".rw-launcher").click()
    greeting = new_reply(page, 0)  # the init payload, /greet, once the socket is connected
    assert greeting.inner_text().startswith("Hello.")
    assert greeting.locator(".rw-replies").count() == 0  # no buttons where a reply has none
    session = json.loads(page.evaluate("sessionStorage.getItem('chat_session')"))
    assert conversations.is_issued(SECRET.encode(), session["session_id"])

    answer = ask(page, QUESTION)
    expected = compose_answer(kb, TOPIC, COUNCIL)
    text = answer.locator(".rw-markdown").inner_text()
    # (a) and (b): the answer, from Havering's guidance (the page's customData), not a
    # "which council?" prompt
    assert source_line(kb, kb.topics[TOPIC][COUNCIL].sources) in text
    assert kb.phrases["choose_council"] not in page.locator(".rw-messages-container").inner_text()
    # (c): its "- " lines are a real list in rasa-webchat's Markdown, not paragraphs of dashes
    items = [line[2:] for line in expected.text.splitlines() if line.startswith("- ")]
    assert len(items) >= 2
    shown = answer.locator(".rw-markdown ul > li")
    assert shown.count() == len(items)
    assert shown.first.inner_text() == items[0]
    assert not [p for p in answer.locator(".rw-markdown p").all_inner_texts()
                if p.lstrip().startswith("- ")]
    # (d): its related topics as quick replies, which ask for that topic when chosen
    replies = answer.locator(".rw-replies .rw-reply")
    titles = replies.all_inner_texts()
    assert expected.buttons and all(b["title"] in titles for b in expected.buttons), titles
    chosen = expected.buttons[-1]
    before = bot_messages(page).count()
    replies.filter(has_text=chosen["title"]).first.click()
    followed = new_reply(page, before)
    assert page.locator(".rw-client").last.inner_text() == chosen["title"]
    topic = chosen["payload"].lstrip("/")
    assert source_line(kb, pick_file(kb, topic, COUNCIL).sources) in followed.inner_text()

    ARTEFACTS.mkdir(exist_ok=True)
    answer.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTEFACTS / "rasa-webchat-1280px.png"), full_page=True)
    assert (ARTEFACTS / "rasa-webchat-1280px.png").stat().st_size > 10_000


def polling_handshake_origin(assistant: Assistant, origin: str) -> str | None:
    """The Access-Control-Allow-Origin that socket.io's first request (the long-polling
    handshake rasa-webchat starts with) from a page at `origin` gets back; None if refused."""
    request = urllib.request.Request(f"{assistant.rasa_url}/socket.io/?EIO=4&transport=polling",
                                     headers={"Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin") or None
    except urllib.error.HTTPError as refused:
        with refused:
            assert refused.code == 400, refused.code  # engineio: "Not an accepted origin"
        return None


def socketio_connects_from(assistant: Assistant, origin: str) -> bool:
    """Whether a socket.io client from a page at `origin` is let in (checked when the
    socket.io session connects, so a websocket, which browsers open without any CORS check, is
    refused the same way; this client has only the polling transport)."""
    client = socketio.Client()
    try:
        client.connect(assistant.rasa_url, socketio_path="/socket.io", transports=["polling"],
                       headers={"Origin": origin}, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return False
    client.disconnect()
    return True


@pytest.mark.integration
def test_socketio_answers_browsers_only_from_allowed_origins(site: CouncilSite,
                                                             webchat_assistant: Assistant
                                                             ) -> None:
    assert polling_handshake_origin(webchat_assistant, site.origin) == site.origin
    assert polling_handshake_origin(webchat_assistant, "https://elsewhere.example") is None
    assert socketio_connects_from(webchat_assistant, site.origin)
    assert not socketio_connects_from(webchat_assistant, "https://elsewhere.example")


def confirmed_session(assistant: Assistant, requested: str | None) -> str:
    """The id socket.io's `session_confirm` gives a client that asked for `requested`."""
    confirmed: list[str] = []
    got = threading.Event()
    client = socketio.Client()

    @client.on("session_confirm")
    def on_session_confirm(data: Any) -> None:
        confirmed.append(data["session_id"] if isinstance(data, dict) else data)
        got.set()

    client.connect(assistant.rasa_url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": requested})
        assert got.wait(timeout=30), "no session_confirm"
    finally:
        client.disconnect()
    return confirmed[0]


@pytest.mark.integration
def test_socketio_confirms_an_issued_session_id_in_place_of_none_or_another(
        webchat_assistant: Assistant) -> None:
    # rasa-webchat asks with none, then sends every message with the id confirmed
    for requested in (None, "someone-elses-conversation"):
        given = confirmed_session(webchat_assistant, requested)
        assert given != requested and conversations.is_issued(SECRET.encode(), given)
    issued = new_conversation(webchat_assistant.webhook)
    assert confirmed_session(webchat_assistant, issued) == issued
