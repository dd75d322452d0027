"""The chat widget in a real headless Chromium (Debian's `chromium`, driven by Playwright), on the
demo page the assistant serves under a strict Content Security Policy, talking to the real
assistant. `make test` installs chromium and axe-core first (`make browser`)."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.knowledge import KnowledgeBase
from actions.paths import PROJECT_ROOT
from tools.servers import Assistant

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = PROJECT_ROOT / "test-artifacts"
"""Screenshots of the demo page, kept after the run."""
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


@pytest.fixture
def page(browser: Any, assistant: Assistant) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda err: errors.append(str(err)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    opened.goto(assistant.demo_page + "?council=sefton")
    opened.errors = errors  # a test that provokes a refusal on purpose removes it from here
    yield opened
    context.close()
    assert errors == [], errors  # no script errors and no CSP refusals, in any test


def open_widget(page: Any) -> None:
    page.get_by_role("button", name="Ask about SEND support").click()
    page.wait_for_selector("#sendw-input:focus")


def new_reply(page: Any, before: int) -> Any:
    """The assistant's next message after the first `before`, once it arrives. (Playwright's
    locators, not wait_for_function: the page's CSP forbids evaluating strings.)"""
    page.locator(".sendw-bot").nth(before).wait_for()
    return page.locator(".sendw-bot").last


def ask(page: Any, text: str) -> Any:
    """Type a question, send it, and return the newest assistant message once it arrives."""
    before = page.locator(".sendw-bot").count()
    page.fill("#sendw-input", text)
    page.press("#sendw-input", "Enter")
    return new_reply(page, before)


def serious_violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.integration
def test_a_question_gets_a_sourced_answer_and_buttons_lead_into_a_flow(page: Any) -> None:
    open_widget(page)
    answer = ask(page, "what is SEN support?")
    assert "SEN support" in answer.inner_text()
    sources = answer.locator(".sendw-sources")
    assert "Where this comes from" in sources.inner_text()
    assert "SEND and the Graduated Approach (Sefton)" in sources.inner_text()
    menu = ask(page, "help")
    before = page.locator(".sendw-bot").count()
    menu.get_by_role("button", name="My child is struggling at school: what next?").click()
    step = new_reply(page, before)
    choices = step.locator(".sendw-choice")
    assert choices.count() >= 2  # the flow's first question, with its answers as buttons
    before = page.locator(".sendw-bot").count()
    chosen = choices.first.inner_text()
    choices.first.click()
    new_reply(page, before)
    assert page.locator(".sendw-user").last.inner_text().endswith(chosen)


@pytest.mark.integration
def test_keyboard_alone_opens_asks_chooses_and_closes(page: Any) -> None:
    for _ in range(10):  # Tab from the top of the page to the launcher
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "sendw-launcher":
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "false"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "sendw-input"  # focus moved in
    page.keyboard.type("what does the SENCO do?")
    before = page.locator(".sendw-bot").count()
    page.keyboard.press("Enter")
    new_reply(page, before)
    assert page.evaluate("document.activeElement.id") == "sendw-input"  # ready for the next
    page.keyboard.press("Shift+Tab")  # back into the answer's buttons
    focused = page.evaluate("document.activeElement.className")
    assert focused in ("sendw-choice", "sendw-helpful"), focused
    page.keyboard.press("Escape")
    assert page.locator("#sendw-panel").is_hidden()
    assert page.evaluate("document.activeElement.className") == "sendw-launcher"  # focus back


@pytest.mark.integration
def test_new_messages_are_announced_once_in_a_live_region(page: Any) -> None:
    open_widget(page)
    live = page.locator(".sendw [aria-live]")
    assert live.count() == 1
    assert page.locator(".sendw-log[aria-live], .sendw-log [aria-live]").count() == 0
    answer = ask(page, "what is the local offer?")
    for _ in range(50):  # the region is filled just after the message is shown
        if live.inner_text():
            break
        page.wait_for_timeout(50)
    announced = live.inner_text()
    assert "Local Offer" in announced
    assert announced.split(".")[0] in answer.inner_text()  # the new reply, not the transcript
    assert "what is the local offer?" not in announced


@pytest.mark.integration
def test_no_serious_accessibility_violations_closed_and_open(page: Any) -> None:
    assert serious_violations(page) == []
    open_widget(page)
    ask(page, "what is the graduated approach?")
    assert serious_violations(page) == []


@pytest.mark.integration
def test_html_in_a_users_message_shows_as_text_and_runs_nothing(page: Any) -> None:
    open_widget(page)
    ask(page, f"is this safe {HOSTILE}")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert HOSTILE in page.locator(".sendw-user").last.inner_text()
    assert page.locator(".sendw img, .sendw script").count() == 0


@pytest.mark.integration
def test_html_in_a_knowledge_answer_shows_as_text_and_runs_nothing(page: Any) -> None:
    # The knowledge loader refuses raw HTML, so a hostile answer cannot come from the shipped
    # files: the reply is rewritten on its way to the page, as a compromised or careless
    # knowledge pack would send it.
    def hostile_reply(route: Any) -> None:
        body = [{"recipient_id": "x", "text": "An answer"},
                {"recipient_id": "x", "custom": {
                    "topic": "sen_support", "local_authority": "sefton",
                    "html": f"<p>Safe words {HOSTILE}</p><a href=\"javascript:alert(1)\">link</a>",
                    "sources": [{"document": f"Doc {HOSTILE}", "section": "S",
                                 "url": "javascript:alert(1)"}]}}]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/webhooks/rest/webhook", hostile_reply)
    open_widget(page)
    answer = ask(page, "what is SEN support?")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert "Safe words" in answer.inner_text()
    assert page.locator(".sendw img, .sendw script").count() == 0
    assert page.locator(".sendw a[href^='javascript']").count() == 0
    assert HOSTILE in answer.locator(".sendw-sources").inner_text()


@pytest.mark.integration
def test_the_conversation_survives_a_reload_and_start_again_clears_it(page: Any) -> None:
    open_widget(page)
    ask(page, "what is an EHCP?")
    page.reload()
    assert page.locator("#sendw-panel").is_visible()
    assert "what is an EHCP?" in page.locator(".sendw-log").inner_text()
    page.get_by_role("button", name="Start again").click()
    assert "what is an EHCP?" not in page.locator(".sendw-log").inner_text()


@pytest.mark.integration
def test_the_widget_uses_an_id_the_assistant_issued_and_recovers_from_a_refused_one(
        page: Any) -> None:
    open_widget(page)
    ask(page, "what is SEN support?")
    key = "send-assistant:sefton"
    sender = page.evaluate(f"JSON.parse(sessionStorage.getItem('{key}')).sender")
    assert sender.startswith("c") and "." in sender
    page.evaluate(f"""() => {{ const s = JSON.parse(sessionStorage.getItem('{key}'));
        s.sender = 'c' + s.sender.slice(1, -2) + 'zz'; sessionStorage.setItem('{key}',
        JSON.stringify(s)); }}""")  # an id this server did not issue, e.g. from another
    page.reload()
    assert "senco" in ask(page, "what does the SENCO do?").inner_text().lower()
    renewed = page.evaluate(f"JSON.parse(sessionStorage.getItem('{key}')).sender")
    assert renewed not in (sender, None)
    refused = [e for e in page.errors if "403" in e]
    assert len(refused) == 1, page.errors  # the browser logs the refusal the widget recovers from
    page.errors.remove(refused[0])


@pytest.mark.integration
def test_was_this_helpful_is_stored_with_the_topic(page: Any, assistant: Assistant) -> None:
    open_widget(page)
    answer = ask(page, "what is SEN support?")
    answer.get_by_role("button", name="Yes").click()
    page.wait_for_selector(".sendw-feedback >> text=Thank you for your feedback.")
    sender = page.evaluate("JSON.parse(sessionStorage.getItem('send-assistant:sefton')).sender")
    for _ in range(50):
        with sqlite3.connect(assistant.log_dir / "tracker.db") as db:
            rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = "
                              "'slot'", (sender,)).fetchall()
        stored = [json.loads(r[0])["value"] for r in rows
                  if json.loads(r[0]).get("name") == "feedback"]
        if stored:
            break
        page.wait_for_timeout(100)
    assert stored == [{"topic": "sen_support", "helpful": True}]


@pytest.mark.integration
def test_the_demo_page_is_served_with_a_strict_content_security_policy(page: Any,
                                                                      assistant: Assistant
                                                                      ) -> None:
    response = page.goto(assistant.demo_page + "?council=havering")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.locator("script[data-council='havering']").count() == 1


@pytest.mark.integration
@pytest.mark.parametrize("width", [1280, 320])
def test_screenshots_of_the_demo_page(page: Any, kb: KnowledgeBase, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    open_widget(page)
    ask(page, "what is quality first teaching?")
    panel = page.locator("#sendw-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width  # fits: no sideways scroll
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"demo-{width}px.png"), full_page=True)
    assert (ARTEFACTS / f"demo-{width}px.png").stat().st_size > 10_000


def preflight(webhook: str, origin: str) -> str | None:
    """The Access-Control-Allow-Origin a browser's preflight from `origin` gets back."""
    import urllib.request

    request = urllib.request.Request(webhook, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("Access-Control-Allow-Origin") or None


@pytest.mark.integration
def test_other_web_sites_are_not_allowed_to_call_the_assistant_by_default(
        assistant: Assistant) -> None:
    assert preflight(assistant.webhook, "https://elsewhere.example") is None


@pytest.mark.integration
def test_a_councils_site_in_allowed_origins_may_call_it_and_no_other(model: Path,
                                                                     tmp_path: Path) -> None:
    from tools.servers import free_port, running_assistant

    council_site = "https://www.council.example"
    with running_assistant(model=model, rasa_port=free_port(), action_port=free_port(),
                           work_dir=tmp_path, env={"SEND_ALLOWED_ORIGINS": council_site}) as other:
        assert preflight(other.webhook, council_site) == council_site
        assert preflight(other.webhook, "https://elsewhere.example") is None
