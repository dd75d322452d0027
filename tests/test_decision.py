"""The one decision (actions.decision.understand): a table of turns and what each gets, and its
settings file, which refuses a wrong value with where and why."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from actions.decision import (
    ANSWER,
    ASK_COUNCIL,
    CHOICES,
    DECLINE,
    FLOW_ANSWER,
    SAFEGUARD,
    Decision,
    Turn,
    understand,
)
from actions.errors import SettingsError
from actions.knowledge import KnowledgeBase, load_knowledge
from actions.settings import SETTINGS_FILE, read_settings, settings
from tests.conftest import Pack

CRISIS_AND_QUESTION = "she has been cutting herself. can she get an EHC plan, what can an ehcp do?"
_CUT = CRISIS_AND_QUESTION.index("cutting")


def turn(text: str, intent: str, *ranking: tuple[str, float], council: str | None = "sefton",
         **more: Any) -> Turn:
    """A turn whose intent is the ranking's first (or `intent` at full confidence)."""
    ranked = ranking or ((intent, 1.0),)
    confidence = dict(ranked).get(intent, 1.0)
    return Turn(text=text, intent=intent, confidence=confidence, ranking=tuple(ranked),
                council=council, **more)


# (why, turn, outcome, topic, then-outcome)
TABLE = [
    ("a crisis alone gets the safeguarding reply and nothing after it",
     turn("he has run away and we can't find him", "safeguarding", ("safeguarding", 1.0),
          ("sen_support", 0.1), safeguarding={"level": "crisis", "spans": [[0, 20]]}),
     SAFEGUARD, None, None),
    ("a SEND question beside a crisis is answered after the safeguarding reply",
     turn(CRISIS_AND_QUESTION, "safeguarding", ("safeguarding", 1.0),
          ("ehcp_what_it_can_do", 0.9),
          safeguarding={"level": "crisis", "spans": [[_CUT, _CUT + len("cutting herself")]]}),
     SAFEGUARD, None, ANSWER),
    ("after the softer signpost, a message whose best guess is out of scope is declined",
     turn("we had a really bad night again and I can't cope with the weather", "safeguarding",
          ("safeguarding", 1.0), ("out_of_scope", 0.4), ("sen_support", 0.1),
          safeguarding={"level": "concern"}),
     SAFEGUARD, None, DECLINE),
    ("a professional's procedure question gets their route and nothing after it",
     turn("I have a safeguarding concern about a child on my caseload, what is the procedure",
          "safeguarding", ("safeguarding", 1.0), ("sen_support", 0.8),
          safeguarding={"level": "procedure"}),
     SAFEGUARD, None, None),
    ("the NLU's out_of_scope is declined",
     turn("how do I apply for a blue badge", "out_of_scope", ("out_of_scope", 0.9)),
     DECLINE, None, None),
    ("a topic the NLU is sure of is answered",
     turn("what does the senco do", "senco_role", ("senco_role", 0.98)),
     ANSWER, "senco_role", None),
    ("a topic whose answer differs by council asks for the council first",
     turn("what is sen support", "sen_support", ("sen_support", 0.98), council=None),
     ASK_COUNCIL, "sen_support", None),
    ("a subject the guidance does not cover is declined whatever topic the words suggest",
     turn("is there free school transport with an EHCP", "ehcp_what_it_can_do",
          ("ehcp_what_it_can_do", 0.9)),
     DECLINE, None, None),
    ("a topic the NLU is unsure of and the words do not support gets choices",
     turn("what does the sendco do", "provision_maps", ("provision_maps", 0.5),
          ("senco_role", 0.3)),
     CHOICES, None, None),
    ("a topic chosen for a message with too few of the guidance's words is declined",
     turn("how do I register to vote", "sen_support", ("sen_support", 0.7)),
     DECLINE, None, None),
    ("unsure, with too few of the guidance's words: declined",
     turn("what's the weather like tomorrow", "nlu_fallback", ("nlu_fallback", 0.35),
          ("sen_support", 0.2)),
     DECLINE, None, None),
    ("unsure, and out of scope is the best guess: declined",
     turn("can the senco sort out his dentist appointment", "nlu_fallback",
          ("nlu_fallback", 0.35), ("out_of_scope", 0.3), ("senco_role", 0.2)),
     DECLINE, None, None),
    ("unsure between topics with the guidance's words: choices",
     turn("help with the plan for his support at school", "nlu_fallback",
          ("nlu_fallback", 0.35), ("sen_support", 0.2), ("ehcp_what_it_can_do", 0.19)),
     CHOICES, None, None),
]


@pytest.mark.parametrize(("why", "the_turn", "outcome", "topic", "then"), TABLE,
                         ids=[row[0] for row in TABLE])
def test_each_kind_of_turn_gets_its_outcome(kb: KnowledgeBase, why, the_turn: Turn, outcome,
                                            topic, then) -> None:
    decided = understand(the_turn, kb, settings())
    assert decided.outcome == outcome, decided
    if topic is not None:
        assert decided.topic == topic
    assert (decided.then.outcome if decided.then else None) == then, decided
    if decided.then is not None and decided.then.outcome in (DECLINE, CHOICES):
        assert decided.then.signpost is False  # the safeguarding reply has just given it
    assert understand(the_turn, kb, settings()) == decided  # the same answer every time


def test_choices_are_at_most_the_settings_number_and_rank_the_nlus_guess_with_the_words(
        kb: KnowledgeBase) -> None:
    unsure = turn("what does the senco do about sen support and an ehcp", "nlu_fallback",
                  ("nlu_fallback", 0.3), ("ehcp_what_it_can_do", 0.29), ("senco_role", 0.25),
                  ("sen_support", 0.24))
    few = replace(settings(), choices=replace(settings().choices, max_choices=2))
    decided = understand(unsure, kb, few)
    assert decided.outcome == CHOICES and len(decided.choices) == 2
    assert set(decided.choices) <= {"ehcp_what_it_can_do", "senco_role", "sen_support"}


def test_the_thresholds_come_from_the_settings(kb: KnowledgeBase) -> None:
    unsure_topic = turn("what does the sendco do", "provision_maps", ("provision_maps", 0.5),
                        ("senco_role", 0.3))
    assert understand(unsure_topic, kb, settings()).outcome == CHOICES
    trusting = replace(settings(), answer=replace(settings().answer, sure_alone=0.5))
    assert understand(unsure_topic, kb, trusting) == Decision(
        ANSWER, topic="provision_maps", reason="the NLU chose it")


def test_a_flows_answer_the_nlu_was_unsure_of_is_taken_as_the_answer(toy_kb) -> None:
    waiting = {"council": "testshire", "flow": "toy_flow", "node": "q1", "history": []}
    decided = understand(turn("not sure", "nlu_fallback", ("nlu_fallback", 0.3),
                              flow_state=waiting), toy_kb, settings())
    assert decided.outcome == FLOW_ANSWER


@pytest.fixture
def toy_kb(pack: Pack) -> KnowledgeBase:
    pack.add_flow()
    return load_knowledge(pack.root)


def test_the_shipped_settings_load() -> None:
    loaded = read_settings(SETTINGS_FILE)
    assert 0 < loaded.nlu.unsure_below < loaded.answer.sure_alone < 1
    assert loaded.choices.max_choices >= 1


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  sure_alone: 0.7\n", "", "lacks ['sure_alone']"),
    ("  sure_alone: 0.7\n", "  sure_alone: 0.7\n  sure_alon: 0.6\n",
     "unknown settings ['sure_alon']"),
    ("  sure_alone: 0.7\n", "  sure_alone: 7\n", "`answer.sure_alone` is a confidence"),
    ("  max_choices: 3\n", "  max_choices: three\n", "`choices.max_choices` must be a whole"),
    ("  max_choices: 3\n", "  max_choices: 0\n", "must be at least 1"),
    ("nlu:\n", "nlu:\n  threshold: 0.4\n", "unknown settings ['threshold']"),
    ("choices:\n", "choice:\n", "unknown groups ['choice']"),
])
def test_a_wrong_setting_is_refused_with_where_and_why(tmp_path: Path, old, new,
                                                       message) -> None:
    text = SETTINGS_FILE.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "settings.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SettingsError, match=r"settings\.yml") as err:
        read_settings(broken)
    assert message in str(err.value)


def test_a_missing_settings_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="restore it from git"):
        read_settings(tmp_path / "settings.yml")
