"""Serve the chat widget (widget/) and its demo page from the assistant's own Rasa server.

bot/credentials.yml names `bot.widget.WidgetInput`, which adds, under /webhooks/widget/:
- `send-widget.js` and `send-widget.css`: what a council page loads with one script tag;
- `demo`: a council-style page with the widget on it (`?council=havering` picks the council),
  served with a strict Content Security Policy, so the widget is proved to work under one.
The widget talks to the REST channel (/webhooks/rest/webhook) like any other client. Which
other sites may call the assistant from a browser is Rasa's `--cors` setting
(`SEND_ALLOWED_ORIGINS`, see tools/servers.py).
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.paths import PROJECT_ROOT

WIDGET_DIR = PROJECT_ROOT / "widget"
FILES = {"send-widget.js": "text/javascript; charset=utf-8",
         "send-widget.css": "text/css; charset=utf-8",
         "demo.css": "text/css; charset=utf-8",
         "icon.svg": "image/svg+xml"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
"""The demo page's Content Security Policy: nothing inline, nothing from elsewhere."""
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
COUNCIL_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class WidgetInput(InputChannel):
    """Not a chat channel: the static files of the widget and its demo page."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("send_widget", __name__)

        @widget.route("/<filename>", methods=["GET"])
        async def static(request: Request, filename: str) -> HTTPResponse:
            if filename not in FILES:
                return response.text("Not found", status=404)
            return response.text((WIDGET_DIR / filename).read_text(encoding="utf-8"),
                                 content_type=FILES[filename],
                                 headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

        @widget.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            council = request.args.get("council", "sefton")
            if not COUNCIL_ID.match(council):
                return response.text("Unknown council", status=400)
            page = (WIDGET_DIR / "demo.html").read_text(encoding="utf-8")
            return response.html(page.replace('data-council="COUNCIL"',
                                              f'data-council="{council}"'),
                                 headers={**SECURITY_HEADERS, "Content-Security-Policy": CSP})

        return widget
