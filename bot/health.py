"""Liveness and readiness of the Rasa server, for a load balancer or a process supervisor.

bot/credentials.yml names `bot.health.HealthInput`, which adds, under /webhooks/health/:
- `live`: 200 whenever the process answers HTTP;
- `ready`: 200 only when the model is loaded and the action server answers its own `/ready`
  (its knowledge loaded, the token accepted); otherwise 503 with `{"status": "not ready",
  "reason": ...}`, so nginx or a supervisor sends people elsewhere until it is.
Neither says anything about conversations.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

ACTION_CHECK_TIMEOUT = 2.0
"""Seconds to wait for the action server's `/ready`."""


async def readiness(agent: Any) -> str | None:
    """None if this server can answer people; otherwise why not."""
    if agent is None or not agent.is_ready():
        return "the model is not loaded"
    endpoint = agent.action_endpoint
    if endpoint is None:
        return "no action server is configured"
    url = endpoint.url.rsplit("/webhook", 1)[0] + "/ready"
    params = {endpoint.token_name: endpoint.token} if endpoint.token else {}
    try:
        timeout = aiohttp.ClientTimeout(total=ACTION_CHECK_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(url, params=params) as reply:
            if reply.status != 200:
                return f"the action server is not ready (HTTP {reply.status})"
    except (aiohttp.ClientError, TimeoutError):
        return "the action server does not answer"
    return None


class HealthInput(InputChannel):
    """Not a chat channel: `live` and `ready` for whatever watches the server."""

    @classmethod
    def name(cls) -> str:
        return "health"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("send_health", __name__)

        @health.route("/live", methods=["GET"])
        async def live(_: Request) -> HTTPResponse:
            return response.json({"status": "alive"})

        @health.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            reason = await readiness(getattr(request.app.ctx, "agent", None))
            if reason is not None:
                return response.json({"status": "not ready", "reason": reason}, status=503)
            return response.json({"status": "ready"})

        return health
