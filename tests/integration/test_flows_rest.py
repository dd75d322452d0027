"""Decision flows through the REST channel, as a person uses them: typed question, buttons,
free text, "not sure", back, an interruption and carrying on, start again and stop."""
from __future__ import annotations

from typing import Any

import pytest

from actions.knowledge import KnowledgeBase
from tests.integration.conftest import Conversation, custom_of

STRUGGLING = "my son is really struggling in school and I don't know what to do now"


def flow_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    return [c for c in customs if "step" in c]


def answer_buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    buttons = [b for m in messages for b in m.get("buttons") or []]
    return [b for b in buttons if b["payload"].startswith("/flow_answer")]


@pytest.mark.integration
@pytest.mark.parametrize(("council", "flow_id"), [("sefton", "next_steps"),
                                                  ("havering", "havering_pathway")])
def test_a_worried_parent_is_walked_through_their_councils_flow_to_an_outcome(
        kb: KnowledgeBase, conversation: Conversation, council: str, flow_id: str) -> None:
    conversation.say("hi", council)
    messages = conversation.say(STRUGGLING, council)
    custom = custom_of(messages)
    assert custom["topic"] == flow_id
    if custom["step"] == "role":
        messages = conversation.say('/choose_role{"role": "parent"}')
    flow = kb.flows[council][flow_id]
    for _ in range(len(flow.nodes)):
        steps = flow_messages(messages)
        last = steps[-1]["step"]
        if flow.nodes[last].type == "outcome":
            break
        messages = conversation.say(answer_buttons(messages)[0]["payload"])
    else:
        pytest.fail("the flow did not reach an outcome")
    record = next(i for i, m in enumerate(messages) if "record" in (m.get("custom") or {}))
    assert messages[record - 1]["text"].endswith(messages[record]["custom"]["record"]), \
        "the record must arrive as one message, ready to copy"
    assert all(m["topic"] == flow_id for m in flow_messages(messages))


@pytest.mark.integration
def test_free_text_not_sure_back_interruption_resume_restart_and_stop(
        kb: KnowledgeBase, conversation: Conversation) -> None:
    council, flow_id = "sefton", "next_steps"
    flow = kb.flows[council][flow_id]
    conversation.say("hello", council)
    conversation.say('/choose_role{"role": "professional"}')  # no flow yet: nothing breaks
    first = flow_messages(conversation.say(STRUGGLING, council))[-1]["step"]

    not_sure = conversation.say("no idea to be honest")
    explain = next(a.explain for a in flow.nodes[first].answers if a.id == "not_sure")
    assert explain is not None and explain.for_role("professional") in [
        m.get("text") for m in not_sure]
    after_not_sure = flow_messages(not_sure)[-1]["step"]
    assert after_not_sure != first

    if flow.nodes[after_not_sure].type == "question":
        back = conversation.say("go back")
        assert flow_messages(back)[-1]["step"] == first

    interrupted = conversation.say("what does a SENCO actually do?")
    assert custom_of(interrupted)["topic"] == "senco_role"
    assert interrupted[0]["buttons"][0]["payload"] == "/flow_resume"
    resumed = conversation.say(interrupted[0]["buttons"][0]["payload"])
    assert flow_messages(resumed)[-1]["step"] in {first, after_not_sure}

    again = conversation.say("start again")
    assert flow_messages(again)[-1]["step"] == flow.start
    stopped = conversation.say("stop")
    assert stopped[0]["text"] == kb.phrases["flow_stopped"]
    assert conversation.say("yes")[0]["text"] == kb.phrases["flow_none"]
