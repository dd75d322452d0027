"""A socket.io channel that sends each answer whole and its custom payload as `{"custom": ...}`.

Rasa 3.6's socket.io output has two faults this assistant cannot live with:
- `send_custom_json` calls `sio.emit(event, **payload)`, so a payload such as
  `{"topic": ..., "sources": ...}` raises TypeError and the user gets nothing;
- text is split at every blank line into separate messages, so one answer arrives (and is
  announced by a screen reader) as many.
This channel sends messages the way the REST channel does: one message with `text` (and
`quick_replies` for buttons), then one with `custom`. Use it in bot/credentials.yml as
`bot.channels.SocketIOInput`; it takes the same settings as Rasa's `socketio`.
"""
from __future__ import annotations

from typing import Any

from rasa.core.channels import socketio as rasa_socketio


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
        # Rasa creates the output inside the blueprint's handler by this module-level name,
        # so pointing the name at our output class is the one place to change it.
        rasa_socketio.SocketIOOutput = WholeMessageSocketIOOutput  # type: ignore[misc]
        return super().blueprint(on_new_message)
