"""Rasa custom actions: thin wrappers that read the tracker, call the pure helpers, send replies.

Every action catches its own failures, logs them and tells the user something went wrong,
so a user never sees silence or a stack trace.
"""
from __future__ import annotations

import logging
import os
from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.councils import choose_council, match_council
from actions.knowledge import KnowledgeBase
from actions.paths import KNOWLEDGE_DIR
from actions.store import KnowledgeStore

log = logging.getLogger(__name__)

STORE = KnowledgeStore(KNOWLEDGE_DIR)
"""The knowledge every action answers from; loaded on first use, reloaded on change."""

MAX_SUGGESTIONS = 3
"""How many "Did you mean" topics to offer."""

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
            return self.answer(kb, dispatcher, tracker)
        except Exception:
            log.exception("%s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=kb.phrases["error"])
            return []


def send(dispatcher: CollectingDispatcher, reply: answers.Reply) -> None:
    """Send a Reply: its text and buttons, with its custom payload alongside."""
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons, json_message=reply.custom)


def current_council(kb: KnowledgeBase, tracker: Tracker) -> str | None:
    """The council to answer for: named in this message, this message's metadata, the
    conversation's council slot, the latest earlier metadata, then the deployment default."""
    metadata = (tracker.latest_message.get("metadata") or {}).get("local_authority")
    current = tracker.get_slot("local_authority")
    if not metadata and not current:
        current = _earlier_metadata_council(tracker)
    return choose_council(kb, mentioned=list(tracker.get_latest_entity_values("council")),
                          metadata=metadata, current=current, default=default_council())


def _earlier_metadata_council(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") in ("user", "session_started"):
            value = (event.get("metadata") or {}).get("local_authority")
            if value:
                return str(value)
    return None


def _council_events(tracker: Tracker, council: str | None) -> list[EventType]:
    if council and council != tracker.get_slot("local_authority"):
        return [SlotSet("local_authority", council)]
    return []


class ActionAnswerTopic(KnowledgeAction):
    """Answer the topic named by the latest intent from the right council's knowledge.

    Reads: the latest intent, `council` entities, `metadata.local_authority`, slot
    `local_authority`. Returns: SlotSet `local_authority`, `last_topic`, `pending_topic`
    (set when it must first ask which council, cleared once answered).
    """

    def name(self) -> str:
        return "action_answer_topic"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        topic = (tracker.latest_message.get("intent") or {}).get("name")
        if topic not in kb.topics:
            log.warning("action_answer_topic ran for %r, which is not a topic", topic)
            send(dispatcher, answers.menu(kb, tracker.get_slot("local_authority")))
            return []
        council = current_council(kb, tracker)
        if answers.needs_council(kb, topic, council):
            send(dispatcher, answers.council_prompt(kb))
            return [SlotSet("pending_topic", topic)]
        send(dispatcher, answers.compose_answer(kb, topic, council))
        return [*_council_events(tracker, council), SlotSet("last_topic", topic),
                SlotSet("pending_topic", None)]


class ActionChooseCouncil(KnowledgeAction):
    """Set the conversation's council from "I'm in Havering" (or a council button).

    Reads: `council` entities, slot `pending_topic`. Returns: SlotSet `local_authority`, and
    answers the pending topic if the council was asked for one (SlotSet `last_topic`,
    `pending_topic`).
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
        events: list[EventType] = [SlotSet("local_authority", council)]
        pending = tracker.get_slot("pending_topic")
        if pending in kb.topics:
            send(dispatcher, answers.compose_answer(kb, pending, council))
            events += [SlotSet("last_topic", pending), SlotSet("pending_topic", None)]
        return events


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
        send(dispatcher, answers.menu(kb, council))
        return _council_events(tracker, council)


class ActionSuggestTopics(KnowledgeAction):
    """When the NLU is unsure, offer the closest topics as "Did you mean" buttons.

    Reads: the latest message's intent ranking, the council. Returns: no events.
    """

    def name(self) -> str:
        return "action_suggest_topics"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        ranked = [r.get("name") for r in ranking if r.get("name") in kb.topics]
        council = current_council(kb, tracker)
        if ranked:
            send(dispatcher, answers.suggestions(kb, ranked[:MAX_SUGGESTIONS], council))
        else:
            send(dispatcher, answers.menu(kb, council))
        return []


class ActionSignpostOutOfScope(KnowledgeAction):
    """Decline a question the guidance does not cover, and say where to look instead.

    Reads: the council. Returns: no events.
    """

    def name(self) -> str:
        return "action_signpost_out_of_scope"

    def answer(self, kb: KnowledgeBase, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> list[EventType]:
        send(dispatcher, answers.out_of_scope(kb, current_council(kb, tracker)))
        return []
