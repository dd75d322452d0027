"""The action server's entry point: `python -m actions.server --port 5055`, rasa_sdk's server
made private. Only the Rasa server should ever call it:

- it listens on 127.0.0.1 unless `--host` (or `SEND_ACTION_HOST`) says otherwise;
- with a token (`SEND_ACTION_TOKEN`), `/webhook` and `/ready` answer only requests carrying it
  as `?token=...`, which is how Rasa sends an action endpoint's `token` (tools/servers.py sets a
  new random one for every start); others get 401 and learn nothing;
- a body that is not an action call gets 400; an error answers `{"error": "internal error"}`:
  rasa_sdk's own handler answers with the whole request, which is the conversation's tracker,
  messages and all;
- no browser may call it (rasa_sdk allows every origin by default);
- `/ready` answers 200 only once the knowledge has loaded (503 with the reason otherwise), for
  the Rasa server's readiness check; `/health` (rasa_sdk's) says only that the process is up.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.errors import SendAssistantError

log = logging.getLogger(__name__)

TOKEN_ENV = "SEND_ACTION_TOKEN"
HOST_ENV = "SEND_ACTION_HOST"
PROTECTED = ("/webhook", "/ready")


def is_action_call(body: object) -> bool:
    """Whether a request body has the shape of Rasa's action call (rasa_sdk fails with a 500
    on other JSON, such as a list)."""
    return (isinstance(body, dict) and isinstance(body.get("next_action"), str)
            and isinstance(body.get("tracker"), dict | None))


def build_app(token: str | None) -> Sanic:
    """rasa_sdk's app for this project's actions, with the token check, the quiet error handler
    and `/ready`."""
    app = create_app("actions", cors_origins=None)

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if token and request.path in PROTECTED and not hmac.compare_digest(
                (request.args.get("token") or "").encode(), token.encode()):
            return response.json({"error": "unauthorised"}, status=401)
        if request.path == "/webhook" and request.method == "POST" and \
                request.headers.get("Content-Encoding") != "deflate" and \
                not is_action_call(request.json):  # invalid JSON raises: a 400 below
            return response.json({"error": "bad request"}, status=400)
        return None

    async def quiet_error(request: Request, exception: Exception) -> HTTPResponse:
        status = int(getattr(exception, "status_code", 500) or 500)
        if status < 500:
            return response.json({"error": "bad request"}, status=status)
        log.error("action server error on %s %s: %s", request.method, request.path,
                  type(exception).__name__, exc_info=exception)
        return response.json({"error": "internal error"}, status=500)

    app.error_handler.add(Exception, quiet_error)

    @app.get("/ready")
    async def ready(_: Request) -> HTTPResponse:
        from actions.actions import STORE

        try:
            STORE.get()
        except SendAssistantError as err:
            return response.json({"status": "not ready", "reason": str(err)}, status=503)
        return response.json({"status": "ready"})

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055, help="port to listen on (5055)")
    parser.add_argument("--host", default=os.environ.get(HOST_ENV, "127.0.0.1"),
                        help=f"interface to listen on (${HOST_ENV}, else 127.0.0.1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    token = os.environ.get(TOKEN_ENV) or None
    if token is None:
        log.warning("%s is not set: any local process may call the action server", TOKEN_ENV)
    build_app(token).run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
