"""Averaging two classifiers' intent rankings (bot/ensemble.py)."""
from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.ensemble import AverageRankings, KeepRanking, average


def test_the_average_weights_both_rankings_and_counts_a_missing_intent_as_zero() -> None:
    first = [{"name": "sen_support", "confidence": 0.6}, {"name": "senco_role", "confidence": 0.4}]
    second = [{"name": "senco_role", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}]
    assert average(first, second, 0.5) == [
        {"name": "senco_role", "confidence": 0.65}, {"name": "sen_support", "confidence": 0.3},
        {"name": "greet", "confidence": 0.05}]
    assert average(first, second, 1.0)[0] == {"name": "sen_support", "confidence": 0.6}


def test_ties_are_broken_by_name_so_the_answer_is_always_the_same() -> None:
    tied = [{"name": "b", "confidence": 0.5}, {"name": "a", "confidence": 0.5}]
    assert [r["name"] for r in average(tied, list(reversed(tied)), 0.5)] == ["a", "b"]


def test_the_components_replace_the_intent_with_the_average() -> None:
    message = Message(data={"text": "x", "intent_ranking": [
        {"name": "sen_support", "confidence": 0.8}, {"name": "senco_role", "confidence": 0.2}]})
    KeepRanking().process([message])
    message.set("intent", {"name": "senco_role", "confidence": 0.7})
    message.set("intent_ranking", [{"name": "senco_role", "confidence": 0.7},
                                   {"name": "sen_support", "confidence": 0.3}])
    AverageRankings(weight=0.5).process([message])
    assert message.get("intent") == {"name": "sen_support", "confidence": 0.55}
    assert [r["name"] for r in message.get("intent_ranking")] == ["sen_support", "senco_role"]
