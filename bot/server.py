"""The Rasa server's entry point: `python -m bot.server run ...` takes the same arguments as
`rasa run`, with changes to Rasa 3.6 found by profiling the Rasa server with py-spy. The first
two change only how often Rasa repeats work:

- Rasa checks each reply from the action server with `jsonschema.validate(reply, schema)`, which
  first validates the schema itself against the JSON Schema meta-schema, on every call: half of
  the server's CPU time. Replies are now checked against the same schema with a validator built
  once, so a malformed reply still raises the same `ValidationError` with Rasa's message.
- Reading a conversation from the tracker store turns each stored event into an object by
  searching every subclass of `Event` for its type name, walking the class tree afresh for every
  event: 15% of the server's CPU time, growing with conversation length. The type names are now
  looked up in a table built from the same classes (rebuilt if a name is not found, so event
  classes imported later are still found).

The third bounds the work per message. Rasa reads, judges with its rules, and sends to the
action server the whole of a conversation's current session on every message, so a message at
turn 100 took four times as long as one at turn 1. A session now also ends after
SESSION_MESSAGES messages, as after an hour's quiet: the next message starts a new session,
which carries over the conversation's state. Every event is still stored; only what is read per
message is bounded.

The fourth mends what a new session carries over. Rasa's copies every slot event of the last
session, so a new session began with the old one's whole slot history, and each "Did you mean"
and feedback record was stored, and counted by the report, again. A new session now starts with
each slot's current value, once, except the records of single messages (NOT_CARRIED_OVER).

The fifth keeps people from silence. When the action server is down or fails, Rasa logs the
error and sends nothing; the person is now told to try again shortly (`utter_try_again_shortly`),
and the next message goes to the action server again.

The sixth keeps conversations whole when the database fails. Rasa's tracker store, on an error,
logs it and carries on in memory: a read gives a new, empty conversation and a save is lost. Now
the error reaches the channel (bot/channels.py), which tells the person to try again shortly and
handles nothing; and SQL connections are checked before use (`pool_pre_ping`), so after a
database restart the next message reconnects instead of failing.
"""
from __future__ import annotations

import functools
import logging
import sys
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core import tracker_store
from rasa.core.actions.action import (
    ActionBotResponse,
    ActionExecutionRejection,
    ActionSessionStart,
    RemoteAction,
)
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from bot.channels import ConversationStoreUnavailable

log = logging.getLogger(__name__)


@functools.cache
def action_reply_validator() -> Validator:
    """A validator for action server replies, built (and its schema checked) once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's RemoteAction._validate_action_result, without re-checking the schema."""
    error = best_match(action_reply_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions")
        raise error
    return True


_EVENT_TYPES: dict[str, type[Event]] = {}
"""Event classes by type name, the first of `all_subclasses(Event)` for each, as Rasa picks."""


def resolve_event_type(type_name: str, default: type[Event] | None = None
                       ) -> type[Event] | None:
    """Rasa's Event.resolve_by_type, from a table instead of a walk of the class tree."""
    if type_name not in _EVENT_TYPES:
        _EVENT_TYPES.clear()
        for cls in all_subclasses(Event):
            _EVENT_TYPES.setdefault(cls.type_name, cls)
    if type_name in _EVENT_TYPES:
        return _EVENT_TYPES[type_name]
    if type_name == "topic":
        return None  # Rasa's backwards compatibility with old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


SESSION_MESSAGES = 20
"""A session ends after this many messages from the person (or after the domain's
`session_expiration_time` of quiet, as in Rasa)."""

_rasa_has_session_expired = MessageProcessor._has_session_expired


def messages_in_session(tracker: DialogueStateTracker) -> int:
    """How many messages the person has sent since the current session started."""
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += isinstance(event, UserUttered)
    return count


def has_session_expired(self: MessageProcessor, tracker: DialogueStateTracker) -> bool:
    """Rasa's MessageProcessor._has_session_expired, and also true once the session holds
    SESSION_MESSAGES messages (when sessions are enabled)."""
    if _rasa_has_session_expired(self, tracker):
        return True
    return (self.domain.session_config.are_sessions_enabled()
            and messages_in_session(tracker) >= SESSION_MESSAGES)


NOT_CARRIED_OVER = frozenset({"unanswered", "feedback"})
"""Slots that record one message (for the content team's reports), not the conversation's
state: carrying them into a new session would count the message again."""


def carried_over(tracker: DialogueStateTracker) -> list[SlotSet]:
    """The slot events a new session starts with: each slot that has a value, once (but
    NOT_CARRIED_OVER); replaces ActionSessionStart._slot_set_events_from_tracker."""
    return [SlotSet(name, slot.value) for name, slot in tracker.slots.items()
            if slot.value is not None and name not in NOT_CARRIED_OVER]


UNAVAILABLE_RESPONSE = "utter_try_again_shortly"
"""The domain response sent when the action server cannot answer."""

_rasa_remote_run = RemoteAction.run


async def run_or_apologise(self: RemoteAction, output_channel: OutputChannel,
                           nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker,
                           domain: Domain) -> list[Event]:
    """Rasa's RemoteAction.run; if the action server is unreachable or fails, the
    UNAVAILABLE_RESPONSE instead of nothing. (A rejection is Rasa's to handle, as before.)"""
    try:
        return await _rasa_remote_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception as err:  # Rasa would log it and send nothing
        log.error("The action server could not run %s (%s); the person was asked to try "
                  "again shortly.", self.name(), type(err).__name__)
        events: list[Event] = []
        if tracker.latest_message is not None and tracker.latest_message.parse_data.get(
                "safeguarding"):
            # A message with a safeguarding signal still gets the signpost first.
            line = safeguarding_signpost()
            if line:
                await output_channel.send_response(tracker.sender_id, {"text": line})
                events.append(BotUttered(line))
        return events + await ActionBotResponse(UNAVAILABLE_RESPONSE).run(
            output_channel, nlg, tracker, domain)


def safeguarding_signpost() -> str | None:
    """The one-line safeguarding signpost, read from knowledge/safeguarding.yml once."""
    from bot.safeguarding import loaded

    found = loaded()
    return found.signpost_line if found is not None else None


_rasa_engine_kwargs = tracker_store.create_engine_kwargs


def engine_kwargs(url: Any) -> dict[str, Any]:
    """Rasa's SQLAlchemy engine settings, with connections checked before use."""
    return {**_rasa_engine_kwargs(url), "pool_pre_ping": True}


async def retrieve_or_raise(self: tracker_store.FailSafeTrackerStore,
                            sender_id: str) -> DialogueStateTracker | None:
    """FailSafeTrackerStore.retrieve, raising instead of answering as if new."""
    try:
        return await self._tracker_store.retrieve(sender_id)
    except Exception as err:
        log.error("Reading a conversation failed: %s", type(err).__name__)
        raise ConversationStoreUnavailable from err


async def save_or_raise(self: tracker_store.FailSafeTrackerStore,
                        tracker: DialogueStateTracker) -> None:
    """FailSafeTrackerStore.save, raising instead of keeping the turn in memory only."""
    try:
        await self._tracker_store.save(tracker)
    except Exception as err:
        log.error("Saving a conversation failed: %s", type(err).__name__)
        raise ConversationStoreUnavailable from err


def install() -> None:
    """Apply the changes to the Rasa classes in this process."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign,assignment]
    MessageProcessor._has_session_expired = has_session_expired  # type: ignore[method-assign]
    ActionSessionStart._slot_set_events_from_tracker = staticmethod(  # type: ignore[method-assign]
        carried_over)
    RemoteAction.run = run_or_apologise  # type: ignore[method-assign]
    tracker_store.create_engine_kwargs = engine_kwargs
    tracker_store.FailSafeTrackerStore.retrieve = retrieve_or_raise  # type: ignore[method-assign]
    tracker_store.FailSafeTrackerStore.save = save_or_raise  # type: ignore[method-assign]


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
