"""The production configuration with its real parts (tools/stack.py): PostgreSQL, Redis, two
Rasa processes, the action server and nginx, on loopback. Conversations survive a Rasa process
being killed and PostgreSQL restarting; nothing stored is lost; bad input never breaks it."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tools.evaluate import new_conversation
from tools.retention import expire
from tools.stack import FAIL_TIMEOUT_S, Stack, running_stack

pytestmark = pytest.mark.integration

QUESTIONS = ["what is SEN support?", "what does the SENCO do?", "what are the four stages?",
             "what is quality first teaching?", "how do schools spot SEN?",
             "what is assess plan do review?"]
"""Questions Havering's guidance answers, so every answer shows the conversation's council."""


def council_of(messages: list[dict[str, Any]]) -> str | None:
    return next((m["custom"].get("local_authority") for m in messages
                 if isinstance(m.get("custom"), dict)), None)


@pytest.fixture(scope="module")
def stack(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(work_dir=tmp_path_factory.mktemp("stack"), model=model) as running:
        yield running


def post(url: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 60
         ) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read().decode(errors="replace")


def say(base: str, sender: str, text: str, council: str | None = "havering"
        ) -> list[dict[str, Any]]:
    """One message through the REST channel at `base` (nginx or one Rasa process)."""
    body: dict[str, Any] = {"sender": sender, "message": text}
    if council:
        body["metadata"] = {"local_authority": council}
    status, reply = post(f"{base}/webhooks/rest/webhook", json.dumps(body).encode(),
                         {"X-Conversation-Id": sender})
    assert status == 200, reply
    messages = json.loads(reply)
    assert messages, f"silence in reply to {text!r}"
    return list(messages)


def issued(stack: Stack) -> str:
    """A conversation id the stack issued (through nginx)."""
    return new_conversation(stack.webhook)


def topic(messages: list[dict[str, Any]]) -> str | None:
    return next((m["custom"].get("topic") for m in messages
                 if isinstance(m.get("custom"), dict)), None)


def stored_texts(stack: Stack, sender: str) -> list[str]:
    """The user messages PostgreSQL holds for a conversation, in order."""
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(sa.text("SELECT data FROM events WHERE sender_id = :s AND "
                                      "type_name = 'user' ORDER BY id"), {"s": sender})
            return [json.loads(row[0])["text"] for row in rows]
    finally:
        engine.dispose()


def test_conversations_alternating_between_two_processes_are_whole_and_in_order(
        stack: Stack) -> None:
    senders = [issued(stack) for _ in range(4)]
    sent: dict[str, list[str]] = {s: [] for s in senders}
    for turn, question in enumerate(QUESTIONS):
        for n, sender in enumerate(senders):
            process = stack.rasa_urls[(turn + n) % 2]
            council = "havering" if turn == 0 else None  # later turns rely on the stored slot
            messages = say(process, sender, question, council)
            assert topic(messages) not in (None, "unavailable", "suggestions", "out_of_scope")
            assert council_of(messages) == "havering", "the stored council is used"
            sent[sender].append(question)
    for sender in senders:
        assert stored_texts(stack, sender) == sent[sender]


def test_a_killed_process_loses_no_conversation(stack: Stack) -> None:
    senders = [issued(stack) for _ in range(6)]
    for sender in senders:
        say(stack.url, sender, "what is SEN support?")
    victim = stack.processes["rasa1"]
    victim.kill()  # SIGKILL, mid-conversation
    try:
        for sender in senders:  # about half were routed to the killed process
            messages = say(stack.url, sender, "what does the SENCO do?", council=None)
            assert topic(messages) == "senco_role"
            assert stored_texts(stack, sender) == ["what is SEN support?",
                                                   "what does the SENCO do?"]
    finally:
        victim.start()
        stack.wait_ready("rasa1")


def test_postgres_restarting_loses_no_stored_message(stack: Stack) -> None:
    sender = issued(stack)
    assert topic(say(stack.url, sender, "what is SEN support?")) == "sen_support"
    stack.restart_postgres()
    assert topic(say(stack.url, sender, "what does the SENCO do?", council=None)) == "senco_role"
    assert stored_texts(stack, sender) == ["what is SEN support?", "what does the SENCO do?"]


def test_with_postgres_down_people_are_told_and_nothing_is_half_saved(stack: Stack) -> None:
    sender = issued(stack)
    say(stack.url, sender, "what is SEN support?")
    stack.stop_postgres()
    try:
        messages = say(stack.url, sender, "what does the SENCO do?", council=None)
        assert topic(messages) == "unavailable"
        assert "try again" in messages[0]["text"]
    finally:
        stack.start_postgres()
    after = say(stack.url, sender, "what are the four stages?", council=None)
    assert topic(after) == "stages_of_support"
    assert council_of(after) == "havering", "the conversation's council was kept"
    assert stored_texts(stack, sender) == ["what is SEN support?", "what are the four stages?"]


REPLY_LIMIT_S = 12.0
"""The longest anyone may wait for a reply, whatever is failing (the limits aim at 10 s)."""


def timed_message(base: str, sender: str, text: str) -> tuple[float, str]:
    """Send one message (with Havering as its council); how long the reply took, and whether it
    was an answer ("answered"), the "try again shortly" reply ("try again": from the assistant,
    or nginx's 503 when no Rasa process answered) or anything else (what it was)."""
    data = json.dumps({"sender": sender, "message": text,
                       "metadata": {"local_authority": "havering"}}).encode()
    start = time.monotonic()
    try:
        status, reply = post(f"{base}/webhooks/rest/webhook", data,
                             {"X-Conversation-Id": sender}, timeout=40)
    except (TimeoutError, urllib.error.URLError) as err:
        return time.monotonic() - start, f"no reply: {err}"
    elapsed = time.monotonic() - start
    if status == 503 and "try again shortly" in reply:
        return elapsed, "try again"
    if status != 200:
        return elapsed, f"HTTP {status}: {reply[:200]}"
    messages = json.loads(reply)
    if topic(messages) == "unavailable" and "try again" in messages[0].get("text", ""):
        return elapsed, "try again"
    if topic(messages) in (None, "unavailable", "suggestions", "out_of_scope"):
        return elapsed, f"not an answer: {reply[:200]}"
    return elapsed, "answered"


def cpu_ticks(pid: int) -> int:
    """The CPU time a process has used, in clock ticks (utime + stime of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_under_load_a_killed_process_and_a_postgres_restart_keep_nobody_waiting(
        stack: Stack) -> None:
    """The issue's run, smaller: ten conversations through nginx, one Rasa process killed with
    messages in hand, then PostgreSQL restarted mid-message. Every message gets an answer or
    "try again shortly" within REPLY_LIMIT_S, and what was answered is stored once, in order.
    (Without limits, a message the killed process held, retried on the other, waited there for
    its conversation's lock until the killed process's ticket lapsed: 60 s.)

    The conversations send in rounds, each its next question at the same moment, so both
    failures strike while every conversation has a message in flight; the process is killed
    as soon as it is seen working on its share."""
    time.sleep(FAIL_TIMEOUT_S + 1)  # until nginx uses a process an earlier test stopped again
    senders = [issued(stack) for _ in range(10)]
    outcomes: dict[str, list[tuple[str, float, str]]] = {s: [] for s in senders}
    rounds = threading.Barrier(len(senders) + 1, timeout=300)
    nginx_log = stack.work_dir / "nginx-error.log"
    dropped_before = nginx_log.read_text().count("upstream prematurely closed")

    def converse(sender: str) -> None:
        for question in QUESTIONS:
            rounds.wait()
            elapsed, outcome = timed_message(stack.url, sender, question)
            outcomes[sender].append((question, elapsed, outcome))

    threads = [threading.Thread(target=converse, args=(s,)) for s in senders]
    victim = stack.processes["rasa1"]
    try:
        for thread in threads:
            thread.start()
        for round_ in range(len(QUESTIONS)):
            rounds.wait()
            if round_ == 1:
                assert victim.popen is not None
                working_from = cpu_ticks(victim.popen.pid)
                # its first tick of work: waiting for three let a faster assistant finish its
                # share first (2026-11-30: "no message in hand" twice in five runs; at one tick,
                # 1, 8, 6 and 4 messages in hand in four runs)
                until = time.monotonic() + 5
                while cpu_ticks(victim.popen.pid) < working_from + 1 and time.monotonic() < until:
                    time.sleep(0.005)
                victim.kill()  # SIGKILL, with its share of the round's messages in its hands
            elif round_ == 3:
                time.sleep(0.1)
                stack.restart_postgres()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        rounds.abort()
        victim.start()
        stack.wait_ready("rasa1")
    every = [o for s in senders for o in outcomes[s]]
    assert len(every) == len(senders) * len(QUESTIONS)
    dropped = nginx_log.read_text().count("upstream prematurely closed") - dropped_before
    assert dropped > 0, "the killed process had no message in hand: the test tested nothing"
    worst = max(elapsed for _, elapsed, _ in every)
    print(f"killed with {dropped} messages in hand, then PostgreSQL restarted: slowest reply "
          f"{worst:.1f} s; {sum(o == 'try again' for *_, o in every)} of {len(every)} asked to "
          "try again")
    assert worst <= REPLY_LIMIT_S, sorted(every, key=lambda o: -o[1])[:5]
    assert all(o in ("answered", "try again") for *_, o in every), every
    assert sum(o == "answered" for *_, o in every) >= len(every) // 2
    for sender in senders:  # what was answered is stored, once and in order
        stored = stored_texts(stack, sender)
        assert stored == [q for q in QUESTIONS if q in stored], stored
        assert {q for q, _, o in outcomes[sender] if o == "answered"} <= set(stored), stored


@pytest.mark.parametrize("how", ["message_id", "X-Request-Id"])
def test_a_message_retried_on_the_other_process_is_stored_once(stack: Stack, how: str) -> None:
    """nginx passes a message on to the other Rasa process when the first fails part-way
    (`proxy_next_upstream ... non_idempotent`); both attempts carry the same id: the client's
    `message_id` or nginx's X-Request-Id. The second is answered, and not stored again."""
    sender = issued(stack)
    message_id = uuid.uuid4().hex
    body = {"sender": sender, "message": "what is SEN support?",
            "metadata": {"local_authority": "havering"}}
    headers = {"X-Conversation-Id": sender}
    if how == "message_id":
        body["message_id"] = message_id
    else:
        headers["X-Request-Id"] = message_id
    replies = []
    for rasa in stack.rasa_urls:  # the first attempt, then nginx's retry on the other process
        status, reply = post(f"{rasa}/webhooks/rest/webhook", json.dumps(body).encode(), headers)
        assert status == 200, reply
        replies.append(json.loads(reply))
    assert topic(replies[0]) == "sen_support"
    assert replies[1] == replies[0], "the retry gets the same answer"
    assert stored_texts(stack, sender) == ["what is SEN support?"]
    say(stack.rasa_urls[1], sender, "what does the SENCO do?", council=None)
    assert stored_texts(stack, sender) == ["what is SEN support?", "what does the SENCO do?"]


EMOJI = "\U0001f600" * 5000
BAD_BODY_NAMES = [
    "empty", "whitespace", "one megabyte", "invalid JSON", "a list", "message a number",
    "sender an object", "metadata a string", "invalid UTF-8", "control characters",
    "a very long word", "script as the sender", "script in the message", "no sender",
    "thousands of emoji", "a forged conversation id", "a message id not an id"]


def bad_body(name: str, sender: str) -> bytes:
    """The named bad request body; `sender` is an issued id where the body has one."""
    x = sender
    return {
        "empty": b"",
        "whitespace": b"   \n\t ",
        "one megabyte": json.dumps({"sender": x, "message": "a" * 1_000_000}).encode(),
        "invalid JSON": b'{"sender": x, "message": ',
        "a list": b"[1, 2, 3]",
        "message a number": json.dumps({"sender": x, "message": 42}).encode(),
        "sender an object": json.dumps({"sender": {"a": 1}, "message": "hi"}).encode(),
        "metadata a string": json.dumps({"sender": x, "message": "hi", "metadata": "x"}).encode(),
        "invalid UTF-8": b'{"sender": "' + x.encode() + b'", "message": "\xff\xfe\xfa"}',
        "control characters": json.dumps({"sender": x, "message": "\x00\x01\x1b[2J\x7f"}).encode(),
        "a very long word": json.dumps({"sender": x, "message": "x" * 50_000}).encode(),
        "script as the sender": json.dumps({"sender": "<script>alert(1)</script>",
                                            "message": "hi"}).encode(),
        "script in the message": json.dumps({"sender": x, "message": "<script>alert(1)</script>"
                                             "<img src=x onerror=alert(1)>"}).encode(),
        "no sender": json.dumps({"message": "what is SEN support?"}).encode(),
        "thousands of emoji": json.dumps({"sender": x, "message": EMOJI}).encode(),
        "a forged conversation id": json.dumps({"sender": x.split(".")[0] + ".forged",
                                                 "message": "hi"}).encode(),
        "a message id not an id": json.dumps({"sender": x, "message": "hi",
                                              "message_id": {"a": "<script>"}}).encode(),
    }[name]


@pytest.mark.parametrize("name", BAD_BODY_NAMES)
def test_bad_input_gets_a_clear_refusal_or_a_graceful_reply(stack: Stack, name: str) -> None:
    status, reply = post(f"{stack.url}/webhooks/rest/webhook", bad_body(name, issued(stack)))
    assert status == 200 or 400 <= status < 500, (status, reply[:300])
    assert "Traceback" not in reply and "<script>" not in reply
    if status == 200:
        messages = json.loads(reply)
        assert messages and all(isinstance(m.get("text", ""), str) for m in messages)
    else:
        assert json.loads(reply)["error"], "a 4xx says what was wrong"
    if name == "a forged conversation id":
        assert status == 403
    sender = issued(stack)
    assert topic(say(stack.url, sender, "what is SEN support?")) == "sen_support"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/webhooks/widget/../../etc/passwd"), ("GET", "/webhooks/widget/demo?council=%3Cx"),
    ("GET", "/webhooks/widget/nothing.js"), ("POST", "/webhooks/health/ready"),
    ("GET", "/socket.io/?EIO=99&transport=nope"), ("GET", "/conversations/x/tracker"),
    ("POST", "/model/parse"), ("GET", "/"), ("GET", "/status")])
def test_other_public_paths_refuse_bad_requests(stack: Stack, method: str, path: str) -> None:
    request = urllib.request.Request(stack.url + path, method=method,
                                     data=b"{}" if method == "POST" else None)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    with refused.value as error:
        assert 400 <= error.code < 500
        assert "Traceback" not in error.read().decode(errors="replace")


def test_browsers_on_unlisted_sites_are_refused(stack: Stack) -> None:
    request = urllib.request.Request(f"{stack.url}/webhooks/rest/webhook", method="OPTIONS",
                                     headers={"Origin": "https://not-a-council.example",
                                              "Access-Control-Request-Method": "POST"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.headers.get("Access-Control-Allow-Origin") in (None, "")


def test_one_address_sending_too_fast_is_slowed_with_429(stack: Stack) -> None:
    statuses = []
    for _ in range(120):
        request = urllib.request.Request(f"{stack.url}/webhooks/health/live")
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                statuses.append(reply.status)
        except urllib.error.HTTPError as err:
            with err:
                statuses.append(err.code)
                assert json.loads(err.read())["error"].startswith("too many requests")
    assert 200 in statuses and 429 in statuses
    time.sleep(3)  # the limit refills: later tests are not refused


def test_retention_works_on_the_postgresql_store(stack: Stack) -> None:
    say(stack.url, issued(stack), "what is SEN support?")
    assert expire(stack.database_url, 30, dry_run=True).conversations == 0
    later = expire(stack.database_url, 30, now=time.time() + 31 * 86400, dry_run=True)
    assert later.conversations >= 1 and later.events > later.conversations


def test_no_message_text_reaches_any_log(stack: Stack) -> None:
    marker = f"zebracrossing{uuid.uuid4().hex[:8]}"
    say(stack.url, issued(stack), f"what is SEN support for {marker}?")
    say(stack.url, issued(stack), f"{marker} " * 50)  # an unsure, unanswered one
    logs = [*stack.work_dir.glob("*.log"), stack.pg_log]
    assert len(logs) >= 5
    for log in logs:
        assert marker not in log.read_text(errors="replace"), log.name


def test_a_process_shut_down_mid_load_finishes_or_hands_over_every_message(stack: Stack) -> None:
    import threading

    time.sleep(FAIL_TIMEOUT_S + 1)  # until nginx uses a process an earlier test stopped again
    senders = [issued(stack) for _ in range(16)]
    replies: dict[str, str | None] = {}

    def ask(sender: str) -> None:
        try:
            replies[sender] = topic(say(stack.url, sender, "what is SEN support?"))
        except AssertionError as err:
            replies[sender] = f"failed: {err}"

    threads = [threading.Thread(target=ask, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    victim = stack.processes["rasa2"]
    time.sleep(0.05)
    victim.stop()  # SIGTERM: Rasa's server finishes what it has in hand, takes nothing new
    try:
        for thread in threads:
            thread.join(timeout=120)
        assert replies == {s: "sen_support" for s in senders}
        assert victim.popen is not None and victim.popen.returncode is not None
    finally:
        victim.start()
        stack.wait_ready("rasa2")
