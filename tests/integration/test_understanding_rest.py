"""Understanding real questions, end to end through the REST channel: what the guidance does not
cover, unsure parses, follow-ups, talking to a person, small talk, very long messages, and the
record of what went unanswered."""
from __future__ import annotations

import json
import sqlite3

import pytest

from actions.knowledge import KnowledgeBase
from bot.channels import MAX_MESSAGE_CHARS
from tests.integration.conftest import Conversation, custom_of
from tools.servers import Assistant


def slot_values(assistant: Assistant, sender: str, slot: str) -> list[object]:
    """Every value the conversation's tracker store recorded for a slot, in order."""
    with sqlite3.connect(assistant.log_dir / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' "
                          "ORDER BY id", (sender,)).fetchall()
    events = [json.loads(row[0]) for row in rows]
    return [e["value"] for e in events if e.get("name") == slot]


@pytest.mark.integration
@pytest.mark.parametrize(("text", "subject"), [
    ("can he get DLA now he has an EHCP?", "benefits and allowances"),
    ("will the council pay for a taxi to his special school", "school transport"),
    ("my daughter was excluded for a week, what are my rights", "exclusions and suspensions"),
])
def test_send_subjects_the_guidance_does_not_cover_are_declined_by_name(
        kb: KnowledgeBase, conversation: Conversation, text: str, subject: str) -> None:
    messages = conversation.say(text, "sefton")
    assert custom_of(messages)["topic"] == "out_of_scope"
    assert messages[0]["text"] == kb.phrases["out_of_scope_subject"].format(subject=subject)


@pytest.mark.integration
@pytest.mark.parametrize("text", ["what's the forecast for the weekend",
                                  "where can I recycle old paint tins",
                                  "recommend a good film for tonight"])
def test_everyday_questions_are_declined_not_guessed(kb: KnowledgeBase, assistant: Assistant,
                                                      conversation: Conversation,
                                                      text: str) -> None:
    messages = conversation.say(text, "havering")
    assert custom_of(messages)["topic"] == "out_of_scope"
    assert messages[0]["text"] == kb.phrases["out_of_scope"]


@pytest.mark.integration
def test_an_unsure_question_gets_did_you_mean_and_is_recorded_for_the_content_team(
        assistant: Assistant, conversation: Conversation) -> None:
    text = "difference between the register and a plan"
    messages = conversation.say(text, "sefton")
    custom = custom_of(messages)
    assert custom["topic"] == "suggestions"
    assert "sen_support" in custom["suggested"]
    assert messages[0]["buttons"][-1]["payload"] == "/help"
    record, = slot_values(assistant, conversation.sender, "unanswered")
    assert isinstance(record, dict)
    assert record["text"] == text and record["outcome"] == "suggestions"
    assert record["suggested"] == custom["suggested"]
    assert record["predictions"] and all(0 <= p["confidence"] <= 1
                                         for p in record["predictions"])


@pytest.mark.integration
def test_a_declined_question_is_recorded_too(assistant: Assistant,
                                             conversation: Conversation) -> None:
    conversation.say("is there free school transport for him", "sefton")
    record, = slot_values(assistant, conversation.sender, "unanswered")
    assert isinstance(record, dict)
    assert record["outcome"] == "out_of_scope"
    assert record["subject"] == "school transport"


@pytest.mark.integration
def test_follow_ups_refer_to_the_last_answer(kb: KnowledgeBase,
                                             conversation: Conversation) -> None:
    assert custom_of(conversation.say("what is sen support?", "sefton"))["topic"] == "sen_support"
    more = conversation.say("tell me more")
    assert custom_of(more)["topic"] == "sen_support" and custom_of(more)["follow_up"] is True
    assert {b["payload"] for b in more[0]["buttons"]} >= {
        f"/{t}" for t in kb.topics["sen_support"]["sefton"].related}
    havering = conversation.say("what about in Havering?")
    assert (custom_of(havering)["topic"], custom_of(havering)["local_authority"]) == (
        "sen_support", "havering")


@pytest.mark.integration
def test_asking_for_a_person_says_who_to_contact_with_sources(
        kb: KnowledgeBase, conversation: Conversation) -> None:
    messages = conversation.say("can I speak to a real person?", "havering")
    custom = custom_of(messages)
    assert custom["topic"] == "contact" and custom["sources"]
    assert messages[0]["text"].startswith(kb.phrases["contact"])


@pytest.mark.integration
@pytest.mark.parametrize(("text", "starts"), [("are you a robot?", "I'm an automated assistant"),
                                              ("who made you", "I'm an automated assistant"),
                                              ("you are useless", "Sorry I haven't been helpful")])
def test_small_talk_is_short_and_back_on_task(conversation: Conversation, text: str,
                                              starts: str) -> None:
    messages = conversation.say(text, "sefton")
    assert len(messages) == 1 and messages[0]["text"].startswith(starts)
    assert "help" in messages[0]["text"]


@pytest.mark.integration
def test_a_100_kb_message_is_answered_and_only_its_first_part_kept(
        kb: KnowledgeBase, assistant: Assistant, conversation: Conversation) -> None:
    text = "what is sen support? " + "he struggles with reading and writing at school. " * 2100
    assert len(text.encode()) > 100_000
    messages = conversation.say(text, "sefton")
    assert messages[0]["text"] == kb.phrases["long_message"]
    assert custom_of(messages[1:])["topic"]
    with sqlite3.connect(assistant.log_dir / "tracker.db") as db:
        stored, = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = "
                             "'user'", (conversation.sender,)).fetchone()
    assert len(json.loads(stored)["text"]) <= MAX_MESSAGE_CHARS


@pytest.mark.integration
def test_a_many_part_message_answers_one_part_and_offers_the_others(
        conversation: Conversation) -> None:
    messages = conversation.say("We think our son needs an educational psychologist. What does "
                                "the SENCO do in school?", "sefton")
    # one part is answered (the story's weighs as much as the question's: reading the question
    # alone lost more realistic questions than it won) and the other is the first button
    parts = {"senco_role", "external_professionals"}
    answered = custom_of(messages)["topic"]
    assert answered in parts
    assert messages[0]["buttons"][0]["payload"] == f"/{(parts - {answered}).pop()}"


@pytest.mark.integration
def test_the_council_the_person_chose_holds_over_the_pages_on_later_turns(
        conversation: Conversation) -> None:
    # The page (metadata) says Sefton on every turn; once the person says Havering, Havering
    # holds for every later message until they change it again.
    def topic_and_council(text: str) -> tuple[str, str]:
        custom = custom_of(conversation.say(text, "sefton"))
        return custom["topic"], custom.get("local_authority")

    assert topic_and_council("what is sen support?") == ("sen_support", "sefton")
    assert topic_and_council("what about in Havering?") == ("sen_support", "havering")
    assert topic_and_council("tell me more") == ("sen_support", "havering")
    assert topic_and_council("/quality_first_teaching") == ("quality_first_teaching",
                                                              "havering")
    assert topic_and_council("/senco_role") == ("senco_role", "havering")
    assert topic_and_council("what about in Sefton?") == ("senco_role", "sefton")
    assert topic_and_council("/sen_support") == ("sen_support", "sefton")
