"""The decision replayed on saved parses (tools.replay): settings tried by name, each outcome
scored as the evaluator scores the reply it sends. That a replay matches a served evaluation
is checked against the running assistant (tests/integration/test_assistant.py)."""
from __future__ import annotations

import pytest

from actions.decision import Decision, Turn
from actions.errors import SettingsError
from actions.knowledge import KnowledgeBase
from actions.settings import settings
from tools.evaluate import Question
from tools.replay import channel_text, first_reply, replay, turn_of, with_changes


def test_a_setting_is_tried_by_its_group_and_name() -> None:
    changed = with_changes(settings(), ["answer.sure_alone=0.6", "choices.max_choices=4"])
    assert (changed.answer.sure_alone, changed.choices.max_choices) == (0.6, 4)
    assert changed.nlu == settings().nlu  # the rest as shipped


@pytest.mark.parametrize("change", ["answer.sure_alon=0.6", "sure_alone=0.6",
                                    "answer.sure_alone", "answer.sure_alone=high",
                                    "choices.max_choices=2.5"])
def test_a_wrong_setting_to_try_says_how_to_write_one(change: str) -> None:
    with pytest.raises(SettingsError, match=r"answer\.sure_alone=0\.6|is not a number"):
        with_changes(settings(), [change])


@pytest.mark.parametrize(("decision", "topic", "choices"), [
    (Decision("safeguard", level="crisis"), "safeguarding", ()),
    (Decision("safeguard", level="procedure"), "safeguarding_procedure", ()),
    (Decision("decline"), "out_of_scope", ()),
    (Decision("choices", choices=("sen_support",)), "suggestions", ("sen_support",)),
    (Decision("choices"), "menu", ()),
    (Decision("answer", topic="senco_role"), "senco_role", ()),
])
def test_each_outcome_is_scored_by_the_first_reply_it_sends(kb: KnowledgeBase, decision,
                                                            topic, choices) -> None:
    assert first_reply(kb, decision, Turn(text="what does the senco do",
                                          council="sefton")) == (topic, choices)


def test_a_parse_is_replayed_as_the_turn_the_action_would_read(kb: KnowledgeBase) -> None:
    parse = {"text": "what does the senco do", "intent": {"name": "senco_role",
                                                          "confidence": 0.98},
             "intent_ranking": [{"name": "senco_role", "confidence": 0.98}]}
    assert turn_of(parse, "sefton").ranking == (("senco_role", 0.98),)
    question = Question(council="sefton", text="what does the senco do", expect=("senco_role",))
    [result] = replay(kb, [question], [parse], settings())
    assert result.correct
    unsure = {**parse, "intent": {"name": "provision_maps", "confidence": 0.5},
              "intent_ranking": [{"name": "provision_maps", "confidence": 0.5},
                                 {"name": "senco_role", "confidence": 0.3}]}
    [offered] = replay(kb, [question], [unsure], settings())
    assert offered.topic == "suggestions" and offered.right_among_choices
    trusting = with_changes(settings(), ["answer.sure_alone=0.5"])
    [answered] = replay(kb, [question], [unsure], trusting)
    assert answered.topic == "provision_maps" and answered.confidently_wrong


def test_questions_are_parsed_as_the_channel_passes_them_on() -> None:
    assert "07700 900123" not in channel_text("ring me on 07700 900123 about his EHCP")
    assert len(channel_text("word " * 1000)) <= 2000
