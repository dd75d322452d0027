"""Safeguarding: messages suggesting a child at risk or a person in crisis get the fixed reply
first, whatever else they seem to be about."""
from __future__ import annotations

import pytest

from actions.errors import KnowledgeError
from actions.knowledge import KnowledgeBase, load_knowledge
from tests.conftest import Pack


@pytest.mark.parametrize(("text", "concern"), [
    ("I think he might hurt himself", True),
    ("She's been SELF-HARMING and school don't know", True),
    ("my son talks about suicide", True),
    ("he says he wants  to die", True),
    ("my daughter isn\u2019t safe at home... not safe at home", True),
    ("he is scared to go home after school", True),
    ("what is SEN support", False),
    ("he hurt his knee at football", False),
    ("can an ehcp name a school", False),
    ("the school said he is in dangerous territory with his grades", False),
])
def test_safeguarding_triggers_match_whole_phrases_in_any_case(kb: KnowledgeBase, text,
                                                               concern) -> None:
    assert kb.safeguarding.raises_concern(text) is concern


@pytest.mark.parametrize(("old", "new", "field"), [
    ("reply: |", "replies: |", "reply"),
    ("triggers:\n  - hurt himself", "triggers: hurt himself\nnothing:\n  - x", "triggers"),
])
def test_a_broken_safeguarding_file_is_refused(pack: Pack, old, new, field) -> None:
    pack.edit("safeguarding.yml", old, new)
    with pytest.raises(KnowledgeError, match=rf"safeguarding\.yml(:\d+)?: `{field}`"):
        load_knowledge(pack.root)


def test_the_nlu_component_sets_the_safeguarding_intent_first(kb: KnowledgeBase) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.safeguarding import SafeguardingClassifier

    component = SafeguardingClassifier(kb.safeguarding)
    concern = Message(data={"text": "I'm worried she will kill herself",
                            "intent": {"name": "sen_support", "confidence": 0.9},
                            "intent_ranking": [{"name": "sen_support", "confidence": 0.9}]})
    calm = Message(data={"text": "what is sen support",
                         "intent": {"name": "sen_support", "confidence": 0.9}})
    component.process([concern, calm])
    assert concern.get("intent") == {"name": "safeguarding", "confidence": 1.0}
    assert [r["name"] for r in concern.get("intent_ranking")] == ["safeguarding", "sen_support"]
    assert calm.get("intent")["name"] == "sen_support"


def test_a_weak_learned_safeguarding_guess_becomes_unsure_not_a_safeguarding_reply(
        kb: KnowledgeBase) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.safeguarding import SafeguardingClassifier

    component = SafeguardingClassifier(kb.safeguarding, learned_threshold=0.6)
    weak = Message(data={"text": "what's it like outside",
                         "intent": {"name": "safeguarding", "confidence": 0.49},
                         "intent_ranking": [{"name": "safeguarding", "confidence": 0.49}]})
    sure = Message(data={"text": "someone is hurting my daughter",
                         "intent": {"name": "safeguarding", "confidence": 0.93}})
    component.process([weak, sure])
    assert weak.get("intent") == {"name": "nlu_fallback", "confidence": 0.49}
    assert [r["name"] for r in weak.get("intent_ranking")] == ["nlu_fallback", "safeguarding"]
    assert sure.get("intent")["name"] == "safeguarding"
