"""A conversation longer than a session (bot/server.py ends one every SESSION_MESSAGES
messages): the person notices nothing, every message is stored, and records are not repeated."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from bot.server import SESSION_MESSAGES
from tests.integration.conftest import Conversation, custom_of
from tests.integration.test_flows_rest import STRUGGLING, answer_buttons, flow_messages
from tools.servers import Assistant

UNSURE = "difference between the register and a plan"


def stored(assistant: Assistant, sender: str) -> list[dict[str, object]]:
    with sqlite3.connect(assistant.log_dir / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                          (sender,)).fetchall()
    return [json.loads(row[0]) for row in rows]


@pytest.mark.integration
def test_a_conversation_carries_on_across_sessions(assistant: Assistant,
                                                   conversation: Conversation) -> None:
    sent = 0

    def say(text: str, council: str | None = None) -> list[dict[str, Any]]:
        nonlocal sent
        sent += 1
        return conversation.say(text, council)

    assert custom_of(say("what is SEN support?", "havering"))["topic"] == "sen_support"
    assert custom_of(say(UNSURE))["topic"] == "suggestions"
    while sent < SESSION_MESSAGES - 1:
        say("what does the SENCO do?")
    started = say(STRUGGLING)  # the session's last message starts a flow
    if flow_messages(started)[-1]["step"] == "role":  # (the first of the next, if it asks)
        started = say('/choose_role{"role": "parent"}')
    step = flow_messages(started)[-1]["step"]

    after = say(answer_buttons(started)[0]["payload"])  # in the new session

    assert flow_messages(after), "the flow in progress carried on"
    assert flow_messages(after)[-1]["step"] != step
    assert custom_of(after)["local_authority"] == "havering", "the council carried on"
    events = stored(assistant, conversation.sender)
    assert sum(e["event"] == "session_started" for e in events) == 2
    assert [e["text"] for e in events if e["event"] == "user"][:2] == ["what is SEN support?",
                                                                       UNSURE]
    assert sum(e["event"] == "user" for e in events) == sent, "every message is stored"
    unanswered = [e for e in events if e["event"] == "slot" and e["name"] == "unanswered"]
    assert [e["value"]["text"] for e in unanswered] == [UNSURE], "recorded once, not carried"
