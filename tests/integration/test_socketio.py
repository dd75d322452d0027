"""The socket.io channel, as a web widget uses it: metadata in, whole answer and payload out."""
from __future__ import annotations

import threading
from typing import Any

import pytest
import socketio

from actions.answers import compose_answer
from actions.knowledge import KnowledgeBase
from tools.evaluate import new_conversation
from tools.servers import Assistant


def exchange(assistant: Assistant, session: str, message: str,
             council: str, key: str = "metadata") -> list[dict[str, Any]]:
    """Send one message on socket.io as a widget would; what came back, up to and including the
    first custom payload."""
    received: list[dict[str, Any]] = []
    got_payload = threading.Event()
    client = socketio.Client()

    @client.on("bot_uttered")
    def on_bot_uttered(data: dict[str, Any]) -> None:
        received.append(data)
        if "custom" in data:
            got_payload.set()

    client.connect(assistant.rasa_url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session})
        client.emit("user_uttered", {"message": message, "session_id": session,
                                     key: {"local_authority": council}})
        assert got_payload.wait(timeout=30), f"no custom payload in {received}"
    finally:
        client.disconnect()
    return received


@pytest.mark.integration
def test_socketio_answers_whole_with_the_custom_payload_and_the_metadata_council(
        assistant: Assistant, kb: KnowledgeBase) -> None:
    received = exchange(assistant, new_conversation(assistant.webhook), "/sen_support",
                        "havering")
    texts = [m for m in received if "text" in m]
    assert len(texts) == 1, "the answer must arrive as one message, not one per paragraph"
    expected = compose_answer(kb, "sen_support", "havering")
    assert texts[0]["text"] == expected.text
    assert [b["payload"] for b in texts[0]["quick_replies"]] == [
        b["payload"] for b in expected.buttons]
    custom = next(m["custom"] for m in received if "custom" in m)
    assert custom["topic"] == "sen_support" and custom["local_authority"] == "havering"
    assert custom["sources"] == expected.custom["sources"]  # the council's, then the law's
    assert custom["sources"][:len(kb.topics["sen_support"]["havering"].sources)] == [
        s.as_payload() for s in kb.topics["sen_support"]["havering"].sources]


@pytest.mark.integration
def test_the_standard_web_clients_custom_data_sets_the_council(assistant: Assistant) -> None:
    # npm rasa-webchat sends the page's data as `customData`, not `metadata`
    received = exchange(assistant, new_conversation(assistant.webhook), "/sen_support",
                        "havering", key="customData")
    custom = next(m["custom"] for m in received if "custom" in m)
    assert custom["topic"] == "sen_support" and custom["local_authority"] == "havering"


@pytest.mark.integration
def test_socketio_refuses_a_conversation_id_the_server_did_not_issue(
        assistant: Assistant) -> None:
    received = exchange(assistant, "someone-elses-conversation", "what is SEN support?",
                        "sefton")
    assert [m["custom"]["topic"] for m in received if "custom" in m] == ["unknown_conversation"]
    assert "start a new one" in received[0]["text"]


@pytest.mark.integration
def test_the_council_the_person_chose_holds_on_socketio_too(assistant: Assistant) -> None:
    # rasa-webchat sends the page's council as customData on every message; the person's own
    # choice in the conversation outranks it from then on, until they change it
    session = new_conversation(assistant.webhook)

    def topic_and_council(text: str) -> tuple[str, str]:
        received = exchange(assistant, session, text, "sefton", key="customData")
        custom = next(m["custom"] for m in received if "custom" in m)
        return custom["topic"], custom.get("local_authority")

    assert topic_and_council("/sen_support") == ("sen_support", "sefton")
    assert topic_and_council("what about in Havering?") == ("sen_support", "havering")
    assert topic_and_council("/quality_first_teaching") == ("quality_first_teaching",
                                                              "havering")
    assert topic_and_council("/senco_role") == ("senco_role", "havering")
    assert topic_and_council("what about in Sefton?") == ("senco_role", "sefton")
