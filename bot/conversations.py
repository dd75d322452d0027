"""Conversation ids issued and signed by the server, so nobody can write into a conversation by
guessing or choosing its id.

Rasa's REST and socket.io channels take the client's `sender` as the conversation id. With a
secret configured (`SEND_CONVERSATION_SECRET`, which the production configuration sets and
tools/stack.py makes per start), the REST channel accepts only ids this server issued:
`POST /webhooks/conversation/new` answers `{"conversation_id": ...}`: "c", 22 random URL-safe
characters (128 bits), a dot, and an HMAC-SHA256 signature of them. Any other `sender` gets
403 (bot/channels.py); a socket.io message with any other `session_id` is answered "start a new
conversation" and not handled. The widget asks for an id before its first message.

Without a secret (the embedded configuration of `make run`), ids are still issued, random and
unsigned, and the channel takes any well-formed id, as ../shared/CONTRACT.md lets clients send
their own.

bot/credentials.yml names `bot.conversations.ConversationInput`, which serves that endpoint.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

SECRET_ENV = "SEND_CONVERSATION_SECRET"
SIGNATURE_CHARS = 22
"""Characters of the signature kept (132 bits)."""


def secret() -> bytes | None:
    """The signing secret from the environment, or None (then any well-formed id is taken)."""
    value = os.environ.get(SECRET_ENV)
    return value.encode() if value else None


def _signature(key: bytes, token: str) -> str:
    digest = hmac.new(key, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:SIGNATURE_CHARS]


def issue(key: bytes) -> str:
    """A new conversation id: random, and signed with the key."""
    token = "c" + secrets.token_urlsafe(16)  # starts with a letter, as conversation ids must
    return f"{token}.{_signature(key, token)}"


def is_issued(key: bytes, conversation_id: str) -> bool:
    """Whether this server (holding the key) issued the id."""
    token, dot, signature = conversation_id.rpartition(".")
    return bool(token and dot) and hmac.compare_digest(signature, _signature(key, token))


class ConversationInput(InputChannel):
    """Not a chat channel: issues conversation ids at /webhooks/conversation/new."""

    @classmethod
    def name(cls) -> str:
        return "conversation"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        conversation = Blueprint("send_conversation", __name__)

        @conversation.route("/new", methods=["POST"])
        async def new(_: Request) -> HTTPResponse:
            key = secret()
            conversation_id = issue(key) if key else f"c-{secrets.token_urlsafe(24)}"
            return response.json({"conversation_id": conversation_id},
                                 headers={"Cache-Control": "no-store"})

        return conversation
