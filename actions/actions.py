"""Rasa custom actions: thin wrappers that read the tracker, call the pure helpers, send replies.

Every action catches its own failures, logs them and tells the user something went wrong,
so a user never sees silence or a stack trace.
"""
from __future__ import annotations

import logging
import os
import threading
from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers, flow_runner, respond, search
from actions.councils import choose_council, match_council, mentioned_council
from actions.decision import (
    ANSWER,
    ASK_COUNCIL,
    CHOICES,
    DECLINE,
    FLOW_ANSWER,
    SAFEGUARD,
    Decision,
    Turn,
    ranking_of,
    terse_question,
    understand,
)
from actions.knowledge import KnowledgeBase
from actions.paths import KNOWLEDGE_DIR
from actions.safeguarding import CHECK_CANCELLED, CONCERN, CRISIS, PROCEDURE
from actions.settings import settings
from actions.store import KnowledgeStore

log = logging.getLogger(__name__)

STORE = KnowledgeStore(KNOWLEDGE_DIR)
"""The knowledge every action answers from; loaded on first use, reloaded on change."""


LAST_RESORT_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
"""Said only when even the knowledge (and so its phrases) cannot be loaded."""


def default_council() -> str | None:
    """The deployment's default council (`SEND_DEFAULT_COUNCIL`), if it sets one."""
    return os.environ.get("SEND_DEFAULT_COUNCIL") or None


class KnowledgeAction(Action, metaclass=ABCMeta):
    """Base of the actions below: loads knowledge, catches failures at the boundary.

    Abstract, so the action server does not register it as an action of its own.
    """

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @abstractmethod
    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        """The action's own work: send replies and return events."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        try:
            kb = STORE.get()
        except Exception:
            log.exception("%s: knowledge could not be loaded", self.name())
            dispatcher.utter_message(text=LAST_RESORT_ERROR)
            return []
        try:
            metadata = tracker.latest_message.get("metadata") or {}
            if tracker.latest_action_name == "action_listen":
                if metadata.get("redacted"):
                    dispatcher.utter_message(text=kb.phrases["privacy_reminder"])
                if metadata.get("truncated"):
                    dispatcher.utter_message(text=kb.phrases["long_message"])
            return self.answer(kb, dispatcher, tracker)
        except Exception:
            log.exception("%s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=with_signpost(kb, tracker, kb.phrases["error"]))
            return []


def send(dispatcher: CollectingDispatcher, reply: answers.Reply) -> None:
    """Send a Reply: its text and buttons, with its custom payload alongside."""
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons, json_message=reply.custom)


def safeguarding_signal(tracker: Tracker) -> dict[str, Any] | None:
    """What the NLU's safeguarding component found in the latest message (bot.safeguarding:
    level, signal ids, categories, who is at risk), or None when it found nothing."""
    found = tracker.latest_message.get("safeguarding")
    return found if isinstance(found, dict) else None


def with_signpost(kb: KnowledgeBase, tracker: Tracker, text: str) -> str:
    """A decline, "Did you mean" or error text, with the one-line safeguarding signpost first
    when the message showed any safeguarding signal: nobody in crisis is simply turned away."""
    if safeguarding_signal(tracker) is None:
        return text
    return signposted(kb, text)


def signposted(kb: KnowledgeBase, text: str) -> str:
    """The text with the one-line safeguarding signpost first."""
    return f"{kb.safeguarding.signpost_line}\n\n{text}"


def current_council(kb: KnowledgeBase, tracker: Tracker) -> str | None:
    """The council to answer for: named in this message, this message's metadata, the
    conversation's council slot, the latest earlier metadata, then the deployment default."""
    metadata = (tracker.latest_message.get("metadata") or {}).get("local_authority")
    current = tracker.get_slot("local_authority")
    if not metadata and not current:
        current = _earlier_metadata_council(tracker)
    return choose_council(kb, mentioned=list(tracker.get_latest_entity_values("council")),
                          metadata=metadata, current=current, default=default_council(),
                          chosen=tracker.get_slot("council_chosen"))


def _earlier_metadata_council(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") in ("user", "session_started"):
            value = (event.get("metadata") or {}).get("local_authority")
            if value:
                return str(value)
    return None


def _council_events(tracker: Tracker, council: str | None) -> list[EventType]:
    events: list[EventType] = []
    if council and council != tracker.get_slot("local_authority"):
        events.append(SlotSet("local_authority", council))
    named = [str(v) for v in tracker.get_latest_entity_values("council")]
    if (council and named and council != tracker.get_slot("council_chosen")
            and mentioned_council(STORE.get(), named) == council):
        events.append(SlotSet("council_chosen", council))  # chosen in the conversation
    return events


def is_professional(tracker: Tracker) -> bool:
    """Whether the person is a professional, by role or by how they write ("SENCO here...",
    which the NLU's safeguarding component marks as the `writer`): replies written for parents
    then read "the child", not "your child"."""
    role = current_role(tracker)
    return (role or tracker.latest_message.get("writer")) == "professional"


def current_role(tracker: Tracker) -> str | None:
    """`parent` or `professional`: from this message's metadata, else the `role` slot."""
    role = (tracker.latest_message.get("metadata") or {}).get("role") or tracker.get_slot("role")
    return role if role in ("parent", "professional") else None


def latest_text(tracker: Tracker) -> str:
    """What the person typed (already redacted and cut by the channel); "" for a button."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def unanswered(tracker: Tracker, outcome: str, suggested: list[str] | None = None,
               subject: str | None = None, reason: str = "") -> SlotSet:
    """Record a message the assistant could not answer in the conversation (slot
    `unanswered`): its text, what the NLU guessed and how sure it was, what was done and why
    (`reason`: one of actions.decision's codes), so the unanswered-questions report can show
    them. Rasa's `nlu_fallback` replaces the guess."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    kept = settings().choices.max_choices
    return SlotSet("unanswered", {
        "text": tracker.latest_message.get("text") or "",
        "outcome": outcome,
        "subject": subject,
        "reason": reason,
        "suggested": suggested or [],
        "predictions": [{"intent": r.get("name"), "confidence": round(float(r.get("confidence")
                                                                            or 0.0), 4)}
                        for r in ranking if r.get("name") != "nlu_fallback"][:kept],
    })


def _without_councils(tracker: Tracker) -> str:
    """The latest text with the council names the NLU found taken out."""
    text = latest_text(tracker)
    councils = [e for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == "council"]
    for entity in sorted(councils, key=lambda e: -int(e.get("start") or 0)):
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int):
            text = text[:start] + " " + text[end:]
    return text


def answer_topic(kb: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker,
                 topic: str, council: str | None, section: str | None = None
                 ) -> list[EventType]:
    """Answer a topic, or start the decision flow its question starts (respond.topic_response:
    the same replies `send-assistant preview` shows).

    A topic answer also offers a flow about it ("Walk me through it") and, while a flow waits
    for an answer, a button to carry on with it.
    """
    role = current_role(tracker)
    response = respond.topic_response(kb, topic, council, role=role, text=latest_text(tracker),
                                      flow_state=tracker.get_slot("flow_state"), section=section)
    if not response.started_flow and is_professional(tracker):
        for reply in response.replies:
            reply.text = answers.for_professional(reply.text)
    # A harm signal the learned crisis check overruled (bot.safeguarding): the message is
    # answered, but between a crisis and an ordinary question the assistant is unsure, so the
    # answer starts with the one-line signpost.
    found = safeguarding_signal(tracker) or {}
    if CHECK_CANCELLED in (found.get("cancelled") or []) and response.replies:
        response.replies[0].text = signposted(kb, response.replies[0].text)
    for reply in response.replies:
        send(dispatcher, reply)
    events = [*_council_events(tracker, council), SlotSet("last_topic", topic),
              SlotSet("pending_topic", None)]
    if response.started_flow:
        events += [SlotSet("flow_state", response.flow_state),
                   *([SlotSet("role", role)] if role else [])]
    return events


def turn_of(tracker: Tracker, council: str | None) -> Turn:
    """The frozen view of the latest message that the decision reads."""
    message = tracker.latest_message
    intent = message.get("intent") or {}
    return Turn(text=message.get("text") or "", intent=intent.get("name"),
                confidence=float(intent.get("confidence") or 1),
                ranking=ranking_of(message.get("intent_ranking") or []),
                safeguarding=safeguarding_signal(tracker), council=council,
                flow_state=tracker.get_slot("flow_state"))


class ActionUnderstand(KnowledgeAction):
    """The one action for every message the NLU takes for a question: a topic, a subject the
    guidance does not cover, a safeguarding signal, or one it is unsure of (and Rasa's core
    fallback). It asks `actions.decision.understand` what to do and does it: the safeguarding
    reply first, an answer (or the council question first), "Did you mean" choices, a decline
    with a signpost, or the answer a flow was waiting for.

    Reads: the latest message's text, intent, intent ranking and `safeguarding` parse data,
    `council` entities, `metadata.local_authority` and `.role`, slots `local_authority`,
    `council_chosen`, `role`, `flow_state`. Returns: SlotSet `local_authority` (and
    `council_chosen`) when newly known; `last_topic` and `pending_topic` for an answer
    (`pending_topic` set when it must first ask which council); `flow_state` and `role` when
    a flow starts or steps; `unanswered` for choices and declines; `safeguarding` (level,
    signal ids, categories, who is at risk; never the text) for the safeguarding reply.
    """

    def name(self) -> str:
        return "action_understand"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        council = current_council(kb, tracker)
        decision = understand(turn_of(tracker, council), kb, settings())
        log.debug("decision: %s (%s)", decision.outcome, decision.reason)
        return carry_out(kb, dispatcher, tracker, decision, council)


def carry_out(kb: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker,
              decision: Decision, council: str | None) -> list[EventType]:
    """Send the replies a decision calls for and return its events."""
    if decision.outcome == SAFEGUARD:
        events = safeguarding_reply(kb, dispatcher, tracker, decision, council)
        if decision.then is not None:
            events += carry_out(kb, dispatcher, tracker, decision.then, council)
        return events
    if decision.outcome == ANSWER and decision.topic is not None:
        return answer_topic(kb, dispatcher, tracker, decision.topic, council, decision.section)
    if decision.outcome == ASK_COUNCIL:
        send(dispatcher, answers.council_prompt(kb))
        return [SlotSet("pending_topic", decision.topic)]
    if decision.outcome == FLOW_ANSWER:
        step = flow_runner.answer(kb, tracker.get_slot("flow_state"), current_role(tracker),
                                  answer_id=None, intent=None,
                                  text=tracker.latest_message.get("text") or "")
        for reply in step.replies:
            send(dispatcher, reply)
        return [SlotSet("flow_state", step.state)]
    if decision.outcome == CHOICES:
        return offer_choices(kb, dispatcher, tracker, decision, council)
    if decision.outcome != DECLINE:
        log.warning("unknown decision %r: declined", decision.outcome)
    return decline(kb, dispatcher, tracker, decision, council)


def decline(kb: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker,
            decision: Decision, council: str | None) -> list[EventType]:
    """Say kindly that the guidance does not cover this and where to look; offer any topics
    the message also named; record it as unanswered."""
    reply = answers.out_of_scope(kb, council, decision.subject, list(decision.choices))
    return send_unanswered(kb, dispatcher, tracker, reply, decision, council, unanswered(
        tracker, "out_of_scope", subject=decision.subject, reason=decision.reason))


def offer_choices(kb: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker,
                  decision: Decision, council: str | None) -> list[EventType]:
    """"Did you mean" the decision's choices, with "Something else" and the flow to carry on
    with (the menu when there are none); record the message as unanswered."""
    ranked = list(decision.choices)
    reply = answers.suggestions(kb, ranked, council) if ranked else answers.menu(kb, council)
    return send_unanswered(kb, dispatcher, tracker, reply, decision, council, unanswered(
        tracker, "suggestions", suggested=ranked, reason=decision.reason))


def send_unanswered(kb: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker,
                    reply: answers.Reply, decision: Decision, council: str | None,
                    record: SlotSet) -> list[EventType]:
    """Send a decline or "Did you mean": the one-line safeguarding signpost first when the
    message showed any signal (unless the decision says it was just given), and a button back
    to a flow in progress first among the buttons; then the council's events and `record`."""
    if is_professional(tracker):
        reply.text = answers.for_professional(reply.text)
    if decision.signpost:
        reply.text = with_signpost(kb, tracker, reply.text)
    resume = flow_runner.resume_button(kb, tracker.get_slot("flow_state"))
    if resume is not None:
        reply.buttons.insert(0, resume)
    send(dispatcher, reply)
    return [*_council_events(tracker, council), record]


def safeguarding_reply(kb: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker,
                       decision: Decision, council: str | None) -> list[EventType]:
    """The safeguarding reply (knowledge/safeguarding.yml), before anything else: the fixed
    crisis reply (worded for a professional when they are one), the softer signpost, or a
    professional's safeguarding route when they ask what to do; recorded (why, never the
    text) in the `safeguarding` slot."""
    found = safeguarding_signal(tracker) or {"level": CRISIS, "signals": ["learned"]}
    level = decision.level or CRISIS
    professional = bool(found.get("professional")) or current_role(tracker) == "professional"
    sg = kb.safeguarding
    if level == PROCEDURE:
        text, topic = sg.procedure_reply, "safeguarding_procedure"
    elif level == CONCERN:
        text, topic = sg.soft_reply, "safeguarding"
    else:
        text, topic = (sg.professional_reply if professional else sg.reply), "safeguarding"
    contacts = sg.contact_lines(council)
    if contacts and level != PROCEDURE:
        text = text + "\n\n" + "\n".join(f"- {line}" for line in contacts)
    reply = answers.Reply(text=text, custom={
        "topic": topic, "level": level, "local_authority": council, "sources": []})
    resume = flow_runner.resume_button(kb, tracker.get_slot("flow_state"))
    if resume is not None:
        reply.buttons.append(resume)
    send(dispatcher, reply)
    return [SlotSet("safeguarding", {k: v for k, v in found.items() if k != "spans"})]


class ActionChooseCouncil(KnowledgeAction):
    """Set the conversation's council from "I'm in Havering" (or a council button).

    A terse question that names a council ("EHCNA criteria sefton") is answered (or gets "Did
    you mean") from the word search, for that council.

    Reads: `council` entities, the text, slots `pending_topic`, `last_topic`,
    `local_authority`. Returns: SlotSet `local_authority`, and answers the pending topic if the
    council was asked for one, else the last topic answered if the council changed ("what about
    in Havering?") (SlotSet `last_topic`, `pending_topic`).
    """

    def name(self) -> str:
        return "action_choose_council"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        council = next((c for name in tracker.get_latest_entity_values("council")
                        if (c := match_council(kb, name))), None)
        if council is None:
            send(dispatcher, answers.council_prompt(kb, "unknown_council"))
            return []
        dispatcher.utter_message(text=kb.phrases["council_chosen"].format(
            council=kb.council_name(council)))
        decided = terse_question(turn_of(tracker, council), kb, _without_councils(tracker),
                                 settings())
        if decided is not None:  # "EHCNA criteria sefton"
            return carry_out(kb, dispatcher, tracker, decided, council)
        pending = tracker.get_slot("pending_topic")
        if pending in kb.topics:
            return answer_topic(kb, dispatcher, tracker, pending, council)
        last = tracker.get_slot("last_topic")
        if last in kb.topics and council != tracker.get_slot("local_authority"):
            # "what about in Havering?" after an answer: the same topic, for that council
            return answer_topic(kb, dispatcher, tracker, last, council)
        return _council_events(tracker, council)


class ActionAskCouncil(KnowledgeAction):
    """Ask which council's guidance to use ("change council"). Reads nothing; returns no events."""

    def name(self) -> str:
        return "action_ask_council"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        send(dispatcher, answers.council_prompt(kb))
        return []


class ActionShowMenu(KnowledgeAction):
    """Show what the assistant can help with, a button a topic.

    Reads: the council (as ActionAnswerTopic). Returns: SlotSet `local_authority` if newly known.
    """

    def name(self) -> str:
        return "action_show_menu"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        council = current_council(kb, tracker)
        part = next(tracker.get_latest_entity_values("menu"), None)
        send(dispatcher, answers.menu(kb, council, part))
        return _council_events(tracker, council)


class ActionRunFlow(KnowledgeAction):
    """Take one step of the decision flow in progress: an answer (button or free text), back,
    start again, stop, carry on, the person's role, or a new flow from a button.

    Reads: the latest intent and its `flow_answer`, `flow` and `role` entities, the text, slots
    `flow_state`, `role`, the council. Returns: SlotSet `flow_state` (None when the flow ends or
    stops) and `role` when chosen.
    """

    def name(self) -> str:
        return "action_run_flow"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        state = tracker.get_slot("flow_state")
        role = current_role(tracker)
        events: list[EventType] = []
        if intent == "choose_role":
            role = next((r for r in tracker.get_latest_entity_values("role")
                         if r in ("parent", "professional")), None) or \
                flow_runner.role_from_text(kb, tracker.latest_message.get("text") or "")
            events.append(SlotSet("role", role))
            step = flow_runner.choose_role(kb, state, role)
        elif intent == "start_flow":
            flow_id = next(tracker.get_latest_entity_values("flow"), None)
            council = current_council(kb, tracker)
            flow = kb.find_flow(str(flow_id), council) if flow_id else None
            if flow is None:
                send(dispatcher, answers.menu(kb, council))
                return []
            step = flow_runner.start(kb, flow, role, council)
        elif intent == "flow_back":
            step = flow_runner.back(kb, state, role)
        elif intent == "flow_restart":
            step = flow_runner.restart(kb, state, role)
        elif intent == "flow_stop":
            step = flow_runner.stop(kb, state)
        elif intent == "flow_resume":
            step = flow_runner.resume(kb, state, role)
        else:
            step = flow_runner.answer(
                kb, state, role, answer_id=next(tracker.get_latest_entity_values("flow_answer"),
                                                None),
                intent=intent, text=tracker.latest_message.get("text") or "")
        for reply in step.replies:
            send(dispatcher, reply)
        return [*events, SlotSet("flow_state", step.state)]


class ActionContact(KnowledgeAction):
    """"Can I speak to someone?": who the guidance points to (the school's SENCO, the council's
    Local Offer), with those topics as buttons and their sources.

    Reads: the council. Returns: SlotSet `local_authority` if newly known.
    """

    def name(self) -> str:
        return "action_contact"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        council = current_council(kb, tracker)
        send(dispatcher, answers.contact(kb, council))
        return _council_events(tracker, council)


class ActionFollowUp(KnowledgeAction):
    """"Tell me more" or "what does that mean?" after an answer: the topics related to the
    last one, and its step-by-step guide if it has one.

    Reads: slot `last_topic`, the council. Returns: no events.
    """

    def name(self) -> str:
        return "action_follow_up"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        council = current_council(kb, tracker)
        last = tracker.get_slot("last_topic")
        if last not in kb.topics:
            reply = answers.menu(kb, council)
            reply.text = kb.phrases["follow_up_none"]
            send(dispatcher, reply)
            return []
        reply = answers.follow_up(kb, last, council)
        offered = kb.flow_offered_after(last, council) or kb.flow_starting_from(last, council)
        if offered is not None:
            reply.buttons.append(flow_runner.start_button(kb, offered, council))
        send(dispatcher, reply)
        return []


class ActionRecordFeedback(KnowledgeAction):
    """"Was this helpful?": record yes or no against the topic (the button's `topic` entity,
    else the last topic answered) in the `feedback` slot, for the content team's reports.

    Reads: the intent (feedback_yes or feedback_no), `topic` entities, slot `last_topic`.
    Returns: SlotSet `feedback` {topic, helpful}, when there is a topic to record against.
    """

    def name(self) -> str:
        return "action_record_feedback"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = next(tracker.get_latest_entity_values("topic"), None) or \
            tracker.get_slot("last_topic")
        known = topic in kb.topics or kb.find_flow(str(topic)) is not None
        dispatcher.utter_message(text=kb.phrases["feedback_thanks"])
        if not known:
            return []
        return [SlotSet("feedback", {"topic": topic, "helpful": intent == "feedback_yes"})]


def _warm_up() -> None:
    """Load the knowledge and the search's word tables now, so the first person to ask does not
    wait for them (about 2 seconds)."""
    try:
        search.index(STORE.get()).relevance("warm up")
    except Exception:  # the first message will try again, and report it
        log.exception("warm-up failed")


if os.environ.get("SEND_WARM_UP", "1") != "0":
    threading.Thread(target=_warm_up, name="send-warm-up", daemon=True).start()
