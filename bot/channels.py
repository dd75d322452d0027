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

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels import rest as rasa_rest
from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage

from actions.privacy import redact

MAX_MESSAGE_CHARS = 2000
"""Longer messages are cut to this many characters (at a word break) before Rasa reads them:
the main question comes first, and NLU time grows with length (a 100 KB paste would take
seconds and store 100 KB a turn)."""


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
    of detail replaced; `metadata.truncated` marks a cut message."""
    async def handler(message: UserMessage) -> Any:
        text, kinds = redact(message.text or "")
        text, truncated = shorten(text)
        if kinds or truncated:
            message.text = text
            message.metadata = {**(message.metadata or {}),
                                **({"redacted": kinds} if kinds else {}),
                                **({"truncated": True} if truncated else {})}
        return await on_new_message(message)
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


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io input, answering through WholeMessageSocketIOOutput."""

    def blueprint(self, on_new_message: Any) -> Any:
        rasa_socketio.SocketIOOutput = WholeMessageSocketIOOutput  # type: ignore[misc]
        return super().blueprint(redacting(on_new_message))


class WholeMessageCollectingOutputChannel(rasa_rest.CollectingOutputChannel):
    """Collects each text as one message, never split at blank lines."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


class RestInput(rasa_rest.RestInput):
    """Rasa's REST input, answering through WholeMessageCollectingOutputChannel."""

    def blueprint(self, on_new_message: Any) -> Any:
        rasa_rest.CollectingOutputChannel = WholeMessageCollectingOutputChannel  # type: ignore[misc]
        return super().blueprint(redacting(on_new_message))
