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

The seventh bounds every wait, so a person gets an answer or the "try again shortly" reply
within about 10 seconds, never silence or a hang. Most limits are configuration (endpoints.yml
as tools/stack.py writes it: the database's connect and statement timeouts, Redis's socket
timeout; `TICKET_LOCK_LIFETIME`; nginx's timeouts in deploy/nginx.conf). The code adds what
Rasa 3.6 cannot be configured to do: a wait for a free SQL connection of POOL_TIMEOUT_S; a call
to the action server of at most its endpoint's `timeout` (Rasa's is fixed at 5 minutes); and
MESSAGE_DEADLINE_S for the whole message, the wait for the conversation's lock included (Rasa
waits for the lock until the holder's ticket expires, however long). A message past its
deadline, or whose lock store fails, is not handled or saved, and the person is asked to try
again shortly (bot/channels.py).

The eighth stores a message once. nginx passes a message on to the other Rasa process when the
first fails part-way, and the first may have stored it already. Each REST message carries an id
(the client's `message_id`, or the X-Request-Id nginx gives both attempts; bot/channels.py); a
message whose id the conversation already holds is not handled again: the person gets the
replies it had the first time, and nothing is stored.
"""
from __future__ import annotations

import asyncio
import functools
import gc
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
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from redis.exceptions import RedisError

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

ACTION_TIMEOUT_S = 5.0
"""Seconds to wait for the action server to run an action, unless the `action_endpoint` in
endpoints.yml gives its own `timeout` (Rasa 3.6 waits 5 minutes)."""

_rasa_remote_run = RemoteAction.run


def action_timeout(action: RemoteAction) -> float:
    """The action endpoint's `timeout` from endpoints.yml, or ACTION_TIMEOUT_S."""
    endpoint = action.action_endpoint
    configured = endpoint.kwargs.get("timeout") if endpoint is not None else None
    return float(configured) if configured else ACTION_TIMEOUT_S


async def run_or_apologise(self: RemoteAction, output_channel: OutputChannel,
                           nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker,
                           domain: Domain) -> list[Event]:
    """Rasa's RemoteAction.run; if the action server is unreachable or fails, the
    UNAVAILABLE_RESPONSE instead of nothing; one that takes longer than `action_timeout` has
    failed. (A rejection is Rasa's to handle, as before.)"""
    try:
        return await asyncio.wait_for(_rasa_remote_run(self, output_channel, nlg, tracker, domain),
                                      action_timeout(self))
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

POOL_TIMEOUT_S = 2
"""Seconds to wait for a free connection of the SQL pool (SQLAlchemy waits 30). Rasa's tracker
store runs its queries in the server's one thread, so a wait for a connection blocks every
conversation of the process; a full pool fails fast, and the person is asked to try again.
Connecting and each query have their own limits in endpoints.yml (`connect_timeout`,
`statement_timeout`)."""


def engine_kwargs(url: Any) -> dict[str, Any]:
    """Rasa's SQLAlchemy engine settings, with connections checked before use and, where there
    is a pool (PostgreSQL), a limit on the wait for one."""
    kwargs = {**_rasa_engine_kwargs(url), "pool_pre_ping": True}
    if "pool_size" in kwargs:  # Rasa sizes the pool for PostgreSQL only
        kwargs["pool_timeout"] = POOL_TIMEOUT_S
    return kwargs


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


MESSAGE_DEADLINE_S = 7.0
"""Seconds a message may take from the wait for its conversation's lock to its reply. nginx
waits a little longer (`proxy_read_timeout 9s`, deploy/nginx.conf) for a process that does not
answer at all."""


class MessageNotHandledInTime(ConversationStoreUnavailable):
    """A message was not handled within MESSAGE_DEADLINE_S, or the lock store failed: nothing of
    it was saved, and the channel asks the person to try again shortly."""


_rasa_agent_handle_message = Agent.handle_message


async def handle_message_in_time(self: Agent, message: UserMessage
                                 ) -> list[dict[str, Any]] | None:
    """Agent.handle_message (wait for the conversation's lock, then handle the message) within
    MESSAGE_DEADLINE_S. Past it the handling is cancelled where it waits (the lock, the action
    server): Rasa saves a conversation once, at the end, so nothing of the message is saved,
    and its ticket is given back to the lock store."""
    try:
        return await asyncio.wait_for(_rasa_agent_handle_message(self, message),
                                      MESSAGE_DEADLINE_S)
    except asyncio.TimeoutError as err:
        log.error("A message was not handled within %s s; the person was asked to try again "
                  "shortly.", MESSAGE_DEADLINE_S)
        raise MessageNotHandledInTime from err
    except (LockError, RedisError) as err:
        log.error("The lock store failed: %s", type(err).__name__)
        raise MessageNotHandledInTime from err


class AlreadyHandled(Exception):
    """The conversation already holds this message (by its id); `replies` are what it got."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        super().__init__("message already handled")
        self.replies = replies


def earlier_replies(tracker: DialogueStateTracker, message_id: str
                    ) -> list[dict[str, Any]] | None:
    """The replies the conversation holds to its message with this id, or None if it holds no
    such message (the current session is read: a retry follows its first attempt at once)."""
    events = list(tracker.events)
    found = [n for n, event in enumerate(events)
             if isinstance(event, UserUttered) and event.message_id == message_id]
    if not found:
        return None
    replies = []
    for event in events[found[0] + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            replies.append(event.message())
    return replies


_rasa_handle_message_with_tracker = MessageProcessor._handle_message_with_tracker


async def handle_message_with_tracker_once(self: MessageProcessor, message: UserMessage,
                                           tracker: DialogueStateTracker) -> None:
    """MessageProcessor._handle_message_with_tracker (parse the message and add it to the
    conversation), unless the conversation already holds a message with its id: then
    AlreadyHandled, before anything is added."""
    replies = earlier_replies(tracker, message.message_id)
    if replies is not None:
        raise AlreadyHandled(replies)
    await _rasa_handle_message_with_tracker(self, message, tracker)


_rasa_processor_handle_message = MessageProcessor.handle_message


async def handle_message_once(self: MessageProcessor, message: UserMessage
                              ) -> list[dict[str, Any]] | None:
    """MessageProcessor.handle_message; a message the conversation already holds is answered
    with the replies it had, and nothing is saved (the conversation is saved only at the end)."""
    try:
        return await _rasa_processor_handle_message(self, message)
    except AlreadyHandled as handled:
        log.info("A message the conversation already holds (a retry) was answered again and not "
                 "stored twice.")
        if isinstance(message.output_channel, CollectingOutputChannel):
            message.output_channel.messages.clear()  # e.g. from a session start, not saved
        for reply in handled.replies:
            await message.output_channel.send_response(message.sender_id, reply)
        if isinstance(message.output_channel, CollectingOutputChannel):
            return message.output_channel.messages
        return None


_rasa_load_model = Agent.load_model


def load_model_then_freeze(self: Agent, *args: Any, **kwargs: Any) -> Any:
    """Agent.load_model, then everything loaded so far (the model, spaCy and its lookups, the
    knowledge, the word lists) is moved out of the garbage collector's reach (`gc.freeze`).
    Python's full collection walks every live object; with about 550,000 of them it took long
    enough that, with 20 conversations at once, a round of messages that met one waited twice
    as long (benchmark p95 661 ms; 256 to 306 ms with the freeze, 365 ms before the realistic
    training questions doubled the model). Objects made while answering are still collected."""
    result = _rasa_load_model(self, *args, **kwargs)
    gc.collect()
    gc.freeze()
    return result


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
    Agent.handle_message = handle_message_in_time  # type: ignore[method-assign]
    MessageProcessor._handle_message_with_tracker = (  # type: ignore[method-assign]
        handle_message_with_tracker_once)
    MessageProcessor.handle_message = handle_message_once  # type: ignore[method-assign]
    Agent.load_model = load_model_then_freeze  # type: ignore[method-assign]


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
