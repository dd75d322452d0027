"""The action server is private (loopback, token, no tracker in errors), the health endpoints
tell the truth, and when the action server is down people are asked to try again shortly."""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.paths import PROJECT_ROOT
from tests.integration.conftest import Conversation, custom_of
from tools.servers import (
    Assistant,
    action_server_command,
    free_port,
    running_assistant,
    start_process,
)

MARKER = "a very private detail 7f3a"


def request(url: str, body: dict[str, Any] | str | None = None) -> tuple[int, str]:
    """POST the body (a dict as JSON, a string as it is), or GET without one; the status and
    the reply's text."""
    data = body.encode() if isinstance(body, str) else \
        json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read().decode()


def action_call(text: str) -> dict[str, Any]:
    return {"next_action": "action_understand", "sender_id": "someone", "version": "3.6.21",
            "domain": {}, "tracker": {
                "sender_id": "someone", "slots": {}, "events": [], "paused": False,
                "followup_action": None, "active_loop": {}, "latest_action_name": None,
                "latest_message": {"text": text, "intent": {"name": "sen_support",
                                                            "confidence": 0.99},
                                   "entities": [], "metadata": {"local_authority": "sefton"}}}}


def listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses with a socket listening on this port (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # LISTEN
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@pytest.mark.integration
def test_the_action_server_listens_on_loopback_only(assistant: Assistant) -> None:
    port = int(assistant.action_url.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"127.0.0.1"}


@pytest.mark.integration
@pytest.mark.parametrize("query", ["", "?token=wrong", "?token="])
def test_the_action_server_refuses_calls_without_the_token(assistant: Assistant,
                                                           query: str) -> None:
    status, body = request(f"{assistant.action_url}/webhook{query}", action_call(MARKER))
    assert status == 401
    assert MARKER not in body and "sen_support" not in body


@pytest.mark.integration
def test_the_action_server_answers_the_rasa_server_with_the_token(assistant: Assistant) -> None:
    status, body = request(f"{assistant.action_url}/webhook?token={assistant.action_token}",
                           action_call("what is SEN support?"))
    assert status == 200
    assert json.loads(body)["responses"][0]["custom"]["topic"] == "sen_support"


@pytest.mark.integration
@pytest.mark.parametrize("body", ["not json", "[]", '{"next_action": 5}', "\u00ff\u00fe",
                                  '{"next_action": "action_understand", "tracker": "x"}'])
def test_bad_calls_to_the_action_server_get_4xx(assistant: Assistant, body: str) -> None:
    status, _ = request(f"{assistant.action_url}/webhook?token={assistant.action_token}", body)
    assert 400 <= status < 500


@pytest.mark.integration
def test_an_action_server_error_does_not_send_the_conversation_back(
        assistant: Assistant) -> None:
    broken = {**action_call("hello"), "tracker": {"events": [MARKER]}}  # rasa_sdk fails on it
    status, body = request(f"{assistant.action_url}/webhook?token={assistant.action_token}",
                           broken)
    assert (status, json.loads(body)) == (500, {"error": "internal error"})


@pytest.mark.integration
def test_the_rasa_server_is_live_and_ready(assistant: Assistant) -> None:
    assert request(f"{assistant.rasa_url}/webhooks/health/live") == (200, '{"status":"alive"}')
    status, body = request(f"{assistant.rasa_url}/webhooks/health/ready")
    assert (status, json.loads(body)["status"]) == (200, "ready")


@pytest.fixture(scope="module")
def own_assistant(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """An assistant of this module's own, since its action server is stopped and restarted."""
    with running_assistant(model=model, rasa_port=free_port(), action_port=free_port(),
                           work_dir=tmp_path_factory.mktemp("own")) as running:
        yield running


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, 9)
    process.wait(timeout=30)


@pytest.mark.integration
def test_with_the_action_server_down_people_are_asked_to_try_again_then_served(
        own_assistant: Assistant) -> None:
    conversation = Conversation(own_assistant)
    assert custom_of(conversation.say("what is SEN support?", "sefton"))["topic"] == \
        "sen_support"
    action, _ = own_assistant.processes
    stop(action)

    reply = conversation.say("what does the SENCO do?")
    assert custom_of(reply)["topic"] == "unavailable"
    assert "try again" in reply[0]["text"]
    status, body = request(f"{own_assistant.rasa_url}/webhooks/health/ready")
    assert status == 503 and "action server" in json.loads(body)["reason"]

    port = int(own_assistant.action_url.rsplit(":", 1)[1])
    restarted = start_process(
        action_server_command(port), own_assistant.log_dir / "actions-restarted.log",
        {**os.environ, "PYTHONPATH": str(PROJECT_ROOT),
         "SEND_ACTION_TOKEN": own_assistant.action_token})
    try:
        deadline = time.monotonic() + 120
        while request(f"{own_assistant.rasa_url}/webhooks/health/ready")[0] != 200:
            assert time.monotonic() < deadline, "the action server did not come back"
            time.sleep(0.5)
        assert custom_of(conversation.say("what does the SENCO do?"))["topic"] == "senco_role"
    finally:
        stop(restarted)


@pytest.mark.integration
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/conversations/{sender}/tracker"), ("POST", "/conversations/{sender}/messages"),
    ("POST", "/model/parse"), ("PUT", "/model"), ("GET", "/status"), ("GET", "/domain")])
def test_rasas_http_api_is_off(assistant: Assistant, conversation: Conversation, method: str,
                               path: str) -> None:
    conversation.say("what is SEN support? my email is someone@example.com", "sefton")
    url = assistant.rasa_url + path.format(sender=conversation.sender)
    body = json.dumps({"text": "hello", "model_file": "/etc/passwd"}).encode()
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method,
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    with refused.value:
        assert refused.value.code in (404, 405)
        assert "SEN support" not in refused.value.read().decode()


@pytest.mark.integration
def test_without_a_secret_any_conversation_id_is_taken_as_the_contract_allows(
        own_assistant: Assistant) -> None:
    status, body = request(own_assistant.webhook, {"sender": "eval-123", "message": "hi"})
    assert status == 200 and json.loads(body)
    status, body = request(f"{own_assistant.rasa_url}/webhooks/conversation/new", "")
    assert status == 200 and json.loads(body)["conversation_id"].startswith("c-")


@pytest.mark.integration
def test_with_a_secret_only_issued_ids_are_taken(assistant: Assistant) -> None:
    status, body = request(assistant.webhook, {"sender": "eval-123", "message": "hi"})
    assert status == 403 and "conversation/new" in json.loads(body)["error"]
    status, body = request(f"{assistant.rasa_url}/webhooks/conversation/new", "")
    issued = json.loads(body)["conversation_id"]
    assert request(assistant.webhook, {"sender": issued, "message": "hi"})[0] == 200
