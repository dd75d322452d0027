"""Each custom action on a Tracker built from a dict: the exact messages and events it returns."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as acts
from actions import answers, decision
from actions.settings import settings
from actions.store import KnowledgeStore
from tests.conftest import Pack


def make_tracker(intent: str = "greet", *, entities: list[dict[str, Any]] | None = None,
                 metadata: dict[str, Any] | None = None, slots: dict[str, Any] | None = None,
                 events: list[dict[str, Any]] | None = None,
                 ranking: list[dict[str, Any]] | None = None, text: str = "...",
                 parsed: dict[str, Any] | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99},
              "entities": entities or [], "metadata": metadata or {},
              "intent_ranking": ranking or [], **(parsed or {})}
    return Tracker.from_dict({
        "sender_id": "test-conversation", "slots": slots or {}, "latest_message": latest,
        "events": events or [], "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen"})


def run(action: acts.KnowledgeAction, tracker: Tracker) -> tuple[list[dict[str, Any]], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def unanswered_record(events: list) -> dict[str, Any]:
    """The value of the one `unanswered` slot event among an action's events."""
    values = [e["value"] for e in events if e.get("name") == "unanswered"]
    assert len(values) == 1, events
    return values[0]


def council_entity(name: str) -> dict[str, Any]:
    return {"entity": "council", "value": name, "start": 0, "end": len(name)}


@pytest.fixture(autouse=True)
def no_default_council(monkeypatch) -> None:
    monkeypatch.delenv("SEND_DEFAULT_COUNCIL", raising=False)


def test_a_topic_is_answered_for_the_council_in_the_metadata(kb) -> None:
    messages, events = run(acts.ActionUnderstand(),
                           make_tracker("sen_support", metadata={"local_authority": "havering"}))
    expected = answers.compose_answer(kb, "sen_support", "havering")
    assert messages == [{"text": expected.text, "buttons": expected.buttons, "elements": [],
                         "custom": expected.custom, "template": None, "response": None,
                         "image": None, "attachment": None}]
    assert events == [SlotSet("local_authority", "havering"), SlotSet("last_topic", "sen_support"),
                      SlotSet("pending_topic", None)]


def test_a_council_named_in_the_message_beats_the_metadata(kb) -> None:
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "stages_of_support", entities=[council_entity("Havering")],
        metadata={"local_authority": "sefton"}))
    assert messages[0]["custom"]["local_authority"] == "havering"
    assert SlotSet("local_authority", "havering") in events


def test_the_conversations_council_is_used_when_the_message_has_none(kb) -> None:
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "stages_of_support", slots={"local_authority": "havering"}))
    assert messages[0]["custom"]["local_authority"] == "havering"
    assert SlotSet("local_authority", "havering") not in events  # unchanged, not set again


def test_metadata_from_an_earlier_message_is_remembered(kb) -> None:
    earlier = [{"event": "user", "text": "hi", "metadata": {"local_authority": "havering"}}]
    messages, _ = run(acts.ActionUnderstand(), make_tracker("stages_of_support", events=earlier))
    assert messages[0]["custom"]["local_authority"] == "havering"


def test_the_deployment_default_council_is_used_last(kb, monkeypatch) -> None:
    monkeypatch.setenv("SEND_DEFAULT_COUNCIL", "havering")
    messages, _ = run(acts.ActionUnderstand(), make_tracker("stages_of_support"))
    assert messages[0]["custom"]["local_authority"] == "havering"


def test_with_no_council_known_it_asks_and_remembers_the_question(kb) -> None:
    messages, events = run(acts.ActionUnderstand(), make_tracker("stages_of_support"))
    prompt = answers.council_prompt(kb)
    assert messages[0]["text"] == prompt.text and messages[0]["buttons"] == prompt.buttons
    assert events == [SlotSet("pending_topic", "stages_of_support")]


def test_choosing_a_council_answers_the_pending_question(kb) -> None:
    messages, events = run(acts.ActionChooseCouncil(), make_tracker(
        "inform_council", entities=[council_entity("havering")],
        slots={"pending_topic": "stages_of_support"}))
    assert messages[0]["text"] == kb.phrases["council_chosen"].format(council="Havering")
    assert messages[1]["custom"]["topic"] == "stages_of_support"
    assert messages[1]["custom"]["local_authority"] == "havering"
    assert events == [SlotSet("local_authority", "havering"), SlotSet("council_chosen", "havering"),
                      SlotSet("last_topic", "stages_of_support"), SlotSet("pending_topic", None)]


def test_an_unknown_council_gets_the_list_of_councils(kb) -> None:
    messages, events = run(acts.ActionChooseCouncil(), make_tracker(
        "inform_council", entities=[council_entity("Camden")]))
    assert messages[0]["text"] == answers.council_prompt(kb, "unknown_council").text
    assert {b["title"] for b in messages[0]["buttons"]} == {"Havering", "Sefton"}
    assert events == []


@pytest.mark.parametrize(("text", "outcome"), [
    ("what does a senco do about sen support", "suggestions"),
    ("what's the weather like tomorrow", "out_of_scope"),
])
def test_an_intent_that_is_not_a_question_is_read_as_a_message_the_nlu_is_unsure_of(
        kb, text, outcome) -> None:
    # Rasa's core fallback sends such a turn to action_understand too: never an error
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "greet", text=text, ranking=[{"name": "greet", "confidence": 0.4}]))
    assert messages[0]["custom"]["topic"] == outcome


UNSURE_RANKING = [{"name": "nlu_fallback", "confidence": 0.5},
                  {"name": "sen_support", "confidence": 0.3}, {"name": "greet", "confidence": 0.2},
                  {"name": "senco_role", "confidence": 0.1},
                  {"name": "local_offer", "confidence": 0.05},
                  {"name": "provision_maps", "confidence": 0.01}]


def test_low_confidence_offers_three_topics_ranked_by_the_nlu_and_the_words(kb) -> None:
    weak = [{**r, "confidence": r["confidence"] / 2} if r["name"] == "sen_support" else r
            for r in UNSURE_RANKING]  # below SURE_WITH_TOP_WORDS
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "nlu_fallback", ranking=weak, metadata={"local_authority": "sefton"},
        text="is he on the sen register or not"))
    suggested = messages[0]["custom"]["suggested"]
    assert messages[0]["custom"]["topic"] == "suggestions"
    assert suggested[0] == "sen_support" and len(suggested) == 3
    assert [b["payload"] for b in messages[0]["buttons"]] == [*(f"/{t}" for t in suggested),
                                                             "/help"]
    record = unanswered_record(events)
    assert record["text"] == "is he on the sen register or not"
    assert record["outcome"] == "suggestions" and record["suggested"] == suggested
    assert record["predictions"][0] == {"intent": "sen_support", "confidence": 0.15}


def test_an_unsure_guess_the_words_also_put_first_is_answered(kb) -> None:
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "nlu_fallback", ranking=UNSURE_RANKING, metadata={"local_authority": "sefton"},
        text="is he on the sen register or not"))
    assert messages[0]["custom"]["topic"] == "sen_support"  # 0.3, and the best word match


def test_two_topics_nearly_tied_get_did_you_mean_even_when_the_words_pick_one(kb) -> None:
    tied = [{"name": "nlu_fallback", "confidence": 0.35}, {"name": "sen_support",
                                                           "confidence": 0.4},
            {"name": "stages_of_support", "confidence": 0.38}]
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "nlu_fallback", ranking=tied, metadata={"local_authority": "sefton"},
        text="is he on the sen register or not"))
    assert messages[0]["custom"]["topic"] == "suggestions"
    assert messages[0]["custom"]["suggested"][:2] == ["sen_support", "stages_of_support"]


def test_word_matches_can_outrank_a_weak_nlu_guess(kb) -> None:
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "nlu_fallback", ranking=UNSURE_RANKING, metadata={"local_authority": "sefton"},
        text="educational pyschologist visit"))
    assert messages[0]["custom"]["suggested"][0] == "external_professionals"


def test_low_confidence_without_the_guidances_words_is_declined_not_guessed(kb) -> None:
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "nlu_fallback", ranking=UNSURE_RANKING, text="what's the weather like tomorrow"))
    assert messages[0]["text"] == kb.phrases["out_of_scope"]
    assert messages[0]["custom"]["topic"] == "out_of_scope"
    assert unanswered_record(events)["outcome"] == "out_of_scope"


@pytest.mark.parametrize(("first", "declined"), [
    ("out_of_scope", True),  # its best guess is "not covered": a decline, not weaker guesses
    ("sen_support", False),  # a topic leads: "Did you mean"
])
def test_an_unsure_message_whose_best_guess_is_out_of_scope_is_declined(
        kb, first, declined) -> None:
    second = "sen_support" if first == "out_of_scope" else "out_of_scope"
    ranking = [{"name": "nlu_fallback", "confidence": 0.35}, {"name": first, "confidence": 0.25},
               {"name": second, "confidence": 0.15}, {"name": "senco_role", "confidence": 0.05}]
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "nlu_fallback", ranking=ranking, metadata={"local_authority": "sefton"},
        text="is the sen register the same as the send support list the school keeps"))
    assert (messages[0]["custom"]["topic"] == "out_of_scope") is declined
    assert unanswered_record(events)["outcome"] == ("out_of_scope" if declined else "suggestions")


@pytest.mark.parametrize("text, subject", [
    ("does the council pay for a taxi to school", "school transport"),
    ("can I claim DLA for him", "benefits and allowances"),
    ("my son has been excluded for 3 days", "exclusions and suspensions"),
])
def test_a_subject_the_guidance_does_not_cover_is_declined_even_if_the_nlu_chose_a_topic(
        kb, text, subject) -> None:
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "ehcp_what_it_can_do", text=text, metadata={"local_authority": "sefton"}))
    assert messages[0]["text"] == kb.phrases["out_of_scope_subject"].format(subject=subject)
    assert messages[0]["custom"] == {"topic": "out_of_scope", "local_authority": "sefton",
                                     "sources": [], "subject": subject}
    assert SlotSet("last_topic", "ehcp_what_it_can_do") not in events
    assert unanswered_record(events)["subject"] == subject


def test_a_decline_offers_the_topics_the_message_also_named(kb) -> None:
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "out_of_scope", text="is there school transport for a child with an ehc plan"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads and all(p.lstrip("/") in kb.topics for p in payloads)


def test_out_of_scope_is_declined_with_its_topic(kb) -> None:
    messages, _ = run(acts.ActionUnderstand(), make_tracker("out_of_scope"))
    assert messages[0]["text"] == kb.phrases["out_of_scope"]
    assert messages[0]["custom"]["topic"] == "out_of_scope"


@pytest.mark.parametrize(("topic", "confidence", "text", "expected"), [
    ("senco_role", 0.98, "how do I pay my council tax", decision.ANSWER),  # sure: trusted
    ("senco_role", 0.9, "how do I pay my council tax", decision.DECLINE),  # no SEND words
    ("senco_role", 0.5, "", decision.ANSWER),  # a button: always answered
    ("sen_support", 0.7, "how do I register to vote", decision.DECLINE),  # no SEND words
    ("senco_role", 0.7, "what does the sendco do", decision.ANSWER),
    ("senco_role", 0.5, "what does the sendco do", decision.ANSWER),  # the words agree
    ("provision_maps", 0.5, "what does the sendco do", decision.CHOICES),  # they do not
])
def test_a_topic_the_nlu_chose_is_answered_only_when_sure_or_the_words_agree(
        kb, topic, confidence, text, expected) -> None:
    from actions import search

    assert decision.verdict(search.index(kb), topic, confidence, text,
                            settings().answer) == expected


def test_a_message_naming_other_topics_offers_them_first(kb) -> None:
    text = ("My daughter is 9 and finds reading hard. What does the SENCO do, "
            "and should we ask an educational psychologist to see her?")
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "senco_role", text=text, metadata={"local_authority": "sefton"}))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert messages[0]["custom"]["topic"] == "senco_role"
    assert "/senco_role" not in payloads
    assert payloads[0] == "/external_professionals"


def test_what_about_another_council_answers_the_last_topic_for_it(kb) -> None:
    messages, events = run(acts.ActionChooseCouncil(), make_tracker(
        "inform_council", text="what about in Havering?", entities=[
            {"entity": "council", "value": "Havering", "start": 14, "end": 22}],
        slots={"local_authority": "sefton", "last_topic": "sen_support"}))
    assert messages[1]["custom"]["topic"] == "sen_support"
    assert messages[1]["custom"]["local_authority"] == "havering"
    assert SlotSet("local_authority", "havering") in events


def test_a_terse_question_naming_a_council_is_answered_for_that_council(kb) -> None:
    text = "EP referral havering"
    messages, events = run(acts.ActionChooseCouncil(), make_tracker(
        "inform_council", text=text, entities=[
            {"entity": "council", "value": "havering", "start": 12, "end": 20}]))
    assert messages[1]["custom"]["topic"] == "external_professionals"
    assert messages[1]["custom"]["local_authority"] == "havering"
    assert SlotSet("local_authority", "havering") in events


def test_a_terse_question_keeps_its_send_terms_when_the_council_is_taken_out(kb) -> None:
    messages, _ = run(acts.ActionChooseCouncil(), make_tracker(
        "inform_council", text="SENCo duties havering", entities=[
            {"entity": "send_term", "value": "SENCo", "start": 0, "end": 5},
            {"entity": "council", "value": "havering", "start": 13, "end": 21}]))
    assert messages[1]["custom"]["topic"] == "senco_role"


def test_just_naming_a_council_sets_it_and_answers_nothing(kb) -> None:
    messages, events = run(acts.ActionChooseCouncil(), make_tracker(
        "inform_council", text="I'm in Havering", entities=[
            {"entity": "council", "value": "havering", "start": 7, "end": 15}]))
    assert len(messages) == 1 and "custom" not in messages[0] or not messages[0]["custom"]
    assert events == [SlotSet("local_authority", "havering"), SlotSet("council_chosen", "havering")]


def test_a_council_chosen_in_the_conversation_holds_over_the_pages_council(kb) -> None:
    # "what about in Havering?" on Sefton's page, then "tell me about SEN support": Havering's
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "sen_support", metadata={"local_authority": "sefton"},
        slots={"local_authority": "havering", "council_chosen": "havering"}))
    assert messages[0]["custom"]["local_authority"] == "havering"
    # until the person names another
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "sen_support", metadata={"local_authority": "sefton"}, entities=[council_entity("sefton")],
        slots={"local_authority": "havering", "council_chosen": "havering"}))
    assert messages[0]["custom"]["local_authority"] == "sefton"
    assert SlotSet("council_chosen", "sefton") in events


def test_tell_me_more_offers_the_topics_related_to_the_last_answer(kb) -> None:
    messages, _ = run(acts.ActionFollowUp(), make_tracker(
        "follow_up", slots={"last_topic": "sen_support", "local_authority": "sefton"}))
    related = kb.topics["sen_support"]["sefton"].related
    assert messages[0]["text"] == kb.phrases["follow_up_more"].format(
        title=kb.title("sen_support", "sefton"))
    assert [b["payload"] for b in messages[0]["buttons"]][:len(related)] == [
        f"/{t}" for t in related]
    assert messages[0]["custom"]["topic"] == "sen_support"


def test_tell_me_more_before_any_answer_shows_the_topics(kb) -> None:
    messages, _ = run(acts.ActionFollowUp(), make_tracker("follow_up"))
    assert messages[0]["text"] == kb.phrases["follow_up_none"]
    assert messages[0]["buttons"] == answers.menu(kb, None).buttons


def test_asking_for_a_person_says_who_the_guidance_points_to_with_sources(kb) -> None:
    messages, _ = run(acts.ActionContact(), make_tracker(
        "contact", metadata={"local_authority": "havering"}))
    custom = messages[0]["custom"]
    assert messages[0]["text"].startswith(kb.phrases["contact"])
    assert custom["topic"] == "contact" and custom["local_authority"] == "havering"
    expected = [s.as_payload() for t in ("senco_role", "local_offer")
                for s in answers.pick_file(kb, t, "havering").sources]
    assert custom["sources"] == expected
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/senco_role", "/local_offer"]


def test_a_cut_message_is_told_so_before_the_answer(kb) -> None:
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "sen_support", metadata={"local_authority": "sefton", "truncated": True}))
    assert messages[0]["text"] == kb.phrases["long_message"]
    assert messages[1]["custom"]["topic"] == "sen_support"


def test_the_menu_lists_every_local_topic_then_opens_the_law_on_its_button(kb) -> None:
    messages, _ = run(acts.ActionShowMenu(), make_tracker("help"))
    buttons = messages[0]["buttons"]
    local = [t for t in kb.topics if set(kb.topics[t]) != {"england"}]
    assert len(buttons) == len(local) + 1
    messages, _ = run(acts.ActionShowMenu(), make_tracker(
        "help", entities=[{"entity": "menu", "value": "law"}]))
    assert {b["payload"] for b in messages[0]["buttons"]} == {
        f"/{t}" for t in kb.topics if t not in local}


def test_a_failure_inside_an_action_gives_the_user_a_message_not_silence(kb, monkeypatch,
                                                                          caplog) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(acts.answers, "compose_answer", broken)
    messages, events = run(acts.ActionUnderstand(),
                           make_tracker("sen_support", metadata={"local_authority": "sefton"}))
    assert [m["text"] for m in messages] == [kb.phrases["error"]]
    assert events == [] and "boom" in caplog.text


def test_unloadable_knowledge_gives_the_user_a_message_not_silence(pack: Pack,
                                                                   monkeypatch) -> None:
    pack.edit("testshire/support.md", "id: support", "id: wrong")
    monkeypatch.setattr(acts, "STORE", KnowledgeStore(pack.root))
    messages, events = run(acts.ActionUnderstand(), make_tracker("support"))
    assert [m["text"] for m in messages] == [acts.LAST_RESORT_ERROR]
    assert events == []


# --- decision flows through the actions (toy pack: topic `support` starts `toy_flow`) ----------

@pytest.fixture
def toy_store(pack: Pack, monkeypatch) -> KnowledgeStore:
    pack.add_flow()
    store = KnowledgeStore(pack.root)
    monkeypatch.setattr(acts, "STORE", store)
    return store


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 1}


def test_a_topic_that_starts_a_flow_starts_it(toy_store) -> None:
    messages, events = run(acts.ActionUnderstand(), make_tracker(
        "support", metadata={"local_authority": "testshire", "role": "parent"}))
    assert messages[0]["custom"]["topic"] == "toy_flow"
    assert messages[0]["custom"]["step"] == "q1"
    state = next(e["value"] for e in events if e["name"] == "flow_state")
    assert state["node"] == "q1" and SlotSet("role", "parent") in events


def test_a_topic_answer_offers_its_flow_and_a_way_back_to_one_in_progress(toy_store) -> None:
    waiting = {"council": "testshire", "flow": "toy_flow", "node": "q1", "history": []}
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "teaching", metadata={"local_authority": "testshire"}, slots={"flow_state": waiting}))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0] == "/flow_resume"
    assert '/start_flow{"flow": "toy_flow"}' in payloads


def test_another_councils_flow_is_offered_labelled_as_theirs(toy_store) -> None:
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "teaching", metadata={"local_authority": "camden"}))
    offer = next(b for b in messages[0]["buttons"] if b["payload"].startswith("/start_flow"))
    assert offer["title"] == "Walk me through it: Toy flow (Testshire's guidance)"


@pytest.mark.parametrize(("intent", "entities", "text", "step"), [
    ("flow_answer", [entity("flow_answer", "no")], "/flow_answer", "out_no"),
    ("affirm", [], "yes she is", "q2"),
    ("flow_resume", [], "carry on", "q1"),
])
def test_the_flow_action_takes_answers_and_navigation(toy_store, intent, entities, text,
                                                     step) -> None:
    waiting = {"council": "testshire", "flow": "toy_flow", "node": "q1", "history": []}
    tracker = make_tracker(intent, entities=entities, slots={"flow_state": waiting})
    tracker.latest_message["text"] = text
    messages, events = run(acts.ActionRunFlow(), tracker)
    assert step in [m["custom"]["step"] for m in messages if m.get("custom")]


def test_stop_clears_the_flow(toy_store) -> None:
    waiting = {"council": "testshire", "flow": "toy_flow", "node": "q1", "history": []}
    messages, events = run(acts.ActionRunFlow(), make_tracker(
        "flow_stop", slots={"flow_state": waiting}))
    assert events == [SlotSet("flow_state", None)]


def test_a_typed_role_sets_the_role_and_begins_the_waiting_flow(toy_store) -> None:
    waiting = {"council": "testshire", "flow": "toy_flow", "node": None, "history": [],
               "awaiting_role": True}
    tracker = make_tracker("choose_role", slots={"flow_state": waiting})
    tracker.latest_message["text"] = "I'm a family support worker"
    messages, events = run(acts.ActionRunFlow(), tracker)
    assert SlotSet("role", "professional") in events
    assert messages[0]["text"].endswith("Is the child on the register?")


def test_a_start_flow_button_starts_that_flow(toy_store) -> None:
    messages, events = run(acts.ActionRunFlow(), make_tracker(
        "start_flow", entities=[entity("flow", "toy_flow")],
        metadata={"local_authority": "testshire", "role": "parent"}))
    assert messages[0]["custom"]["step"] == "q1"


def test_an_unsure_parse_mid_flow_is_tried_as_the_flows_answer(toy_store) -> None:
    waiting = {"council": "testshire", "flow": "toy_flow", "node": "q1", "history": []}
    tracker = make_tracker("nlu_fallback", slots={"flow_state": waiting})
    tracker.latest_message["text"] = "not sure"
    messages, events = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["text"] == "Ask the SENCO."
    assert SlotSet("flow_state", None) in events


def test_an_unsure_parse_mid_flow_that_is_no_answer_offers_to_carry_on(toy_store) -> None:
    waiting = {"council": "testshire", "flow": "toy_flow", "node": "q1", "history": []}
    tracker = make_tracker("nlu_fallback", slots={"flow_state": waiting},
                           ranking=[{"name": "support", "confidence": 0.3}])
    tracker.latest_message["text"] = "purple elephants"
    messages, events = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["buttons"][0]["payload"] == "/flow_resume"
    assert unanswered_record(events)["outcome"] == "out_of_scope"


def safeguarding_tracker(text: str, level: str | None, ranking: list[dict[str, Any]],
                         intent: str = "safeguarding", **found: Any) -> Tracker:
    tracker = make_tracker(intent, metadata={"local_authority": "sefton"}, ranking=ranking,
                           text=text)
    tracker.latest_message["safeguarding"] = {"level": level, "signals": ["x"],
                                              "categories": ["self_harm"], "at_risk": ["child"],
                                              "cancelled": [], "professional": False,
                                              "spans": [], **found}
    return tracker


def test_the_crisis_reply_is_fixed_first_and_records_why_without_the_text(kb) -> None:
    messages, events = run(acts.ActionUnderstand(), safeguarding_tracker(
        "I think he wants to die", "crisis", [{"name": "safeguarding", "confidence": 1.0}]))
    assert messages[0]["text"] == kb.safeguarding.reply
    assert "999" in messages[0]["text"]
    assert messages[0]["custom"] == {"topic": "safeguarding", "level": "crisis",
                                     "local_authority": "sefton", "sources": []}
    assert len(messages) == 1
    record = next(e["value"] for e in events if e.get("name") == "safeguarding")
    assert record["level"] == "crisis" and record["signals"] == ["x"]
    assert "die" not in str(record)


def test_a_send_question_beside_a_crisis_is_answered_after_the_signpost(kb) -> None:
    text = "she has been cutting herself. can she get an EHC plan, what can an ehcp do?"
    start = text.index("cutting")
    messages, events = run(acts.ActionUnderstand(), safeguarding_tracker(
        text, "crisis", [{"name": "safeguarding", "confidence": 1.0},
                         {"name": "ehcp_what_it_can_do", "confidence": 0.9}],
        spans=[[start, start + len("cutting herself")]]))
    assert messages[0]["text"] == kb.safeguarding.reply
    assert messages[1]["custom"]["topic"] == "ehcp_what_it_can_do"
    assert SlotSet("last_topic", "ehcp_what_it_can_do") in events


def test_a_crisis_with_no_send_question_gets_the_signpost_alone(kb) -> None:
    messages, _ = run(acts.ActionUnderstand(), safeguarding_tracker(
        "he has run away and we can't find him", "crisis",
        [{"name": "safeguarding", "confidence": 1.0}, {"name": "sen_support", "confidence": 0.1}],
        spans=[[0, 20]]))
    assert [m["custom"]["topic"] for m in messages] == ["safeguarding"]


@pytest.mark.parametrize(("leader", "then"), [
    ("out_of_scope", "out_of_scope"),  # the decline it would have had, with where to look
    ("sen_support", "suggestions"),  # or the choices it would have had
])
def test_the_softer_signpost_is_followed_by_what_the_question_would_otherwise_get(
        kb, leader, then) -> None:
    text = "the school SENCO says his SEN support is fine but his reading is worse and I am lost"
    messages, events = run(acts.ActionUnderstand(), safeguarding_tracker(
        text, "concern", [{"name": "safeguarding", "confidence": 1.0},
                          {"name": leader, "confidence": 0.25},
                          {"name": "sen_support" if leader != "sen_support" else "senco_role",
                           "confidence": 0.2}]))
    assert messages[0]["text"] == kb.safeguarding.soft_reply
    assert len(messages) == 2
    second = messages[1]
    assert (second["custom"]["topic"] == "out_of_scope") is (then == "out_of_scope")
    assert (second["custom"]["topic"] == "suggestions") is (then == "suggestions")
    # the signpost is given once, in its own reply, not again in the next
    assert kb.safeguarding.signpost_line not in second["text"]
    assert any(e.get("name") == "unanswered" for e in events if isinstance(e, dict))


@pytest.mark.parametrize(("level", "professional", "reply", "topic"), [
    ("crisis", True, "professional_reply", "safeguarding"),
    ("concern", False, "soft_reply", "safeguarding"),
    ("procedure", True, "procedure_reply", "safeguarding_procedure"),
])
def test_each_level_gets_its_own_wording(kb, level, professional, reply, topic) -> None:
    messages, _ = run(acts.ActionUnderstand(), safeguarding_tracker(
        "...", level, [{"name": "safeguarding", "confidence": 1.0}], professional=professional))
    assert messages[0]["text"] == getattr(kb.safeguarding, reply)
    assert messages[0]["custom"]["topic"] == topic


def test_a_decline_of_a_message_with_a_safeguarding_signal_carries_the_signpost(kb) -> None:
    tracker = safeguarding_tracker("purple elephants are in danger of being cut", None,
                                   [{"name": "out_of_scope", "confidence": 0.9}],
                                   intent="out_of_scope", cancelled=["figure_of_speech"])
    messages, _ = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["text"].startswith(kb.safeguarding.signpost_line)
    plain, _ = run(acts.ActionUnderstand(), make_tracker("out_of_scope", text="bins"))
    assert kb.safeguarding.signpost_line not in plain[0]["text"]


@pytest.mark.parametrize(("cancelled", "signposted"), [
    (["check"], True),  # harm words the learned check read as ordinary: unsure, so signposted
    (["figure_of_speech"], False),  # the file's own figure of speech: just the answer
])
def test_an_answer_starts_with_the_signpost_only_when_the_crisis_check_overruled_a_signal(
        kb, cancelled, signposted) -> None:
    tracker = safeguarding_tracker("what should a childminder do if a child goes missing",
                                   None, [{"name": "sen_support", "confidence": 0.9}],
                                   intent="sen_support", cancelled=cancelled)
    messages, _ = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["text"].startswith(kb.safeguarding.signpost_line) is signposted
    assert messages[0]["custom"]["topic"] == "sen_support"
    assert len([m for m in messages if kb.safeguarding.signpost_line in m["text"]]) == signposted


def test_an_error_reply_to_a_message_with_a_safeguarding_signal_carries_the_signpost(
        kb, monkeypatch) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(acts, "answer_topic", broken)
    tracker = safeguarding_tracker("she has been cutting herself, what is sen support?",
                                   "crisis", [{"name": "safeguarding", "confidence": 1.0},
                                              {"name": "sen_support", "confidence": 0.95}])
    messages, _ = run(acts.ActionUnderstand(), tracker)
    assert messages[-1]["text"].startswith(kb.safeguarding.signpost_line)


def test_a_message_with_personal_details_gets_a_reminder_first(kb) -> None:
    tracker = make_tracker("sen_support", metadata={"local_authority": "sefton",
                                                    "redacted": ["email address"]})
    messages, _ = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["text"] == kb.phrases["privacy_reminder"]
    assert messages[1]["custom"]["topic"] == "sen_support"


def test_was_this_helpful_is_recorded_against_the_buttons_topic(kb) -> None:
    messages, events = run(acts.ActionRecordFeedback(), make_tracker(
        "feedback_no", entities=[{"entity": "topic", "value": "sen_support"}],
        slots={"last_topic": "senco_role"}))
    assert messages[0]["text"] == kb.phrases["feedback_thanks"]
    assert events == [SlotSet("feedback", {"topic": "sen_support", "helpful": False})]


def test_typed_feedback_is_recorded_against_the_last_answer(kb) -> None:
    _, events = run(acts.ActionRecordFeedback(), make_tracker(
        "feedback_yes", slots={"last_topic": "senco_role"}))
    assert events == [SlotSet("feedback", {"topic": "senco_role", "helpful": True})]


def test_feedback_about_no_known_topic_is_thanked_but_not_recorded(kb) -> None:
    messages, events = run(acts.ActionRecordFeedback(), make_tracker(
        "feedback_yes", entities=[{"entity": "topic", "value": "<script>"}]))
    assert messages[0]["text"] == kb.phrases["feedback_thanks"] and events == []



@pytest.mark.parametrize(("text", "metadata", "parsed"), [
    ("what is stage 2 support", {"local_authority": "havering", "role": "professional"}, {}),
    # the NLU's safeguarding component marks how a message reads (tests/test_safeguarding.py)
    ("SENCO here: what is stage 2 support", {"local_authority": "havering"},
     {"writer": "professional"}),
])
def test_a_professional_is_told_about_the_child_not_your_child(kb, text, metadata,
                                                               parsed) -> None:
    assert "your child" in answers.compose_answer(kb, "sen_support", "havering").text.lower()
    messages, _ = run(acts.ActionUnderstand(), make_tracker("sen_support", text=text,
                                                            metadata=metadata, parsed=parsed))
    assert messages[0]["custom"]["topic"] == "sen_support"
    assert "your child" not in messages[0]["text"].lower() and "the child" in messages[0]["text"]


@pytest.mark.parametrize(("text", "outcome"), [
    ("what's the weather like tomorrow", "out_of_scope"),  # the decline names the SENCO
    ("help with the plan for his support at school", "suggestions"),
])
def test_a_professional_declined_or_offered_choices_is_not_told_about_your_child(
        kb, text, outcome) -> None:
    unsure = [{"name": "nlu_fallback", "confidence": 0.35}, {"name": "sen_support",
                                                             "confidence": 0.2},
              {"name": "ehcp_what_it_can_do", "confidence": 0.19}]
    for role, expect_yours in (("parent", outcome == "out_of_scope"), ("professional", False)):
        messages, _ = run(acts.ActionUnderstand(), make_tracker(
            "nlu_fallback", text=text, ranking=unsure,
            metadata={"local_authority": "sefton", "role": role}))
        assert messages[0]["custom"]["topic"] == outcome
        assert ("your child" in messages[0]["text"].lower()) is expect_yours, messages[0]["text"]


def test_a_parent_is_still_told_about_your_child(kb) -> None:
    messages, _ = run(acts.ActionUnderstand(), make_tracker(
        "sen_support", text="what is stage 2 support", metadata={"local_authority": "havering"}))
    assert "your child" in messages[0]["text"].lower()
    assert answers.for_professional("Your child's SENCO and your child") == \
        "The child's SENCO and the child"
