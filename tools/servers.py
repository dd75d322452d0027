"""Start the action server and the Rasa server as real processes, and wait until they answer.

The action server listens on 127.0.0.1 only and answers only requests with the token this start
gives both servers (`SEND_ACTION_TOKEN`, else a new random one), see actions/server.py. With
`SEND_CONVERSATION_SECRET` set (production), the Rasa server takes only conversation ids it
issued; without it, any well-formed id, as ../shared/CONTRACT.md allows (bot/conversations.py)."""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from actions.errors import SendAssistantError
from actions.paths import PROJECT_ROOT
from tools.train import MODEL_PATH

START_TIMEOUT = 240.0
"""Seconds to wait for a server to answer before giving up."""


TELEMETRY_OFF = {"RASA_TELEMETRY_ENABLED": "false"}
"""Rasa sends usage data and crash reports to Segment and Sentry unless this is set."""


class ServerError(SendAssistantError):
    """A server did not start; the message says which and where its log is."""


@dataclass(slots=True)
class Assistant:
    """A running assistant: where to reach it and where its logs go."""

    rasa_url: str
    """The Rasa server, e.g. http://127.0.0.1:5005."""
    action_url: str
    """The action server, e.g. http://127.0.0.1:5055."""
    log_dir: Path
    """Holds rasa.log and actions.log."""
    action_token: str
    """The token the Rasa server sends the action server."""
    processes: list[subprocess.Popen[bytes]]
    """The action server's and the Rasa server's processes."""

    def alive(self) -> bool:
        """Whether both servers are still running."""
        return all(proc.poll() is None for proc in self.processes)

    @property
    def webhook(self) -> str:
        """The REST channel's address (CONTRACT.md)."""
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def demo_page(self) -> str:
        """The widget's demo page (bot/widget.py)."""
        return f"{self.rasa_url}/webhooks/widget/demo"


def cors_arguments(origins: str) -> list[str]:
    """`rasa run` arguments that let these web origins (space- or comma-separated, e.g. a
    council's "https://www.example.gov.uk") call the assistant from a browser; none by default,
    so only pages the assistant serves itself (the demo) can."""
    from bot.channels import parse_origins

    allowed = parse_origins(origins)
    for origin in allowed:
        if not origin.startswith(("https://", "http://")) or "*" in origin:
            raise ServerError(f"SEND_ALLOWED_ORIGINS: {origin!r} is not a web origin; give "
                              "addresses like https://www.example.gov.uk, no wildcards")
    return ["--cors", *allowed] if allowed else []


def port_is_free(port: int) -> bool:
    """Whether nothing listens on this loopback port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_assistant(*, model: Path = MODEL_PATH, rasa_port: int = 5005,
                      action_port: int = 5055, work_dir: Path,
                      env: dict[str, str] | None = None) -> Iterator[Assistant]:
    """Run both servers on loopback until the block ends, with the tracker in work_dir.

    `env` adds environment variables for both (e.g. SEND_KNOWLEDGE_DIR, SEND_DEFAULT_COUNCIL).
    """
    if not model.is_file():
        raise ServerError(f"no trained model at {model}; run `make train` first")
    for port in (rasa_port, action_port):
        if not port_is_free(port):
            raise ServerError(f"port {port} on 127.0.0.1 is already in use (is the assistant "
                              "already running?); stop that process or choose other ports")
    work_dir.mkdir(parents=True, exist_ok=True)
    endpoints = work_dir / "endpoints.yml"
    child_env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **TELEMETRY_OFF, **(env or {})}
    token = child_env.get("SEND_ACTION_TOKEN") or secrets.token_urlsafe(32)
    child_env["SEND_ACTION_TOKEN"] = token
    endpoints.write_text(yaml.safe_dump(_endpoints(action_port, work_dir / "tracker.db", token)))
    endpoints.chmod(0o600)  # it holds the token
    action_cmd = action_server_command(action_port)
    rasa_cmd = [sys.executable, "-m", "bot.server", "run", "--model", str(model),
                "--endpoints", str(endpoints), "--credentials",
                str(PROJECT_ROOT / "bot" / "credentials.yml"),
                "--interface", "127.0.0.1", "--port", str(rasa_port),
                *cors_arguments(child_env.get("SEND_ALLOWED_ORIGINS", ""))]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(start_process(action_cmd, work_dir / "actions.log", child_env))
        procs.append(start_process(rasa_cmd, work_dir / "rasa.log", child_env))
        assistant = Assistant(rasa_url=f"http://127.0.0.1:{rasa_port}",
                              action_url=f"http://127.0.0.1:{action_port}", log_dir=work_dir,
                              action_token=token, processes=procs)
        wait_for(f"{assistant.action_url}/health", procs[0], work_dir / "actions.log")
        wait_for(f"{assistant.rasa_url}/webhooks/health/ready", procs[1],
                  work_dir / "rasa.log")
        yield assistant
    finally:
        for proc in reversed(procs):
            stop_process(proc)


def action_server_command(port: int) -> list[str]:
    """The command that starts the action server on this port (loopback only)."""
    return [sys.executable, "-m", "actions.server", "--port", str(port), "--host", "127.0.0.1"]


def _endpoints(action_port: int, db: Path, token: str) -> dict[str, object]:
    config = yaml.safe_load((PROJECT_ROOT / "bot" / "endpoints.yml").read_text())
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    config["action_endpoint"]["token"] = token
    config["tracker_store"]["db"] = str(db)
    return dict(config)


def start_process(cmd: list[str], log: Path, env: dict[str, str], *,
                  append: bool = False) -> subprocess.Popen[bytes]:
    """Start a server in its own process group, its output to `log` (added to, if `append`)."""
    with log.open("ab" if append else "wb") as out:
        return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until `url` answers 200; ServerError (with the log's tail) if the process exits
    or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{log.stem} server exited with {proc.returncode}; see {log}:\n"
                              f"{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise ServerError(f"{url} did not answer within {START_TIMEOUT:.0f}s; see {log}:\n"
                      f"{_tail(log)}")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Ask a server's process group to finish (SIGTERM); kill it if it has not within 20 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
