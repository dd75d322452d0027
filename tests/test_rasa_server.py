"""bot/server.py: the same checks and event types as Rasa's without the repeated work, and
sessions that end after SESSION_MESSAGES messages."""
from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import ActionSessionStart, RemoteAction
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from rasa.shared.core import events
from rasa.shared.core.domain import Domain
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from bot import server

GOOD_REPLY: dict[str, Any] = {
    "events": [{"event": "slot", "name": "council", "value": "sefton"}],
    "responses": [{"text": "An answer.", "buttons": [], "custom": {"topic": "sen_support"}}],
}


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_answer", None)


def test_a_good_reply_passes(action: RemoteAction) -> None:
    assert server.validate_action_result(action, GOOD_REPLY) is True


@pytest.mark.parametrize("reply", [
    {"events": "not a list", "responses": []},
    {"events": [{"event": 42}], "responses": []},
    {"events": [], "responses": "not a list"},
])
def test_a_bad_reply_fails_as_rasa_would(action: RemoteAction, reply: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        server.validate_action_result(action, reply)
    with pytest.raises(ValidationError):  # Rasa's own check agrees
        RemoteAction._validate_action_result(action, reply)


def test_the_schema_is_checked_once_not_per_reply(action: RemoteAction,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server.action_reply_validator()
    calls = []
    validator_class = type(server.action_reply_validator())
    monkeypatch.setattr(validator_class, "check_schema",
                        classmethod(lambda cls, schema: calls.append(schema)))
    for _ in range(3):
        server.validate_action_result(action, GOOD_REPLY)
    assert calls == []


def test_every_event_type_resolves_to_the_class_rasa_would_pick() -> None:
    names = {cls.type_name for cls in all_subclasses(events.Event)}
    assert {"user", "bot", "action", "slot", "session_started"} <= names
    for name in names:
        assert server.resolve_event_type(name) is events.Event.resolve_by_type(name)


def test_unknown_event_types_are_handled_as_rasa_does() -> None:
    assert server.resolve_event_type("topic") is None
    assert server.resolve_event_type("no such event", events.UserUttered) is events.UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no such event'"):
        server.resolve_event_type("no such event")


def test_an_event_class_defined_later_is_found() -> None:
    server.resolve_event_type("user")

    class LateEvent(events.ActionExecuted):
        type_name = "late_event_for_test"

    assert server.resolve_event_type("late_event_for_test") is LateEvent


def test_stored_events_read_back_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = [events.UserUttered("what is SEN support?", {"name": "sen_support"}).as_dict(),
              events.SlotSet("council", "sefton").as_dict(),
              events.BotUttered("An answer.", {"custom": {"topic": "sen_support"}}).as_dict()]
    rasas = events.deserialise_events(stored)
    monkeypatch.setattr(events.Event, "resolve_by_type", staticmethod(server.resolve_event_type))
    assert events.deserialise_events(stored) == rasas


def test_install_replaces_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result",
                        RemoteAction._validate_action_result)
    monkeypatch.setattr(events.Event, "resolve_by_type", events.Event.resolve_by_type)
    monkeypatch.setattr(MessageProcessor, "_has_session_expired",
                        MessageProcessor._has_session_expired)
    monkeypatch.setattr(ActionSessionStart, "_slot_set_events_from_tracker",
                        ActionSessionStart._slot_set_events_from_tracker)
    monkeypatch.setattr(Agent, "handle_message", Agent.handle_message)
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)
    monkeypatch.setattr(MessageProcessor, "_handle_message_with_tracker",
                        MessageProcessor._handle_message_with_tracker)
    monkeypatch.setattr(Agent, "load_model", Agent.load_model)
    server.install()
    assert Agent.load_model is server.load_model_then_freeze
    assert RemoteAction._validate_action_result is server.validate_action_result
    assert events.Event.resolve_by_type is server.resolve_event_type
    assert MessageProcessor._has_session_expired is server.has_session_expired
    assert ActionSessionStart._slot_set_events_from_tracker is server.carried_over


def tracker_with(*events_: events.Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", list(events_))


def user(text: str = "what is SEN support?") -> events.UserUttered:
    return events.UserUttered(text, {"name": "sen_support", "confidence": 0.9})


def processor(expiration_minutes: float) -> MessageProcessor:
    fake = MessageProcessor.__new__(MessageProcessor)
    fake.domain = Domain.from_dict({"session_config": {
        "session_expiration_time": expiration_minutes, "carry_over_slots_to_new_session": True}})
    return fake


def test_messages_are_counted_from_the_latest_session_start() -> None:
    tracker = tracker_with(events.SessionStarted(), user(), user(), events.SessionStarted(),
                           events.ActionExecuted("action_listen"), user())
    assert server.messages_in_session(tracker) == 1
    assert server.messages_in_session(tracker_with()) == 0


def test_a_session_ends_after_its_messages_even_without_a_quiet_hour() -> None:
    full = tracker_with(events.SessionStarted(), *[user() for _ in range(server.SESSION_MESSAGES)])
    short = tracker_with(events.SessionStarted(),
                         *[user() for _ in range(server.SESSION_MESSAGES - 1)])
    assert server.has_session_expired(processor(60), full)
    assert not server.has_session_expired(processor(60), short)


def test_without_sessions_a_conversation_never_restarts() -> None:
    full = tracker_with(events.SessionStarted(), *[user() for _ in range(server.SESSION_MESSAGES)])
    assert not server.has_session_expired(processor(0), full)


def test_a_quiet_hour_still_ends_a_session() -> None:
    stale = events.UserUttered("hello", {"name": "greet"}, timestamp=1.0)  # in 1970
    assert server.has_session_expired(processor(60), tracker_with(events.SessionStarted(), stale))


def test_a_new_session_carries_each_slot_once_but_not_the_records() -> None:
    slots = [AnySlot(name, mappings=[{"type": "custom"}]) for name in (
        "local_authority", "last_topic", "flow_state", "unanswered", "feedback")]
    tracker = DialogueStateTracker.from_events("someone", [
        events.SlotSet("local_authority", "sefton"), events.SlotSet("last_topic", "sen_support"),
        events.SlotSet("unanswered", {"text": "asked once"}),
        events.SlotSet("local_authority", "havering"),
        events.SlotSet("feedback", {"topic": "sen_support", "helpful": True})],
        slots=slots)
    assert server.carried_over(tracker) == [events.SlotSet("local_authority", "havering"),
                                            events.SlotSet("last_topic", "sen_support")]


def test_a_message_held_already_gets_the_replies_it_had() -> None:
    tracker = tracker_with(
        events.UserUttered("what is SEN support?", message_id="first"),
        events.BotUttered("SEN support is...", {"custom": {"topic": "sen_support"}}),
        events.SlotSet("council", "havering"),
        events.UserUttered("what does the SENCO do?", message_id="second"),
        events.BotUttered("The SENCO..."))
    replies = server.earlier_replies(tracker, "first")
    assert replies is not None
    assert [(r["text"], r.get("custom")) for r in replies] == [
        ("SEN support is...", {"topic": "sen_support"})]
    assert server.earlier_replies(tracker, "third") is None


def test_only_a_pooled_engine_waits_a_limited_time_for_a_connection() -> None:
    assert "pool_timeout" not in server.engine_kwargs("sqlite:///var/tracker.db")
    pooled = server.engine_kwargs("postgresql://send:secret@127.0.0.1:5432/send")
    assert pooled["pool_timeout"] == server.POOL_TIMEOUT_S and pooled["pool_pre_ping"]


def test_the_action_server_wait_comes_from_endpoints() -> None:
    configured = RemoteAction("action_answer", EndpointConfig("http://x/webhook", timeout=3))
    assert server.action_timeout(configured) == 3.0
    plain = RemoteAction("action_answer", EndpointConfig("http://x/webhook"))
    assert server.action_timeout(plain) == server.ACTION_TIMEOUT_S


def test_a_loaded_model_is_kept_out_of_the_garbage_collectors_walk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    loaded = []
    monkeypatch.setattr(server, "_rasa_load_model",
                        lambda agent, path: loaded.append([object() for _ in range(1000)]))
    gc.unfreeze()
    try:
        server.load_model_then_freeze(object(), "model.tar.gz")  # type: ignore[arg-type]
        assert loaded and gc.get_freeze_count() >= 1000
    finally:
        gc.unfreeze()
