"""REST and socket.io channels that keep personal details out of storage and send each
message whole, with custom payloads intact.

Both replace personal details in a message (actions.privacy) before Rasa parses, stores or
logs it, and mark the kinds replaced in `metadata.redacted` so the assistant can remind the
person not to share them. Both cut very long messages (`metadata.truncated`).

Rasa 3.6's REST output splits any text without buttons at every blank line into separate
messages, so a record meant to be copied, or an answer without buttons, arrives in pieces.
Its socket.io output has two faults this assistant cannot live with:
- `send_custom_json` calls `sio.emit(event, **payload)`, so a payload such as
  `{"topic": ..., "sources": ...}` raises TypeError and the user gets nothing;
- text is split at every blank line into separate messages, so one answer arrives (and is
  announced by a screen reader) as many.
These channels send one message with `text` (and buttons, or `quick_replies` on socket.io),
then one with `custom`. bot/credentials.yml names them as `bot.channels.RestInput` and
`bot.channels.SocketIOInput`; they take the same settings and URLs as Rasa's `rest` and
`socketio`. Rasa builds the output inside each input's blueprint by a module-level name, so
each input points that name at the fixed output class before building its blueprint.
"""
from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels import rest as rasa_rest
from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.privacy import redact
from bot import conversations
from bot.safeguarding import signpost_line

log = logging.getLogger(__name__)

UNAVAILABLE_TEXT = ("Sorry, I can't answer just now. Please try again in a few minutes. Your "
                    "child's school SENCO and your council's Local Offer can help in the "
                    "meantime.")
"""What a person is told when a part of the assistant is down (the domain's
`utter_try_again_shortly` says the same when the action server is)."""


UNKNOWN_CONVERSATION = ("this server did not issue that conversation id: get one from "
                        "POST /webhooks/conversation/new")


UNKNOWN_CONVERSATION_TEXT = ("Sorry, I can't find this conversation. Please start a new one "
                             "(reload the page or choose \"Start again\").")
"""Said on socket.io to a message whose conversation id this server did not issue."""
UNKNOWN_CONVERSATION_REPLY = {"text": UNKNOWN_CONVERSATION_TEXT,
                              "custom": {"topic": "unknown_conversation"}}


class ConversationStoreUnavailable(Exception):
    """The tracker store could not read or save a conversation (raised by bot/server.py in
    place of Rasa's silent fallback to a new, empty, unsaved conversation)."""


MAX_MESSAGE_CHARS = 2000
"""Longer messages are cut to this many characters (at a word break) before Rasa reads them:
the main question comes first, and NLU time grows with length (a 100 KB paste would take
seconds and store 100 KB a turn)."""


REDACT_MARGIN = 500
"""Characters beyond MAX_MESSAGE_CHARS that are redacted before the cut, so a personal detail
lying across the cut is still found whole; what lies further on is never kept, and redacting
it is slow (a 50,000-letter word took 20 seconds, longer than nginx waits)."""


def cleaned(text: str) -> tuple[str, list[str], bool]:
    """The message as Rasa may read, store and log it: personal details replaced and cut to
    MAX_MESSAGE_CHARS at a word break; with the kinds of detail replaced, and whether it was
    cut."""
    redacted, kinds = redact(text[:MAX_MESSAGE_CHARS + REDACT_MARGIN])
    cut, truncated = shorten(redacted)
    return cut, kinds, truncated or len(text) > MAX_MESSAGE_CHARS + REDACT_MARGIN


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> tuple[str, bool]:
    """The text cut to at most `limit` characters at a word break, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(), True


def redacting(on_new_message: Callable[[UserMessage], Awaitable[Any]]
              ) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wrap Rasa's message handler so personal details are replaced, and very long messages
    cut, before the message is parsed, stored or logged. `metadata.redacted` lists the kinds
    of detail replaced; `metadata.truncated` marks a cut message. If the conversation cannot
    be read or saved, the person is asked to try again shortly (on REST, instead of any reply
    gathered before the failure: the message was not saved)."""
    async def handler(message: UserMessage) -> Any:
        key = conversations.secret()
        if key and not conversations.is_issued(key, message.sender_id or ""):
            # A backstop: the REST channel refuses these with 403, and socket.io to the
            # sending socket, before they get here.
            log.warning("A message with a conversation id this server did not issue was refused.")
            await message.output_channel.send_response(message.sender_id,
                                                       dict(UNKNOWN_CONVERSATION_REPLY))
            return None
        text, kinds, truncated = cleaned(message.text or "")
        if kinds or truncated:
            message.text = text
            message.metadata = {**(message.metadata or {}),
                                **({"redacted": kinds} if kinds else {}),
                                **({"truncated": True} if truncated else {})}
        try:
            return await on_new_message(message)
        except ConversationStoreUnavailable:
            log.error("The conversation store is unavailable; the person was asked to try again "
                      "shortly and the message was not handled.")
            if isinstance(message.output_channel, CollectingOutputChannel):
                # Not saved, so not answered: no reply gathered before the failure goes out.
                message.output_channel.messages.clear()
            line = signpost_line(text)  # a crisis still gets the signpost first
            if line:
                await message.output_channel.send_response(message.sender_id, {"text": line})
            await message.output_channel.send_response(
                message.sender_id, {"text": UNAVAILABLE_TEXT, "custom": {"topic": "unavailable"}})
            return None
    return handler


class WholeMessageSocketIOOutput(rasa_socketio.SocketIOOutput):
    """Sends text whole, buttons as quick replies on it, and custom payloads under `custom`."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {
            "text": text,
            "quick_replies": [{"content_type": "text", "title": b["title"],
                               "payload": b["payload"]} for b in buttons]})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


CUSTOM_DATA = "customData"
"""Where the standard Rasa web client (npm `rasa-webchat`) puts the page's data: read as the
message's metadata when it has none, so the council the page sets is kept."""


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io input, answering through WholeMessageSocketIOOutput, and reading the
    standard web client's `customData` as metadata.

    With a conversation secret set, a `session_request` without an id this server issued
    (rasa-webchat sends none, or the one it stored) is confirmed with a newly issued id, as
    `POST /webhooks/conversation/new` would give; Rasa would confirm a random id that every
    message would then be refused for."""

    def blueprint(self, on_new_message: Any) -> Any:
        rasa_socketio.SocketIOOutput = WholeMessageSocketIOOutput  # type: ignore[misc]
        webhook = super().blueprint(redacting(on_new_message))
        sio, namespace = self.sio, self.namespace or "/"
        handle = sio.handlers[namespace][self.user_message_evt]  # type: ignore[union-attr]
        confirm = sio.handlers[namespace]["session_request"]  # type: ignore[union-attr]

        async def session_request_with_issued_id(sid: str, data: Any) -> Any:
            key = conversations.secret()
            if key:
                data = dict(data) if isinstance(data, dict) else {}
                requested = data.get("session_id")
                if not (isinstance(requested, str) and conversations.is_issued(key, requested)):
                    data["session_id"] = conversations.issue(key)
            return await confirm(sid, data)

        sio.on("session_request", session_request_with_issued_id,  # type: ignore[union-attr]
               namespace=self.namespace)

        async def handle_with_custom_data(sid: str, data: Any) -> Any:
            key = conversations.secret()
            session = data.get("session_id") if isinstance(data, dict) else None
            if key and not (isinstance(session, str) and conversations.is_issued(key, session)):
                # Refused to this socket itself: it may not be in that conversation's room
                # (its session_request was confirmed with an issued id instead).
                log.warning("A message with a conversation id this server did not issue was "
                            "refused.")
                await sio.emit(self.bot_message_evt,  # type: ignore[union-attr]
                               UNKNOWN_CONVERSATION_REPLY, room=sid, namespace=self.namespace)
                return None
            if (isinstance(data, dict) and not data.get(self.metadata_key)
                    and isinstance(data.get(CUSTOM_DATA), dict)):
                data = {**data, self.metadata_key: data[CUSTOM_DATA]}
            return await handle(sid, data)

        sio.on(self.user_message_evt, handle_with_custom_data,  # type: ignore[union-attr]
               namespace=self.namespace)
        # Rasa turns socket.io's origin check off, so a page on any site could open a
        # websocket (browsers apply no CORS to websockets): a connection from a page is taken
        # only from the assistant's own pages and SEND_ALLOWED_ORIGINS, as on the REST channel.
        # (Checked here rather than by engineio's own setting, whose CORS headers would
        # repeat the ones Rasa's --cors already adds.)
        connect = sio.handlers[namespace]["connect"]  # type: ignore[union-attr]

        async def connect_from_allowed_origins(sid: str, environ: dict[str, Any],
                                               auth: Any = None) -> Any:
            if not allowed_origin(environ.get("HTTP_ORIGIN"), environ):
                log.warning("A socket.io connection from a page on an origin not in "
                            "%s was refused.", ALLOWED_ORIGINS_ENV)
                return False
            return await connect(sid, environ, auth)

        sio.on("connect", connect_from_allowed_origins,  # type: ignore[union-attr]
               namespace=self.namespace)
        return webhook


ALLOWED_ORIGINS_ENV = "SEND_ALLOWED_ORIGINS"
"""The web origins (space- or comma-separated) whose pages may call the assistant."""


def parse_origins(value: str) -> list[str]:
    """The origins of a SEND_ALLOWED_ORIGINS value, without trailing slashes."""
    return [o.strip().rstrip("/") for o in value.replace(",", " ").split() if o.strip()]


def allowed_origin(origin: str | None, environ: dict[str, Any]) -> bool:
    """Whether socket.io takes a connection from a page at `origin`: the assistant's own
    address (its demo page), or one of SEND_ALLOWED_ORIGINS; a client that is not a browser
    sends no origin and is let through (its requests are not a page's)."""
    if not origin:
        return True
    host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST") or ""
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme") or "http"
    own = {f"{s.split(',')[0].strip()}://{host.split(',')[0].strip()}" for s in (scheme, "http",
                                                                                 "https")}
    return origin.rstrip("/") in own | set(parse_origins(os.environ.get(ALLOWED_ORIGINS_ENV,
                                                                        "")))


SENDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
"""A conversation id: letters, digits and `_ . : -`, at most 128 characters (the widget sends
"widget-" and a random UUID)."""


def rest_body_problem(body: bytes) -> str | None:
    """What is wrong with a REST channel request body, or None if it is a message Rasa can
    take: a JSON object with `sender` (a conversation id), `message` (text) and optionally
    `metadata` (an object). Rasa's own channel answers anything else with a 500, and files a
    message without `sender` under one conversation, "default", shared by everyone."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    except ValueError:
        return "the body is not JSON"
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    if not isinstance(data.get("sender"), str) or not SENDER.match(data["sender"]):
        return ("`sender` must be a conversation id: letters, digits and _ . : -, at most 128 "
                "characters")
    if not isinstance(data.get("message"), str):
        return "`message` must be text"
    if not isinstance(data.get("metadata", {}), dict | None):
        return "`metadata` must be an object"
    message_id = data.get("message_id")
    if message_id is not None and not (isinstance(message_id, str) and SENDER.match(message_id)):
        return ("`message_id` must be an id: letters, digits and _ . : -, at most 128 "
                "characters")
    return None


MESSAGE_ID = "message_id"
"""Where the REST channel passes a message's id from the request to the message (metadata)."""
REQUEST_ID_HEADER = "X-Request-Id"
"""The id nginx gives each request (`$request_id`, deploy/nginx.conf), the same for its retry on
another Rasa process."""


def message_id_of(request: Request) -> str | None:
    """A REST message's id: the client's `message_id` if it sent one (the same when it sends the
    message again), else nginx's X-Request-Id; None without a well-formed one (Rasa then makes a
    random id). bot/server.py skips a message whose id the conversation already holds."""
    for candidate in (request.json.get(MESSAGE_ID), request.headers.get(REQUEST_ID_HEADER)):
        if isinstance(candidate, str) and SENDER.match(candidate):
            return candidate
    return None


def with_message_id(on_new_message: Callable[[UserMessage], Awaitable[Any]]
                    ) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wrap Rasa's message handler so the id RestInput.get_metadata passed in the metadata
    becomes the message's own id (stored with it), and leaves the metadata."""
    async def handler(message: UserMessage) -> Any:
        if isinstance(message.metadata, dict):
            message_id = message.metadata.pop(MESSAGE_ID, None)
            if isinstance(message_id, str) and SENDER.match(message_id):
                message.message_id = message_id
        return await on_new_message(message)
    return handler


class WholeMessageCollectingOutputChannel(rasa_rest.CollectingOutputChannel):
    """Collects each text as one message, never split at blank lines."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


class RestInput(rasa_rest.RestInput):
    """Rasa's REST input, answering through WholeMessageCollectingOutputChannel, and giving each
    message the id the request carries (`message_id_of`)."""

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = super().get_metadata(request)
        message_id = message_id_of(request)
        if message_id is None:
            return metadata
        return {**(metadata or {}), MESSAGE_ID: message_id}

    def blueprint(self, on_new_message: Any) -> Any:
        rasa_rest.CollectingOutputChannel = WholeMessageCollectingOutputChannel  # type: ignore[misc]
        webhook = super().blueprint(redacting(with_message_id(on_new_message)))

        @webhook.on_request
        async def refuse_bad_bodies(request: Request) -> HTTPResponse | None:
            if request.method == "POST" and request.path.endswith("/webhook"):
                problem = rest_body_problem(request.body or b"")
                if problem is not None:
                    return response.json({"error": problem}, status=400)
                key = conversations.secret()
                if key and not conversations.is_issued(key, request.json["sender"]):
                    return response.json({"error": UNKNOWN_CONVERSATION}, status=403)
            return None

        return webhook
