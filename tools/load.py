"""`send-assistant load`: drive many concurrent conversations through nginx to the production
stack and print throughput, latency percentiles and errors.

It starts the stack itself (tools/stack.py: PostgreSQL, Redis, `--processes` Rasa servers, the
action server, nginx) on loopback, or uses one already running at `--url`, which must be a
loopback address: it never sends load anywhere else. It stops by itself after `--seconds`.
Each simulated person keeps one conversation: questions a parent would type, a decision flow's
buttons, a follow-up, and thanks, with a short pause between messages.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import random
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from actions.errors import SendAssistantError
from tools.benchmark import percentile
from tools.evaluate import new_conversation

SCRIPT = ["hi", "what is SEN support?", "what does the SENCO do?",
          "my son is struggling at school, what should I do?", "/affirm", "/deny",
          "what is an EHCP?", "tell me more", "how do schools spot special educational needs?",
          "what is the local offer?", "thanks"]
"""One person's conversation, in order (then again from the top)."""
PAUSE_S = (0.2, 0.8)
"""Seconds a person waits between a reply and their next message (uniform)."""
TIMEOUT_S = 30.0
"""A reply slower than this counts as an error."""


UNLIMITED = "100000r/s"
"""nginx's per-address limit for a stack this command starts: every simulated person comes from
127.0.0.1, which the production limit would refuse."""


class LoadError(SendAssistantError):
    """The load run could not start or was pointed somewhere it must not go."""


@dataclass(slots=True)
class Results:
    """What a run measured."""

    users: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        def ms(p: float) -> str:
            return f"{percentile(self.latencies_ms, p):.0f} ms"
        kinds = sorted({e.split(":")[0] for e in self.errors})
        return (f"{self.users} conversations for {self.seconds:.0f} s: "
                f"{len(self.latencies_ms)} replies, {self.throughput:.1f} messages/second, "
                f"p50 {ms(50)}, p95 {ms(95)}, p99 {ms(99)}, errors {len(self.errors)}"
                + (f" ({', '.join(kinds)})" if kinds else ""))


def require_loopback(url: str) -> None:
    """Refuse any address that is not this machine."""
    host = urllib.parse.urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LoadError(f"{url} is not a loopback address: the load generator only targets "
                        "this machine (127.0.0.1 or localhost)")


def one_message(webhook: str, sender: str, text: str) -> float:
    """Send a message as the widget would; the latency in ms. Raises on an error or silence."""
    body = json.dumps({"sender": sender, "message": text,
                       "metadata": {"local_authority": "sefton"}}).encode()
    request = urllib.request.Request(webhook, data=body, headers={
        "Content-Type": "application/json", "X-Conversation-Id": sender})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
        messages = json.loads(reply.read())
    if not messages:
        raise LoadError("silence")
    return (time.perf_counter() - start) * 1000


def drive(webhook: str, users: int, seconds: float, seed: int = 7) -> Results:
    """`users` people talking at once for `seconds`; every thread stops by the deadline."""
    require_loopback(webhook)
    results = Results(users=users, seconds=seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def person(n: int) -> None:
        rng = random.Random(seed + n)
        try:
            sender = new_conversation(webhook)
        except (OSError, ValueError, KeyError) as err:
            with lock:
                results.errors.append(f"{type(err).__name__}: {err}")
            return
        turn = 0
        while time.monotonic() < deadline:
            text = SCRIPT[turn % len(SCRIPT)]
            try:
                ms = one_message(webhook, sender, text)
                with lock:
                    results.latencies_ms.append(ms)
            except (OSError, ValueError, LoadError, urllib.error.URLError) as err:
                with lock:
                    results.errors.append(f"{type(err).__name__}: {err}")
            turn += 1
            time.sleep(rng.uniform(*PAUSE_S))

    threads = [threading.Thread(target=person, args=(n,), daemon=True) for n in range(users)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + TIMEOUT_S + 5)
    results.seconds = time.monotonic() - start
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=20, help="conversations at once (20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run (60)")
    parser.add_argument("--processes", type=int, default=2,
                        help="Rasa server processes in the stack it starts (2)")
    parser.add_argument("--url", default=None,
                        help="a stack already running on this machine (e.g. "
                        "http://127.0.0.1:8080) instead of starting one")


def run(args: argparse.Namespace) -> int:
    if args.users < 1 or args.seconds <= 0 or args.processes < 1:
        raise LoadError("--users, --seconds and --processes must be positive")
    if args.url:
        print(drive(f"{args.url.rstrip('/')}/webhooks/rest/webhook", args.users,
                    args.seconds).summary())
        return 0
    from tools.stack import running_stack

    with tempfile.TemporaryDirectory(prefix="send-load-") as tmp, \
            running_stack(work_dir=Path(tmp), rasa_processes=args.processes,
                          rate=UNLIMITED) as stack:
        drive(stack.webhook, min(args.users, 5), 5.0)  # untimed warm-up
        results = drive(stack.webhook, args.users, args.seconds)
    print(f"{args.processes} Rasa process(es) behind nginx, {results.summary()}")
    return 0
