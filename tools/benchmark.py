"""`send-assistant benchmark`: this assistant against a plain `rasa init` assistant, in one run.

Both are trained from scratch and started on free loopback ports in a temporary folder, then
measured the same way through the REST channel:
- training: a full `rasa train` (forced);
- cold start: from starting the server processes to the first answered message;
- latency p50/p95/p99 for one user, and for 20 concurrent conversations, with messages/second
  and errors (this assistant's messages call the action server and take decision-flow steps),
  after one untimed round of 20 conversations (errors count in both rounds);
- peak memory (VmHWM) of the Rasa server and of the action server;
- latency over the last 10 turns of one 100-turn conversation against its first 10 (the
  same 10 messages in the same order, so only the conversation's length differs);
- (this assistant only) time from an answer edit to the edited answer being served.
It stops by itself (every wait has a deadline) and prints a table, and whether each of the
issue's targets is met; `--out` writes both as Markdown (default: benchmarks/results.md) so runs
can be compared.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from actions.errors import SendAssistantError
from actions.paths import KNOWLEDGE_DIR, PROJECT_ROOT
from tools.evaluate import new_conversation
from tools.servers import free_port, running_assistant

DEFAULT_OUT = PROJECT_ROOT / "benchmarks" / "results.md"
CONCURRENT = 20
"""Conversations at once in the concurrent measurement."""
TURNS_EACH = 10
"""Messages each concurrent conversation sends."""
SINGLE = 40
"""Messages one user sends, one after another."""
LONG = 100
"""Turns of the long conversation."""
WINDOW = 10
"""Turns compared at each end of the long conversation: one pass through the messages."""
DEADLINE = 600.0
"""Seconds any one step may take before the benchmark gives up on it."""

OURS = ["what is SEN support?", "what does the SENCO do?", "what is an EHCP?",
        "help", "/next_steps", "/affirm", "/deny", "/not_sure", "what is the local offer?",
        "tell me more"]
"""This assistant's messages: answers (action server), a decision flow's steps, a follow-up."""
BASELINE = ["hello", "I am sad", "yes", "great", "no", "bye", "are you a bot?", "very good",
            "hi there", "not really"]
"""A `rasa init` assistant's own kind of messages."""


class BenchmarkError(SendAssistantError):
    """A step of the benchmark failed or took too long."""


@dataclass
class Figures:
    """One assistant's measurements."""

    name: str
    train_s: float = 0.0
    cold_start_s: float = 0.0
    single_ms: list[float] = field(default_factory=list)
    concurrent_ms: list[float] = field(default_factory=list)
    concurrent_rate: float = 0.0
    errors: int = 0
    rasa_peak_mb: float = 0.0
    action_peak_mb: float | None = None
    first_turns_ms: list[float] = field(default_factory=list)
    late_turns_ms: list[float] = field(default_factory=list)
    edit_served_s: float | None = None


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values, 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[min(len(ordered), max(1, rank)) - 1]


def post(webhook: str, sender: str, text: str, council: str | None) -> float:
    """Send one message; return its latency in milliseconds. Raises on an HTTP error (an empty
    reply is a reply: a plain `rasa init` bot says nothing to some messages)."""
    body: dict[str, object] = {"sender": sender, "message": text}
    if council:
        body["metadata"] = {"local_authority": council}
    request = urllib.request.Request(webhook, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 200 or not isinstance(json.loads(response.read()), list):
            raise BenchmarkError(f"no reply to {text!r}")
    return (time.perf_counter() - start) * 1000


def peak_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM) in MB, 0 if it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(figures: Figures, webhook: str, messages: list[str], council: str | None) -> None:
    """Latency for one user, for CONCURRENT users, and at turn 1 against turn LONG."""
    sender = new_conversation(webhook)
    figures.single_ms = [post(webhook, sender, messages[i % len(messages)], council)
                         for i in range(SINGLE)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def conversation() -> None:
        own = new_conversation(webhook)
        for i in range(TURNS_EACH):
            try:
                ms = post(webhook, own, messages[i % len(messages)], council)
                with lock:
                    latencies.append(ms)
            except Exception as err:  # counted, not raised: the figure is the error count
                with lock:
                    errors.append(str(err))

    def round_of_conversations() -> float:
        threads = [threading.Thread(target=conversation) for _ in range(CONCURRENT)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE)
        return time.perf_counter() - start

    round_of_conversations()  # untimed: the servers open their connections and pools
    latencies.clear()
    elapsed = round_of_conversations()
    figures.concurrent_ms, figures.errors = latencies, len(errors)
    figures.concurrent_rate = len(latencies) / elapsed if elapsed else 0.0
    long_sender = new_conversation(webhook)
    turns = [post(webhook, long_sender, messages[i % len(messages)], council)
             for i in range(LONG)]
    figures.first_turns_ms, figures.late_turns_ms = turns[:WINDOW], turns[-WINDOW:]


def timed_training(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            timeout=DEADLINE)
    if result.returncode != 0:
        raise BenchmarkError(f"training failed: {' '.join(cmd)}")
    return time.perf_counter() - start


def first_answer(webhook: str, messages: list[str], council: str | None,
                 alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if not alive():
            raise BenchmarkError("a server exited while starting")
        try:
            post(webhook, new_conversation(webhook), messages[0], council)
            return
        except Exception:
            time.sleep(0.05)
    raise BenchmarkError(f"{webhook} answered nothing within {DEADLINE:.0f}s")


def ours(work: Path, log: Callable[[str], None]) -> Figures:
    """Train and measure this assistant, on a copy of the knowledge (for the edit test)."""
    figures = Figures("this assistant")
    rasa = str(Path(sys.executable).parent / "rasa")
    log("this assistant: training (a few minutes)...")
    figures.train_s = timed_training(
        [rasa, "train", "--force", "--config", "bot/config.yml", "--domain", "bot/domain",
         "--data", "data", "--out", str(work / "models"), "--fixed-model-name", "ours"],
        PROJECT_ROOT)
    knowledge = work / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    log("this assistant: starting...")
    start = time.perf_counter()
    with running_assistant(model=work / "models" / "ours.tar.gz", rasa_port=free_port(),
                           action_port=free_port(), work_dir=work / "var",
                           env={"SEND_KNOWLEDGE_DIR": str(knowledge)}) as assistant:
        first_answer(assistant.webhook, OURS, "sefton", assistant.alive)
        figures.cold_start_s = time.perf_counter() - start
        log("this assistant: measuring latency...")
        measure(figures, assistant.webhook, OURS, "sefton")
        figures.edit_served_s = edit_to_served(assistant.webhook, knowledge)
        action, rasa_proc = assistant.processes
        figures.rasa_peak_mb, figures.action_peak_mb = peak_mb(rasa_proc.pid), peak_mb(action.pid)
    return figures


def edit_to_served(webhook: str, knowledge: Path) -> float:
    """Seconds from saving an edited answer to the assistant serving it."""
    path = knowledge / "sefton" / "sen_support.md"
    marker = f"Edited {uuid.uuid4().hex[:8]}."
    text = path.read_text(encoding="utf-8")
    start = time.perf_counter()
    path.write_text(text.rstrip() + f"\n\n{marker}\n", encoding="utf-8")
    sender = new_conversation(webhook)
    body = json.dumps({"sender": sender, "message": "/sen_support",
                       "metadata": {"local_authority": "sefton"}}).encode()
    while time.perf_counter() - start < 60:
        request = urllib.request.Request(webhook, data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            if marker in response.read().decode():
                return time.perf_counter() - start
        time.sleep(0.05)
    raise BenchmarkError("the edited answer was not served within 60 s")


@contextmanager
def baseline_server(project: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    rasa = str(Path(sys.executable).parent / "rasa")
    log_file = (project / "rasa.log").open("wb")
    proc = subprocess.Popen([rasa, "run", "--port", str(port), "--interface", "127.0.0.1"],
                            cwd=project, stdout=log_file, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


def baseline(work: Path, log: Callable[[str], None]) -> Figures:
    """A plain `rasa init` assistant: its default pipeline, policies and example data."""
    figures = Figures("plain rasa init")
    rasa = str(Path(sys.executable).parent / "rasa")
    project = work / "baseline"
    project.mkdir()  # rasa init wants the folder to exist
    log("baseline: rasa init...")
    subprocess.run([rasa, "init", "--no-prompt", "--init-dir", str(project)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=DEADLINE,
                   check=True)
    log("baseline: training...")
    figures.train_s = timed_training([rasa, "train", "--force"], project)
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    log("baseline: starting...")
    start = time.perf_counter()
    with baseline_server(project, port) as proc:
        first_answer(webhook, BASELINE, None, lambda: proc.poll() is None)
        figures.cold_start_s = time.perf_counter() - start
        log("baseline: measuring latency...")
        measure(figures, webhook, BASELINE, None)
        figures.rasa_peak_mb = peak_mb(proc.pid)
    return figures


def table(mine: Figures, base: Figures) -> str:
    """The results as a Markdown table: both assistants and this one's ratio to the baseline."""
    def row(name: str, a: float | None, b: float | None, unit: str) -> str:
        ratio = f"{a / b:.2f}" if a is not None and b else "-"
        shown = [f"{v:.{1 if unit in ('s', 'MB', '/s') else 0}f} {unit}" if v is not None
                 else "-" for v in (a, b)]
        return f"| {name} | {shown[0]} | {shown[1]} | {ratio} |"

    def ms(values: list[float], p: float) -> float:
        return percentile(values, p)

    lines = ["| measure | this assistant | plain rasa init | ratio |", "| --- | --- | --- | --- |",
             row("full training", mine.train_s, base.train_s, "s"),
             row("cold start to first answer", mine.cold_start_s, base.cold_start_s, "s")]
    for label, values_a, values_b in (("1 user", mine.single_ms, base.single_ms),
                                      (f"{CONCURRENT} users", mine.concurrent_ms,
                                       base.concurrent_ms)):
        for p in (50, 95, 99):
            lines.append(row(f"latency p{p}, {label}", ms(values_a, p), ms(values_b, p), "ms"))
    lines += [row(f"messages/second, {CONCURRENT} users", mine.concurrent_rate,
                  base.concurrent_rate, "/s"),
              f"| errors, {CONCURRENT} users | {mine.errors} | {base.errors} | - |",
              row("Rasa server peak memory", mine.rasa_peak_mb, base.rasa_peak_mb, "MB"),
              row("action server peak memory", mine.action_peak_mb, None, "MB"),
              row(f"latency, turns 1-{WINDOW} (median)", statistics.median(mine.first_turns_ms),
                  statistics.median(base.first_turns_ms), "ms"),
              row(f"latency, turns {LONG - WINDOW + 1}-{LONG} (median)",
                  statistics.median(mine.late_turns_ms), statistics.median(base.late_turns_ms),
                  "ms"),
              row("answer edit to served", mine.edit_served_s, None, "s")]
    return "\n".join(lines)


def targets(mine: Figures, base: Figures) -> str:
    """Where this run stands against the issue's targets, as a Markdown table."""
    p95 = percentile(mine.concurrent_ms, 95) / (percentile(base.concurrent_ms, 95) or math.inf)
    growth = (statistics.median(mine.late_turns_ms) / statistics.median(mine.first_turns_ms)
              if mine.first_turns_ms and mine.late_turns_ms else math.inf)
    edit = mine.edit_served_s if mine.edit_served_s is not None else math.inf
    rows = [
        ("cold start", "at most 0.4 of the baseline's",
         mine.cold_start_s / base.cold_start_s, "{:.2f}", 0.4),
        (f"p95 latency, {CONCURRENT} conversations, zero errors",
         "at most 0.7 of the baseline's", p95, "{:.2f}" + f", {mine.errors} errors",
         0.7 if mine.errors == 0 else -1.0),
        ("full training", "at most 2 minutes", mine.train_s, "{:.0f} s", 120.0),
        ("answer edit served, no retraining", "within 2 s", edit, "{:.1f} s", 2.0),
        ("Rasa server peak memory", "no more than the baseline's",
         mine.rasa_peak_mb / base.rasa_peak_mb, "{:.2f}", 1.0),
        (f"latency at turn {LONG}", "at most 1.5 times turn 1's", growth, "{:.2f}", 1.5)]
    lines = ["| target | needed | measured | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {needed} | {shown.format(value)} | "
              f"{'yes' if value <= limit else 'no'} |"
              for name, needed, value, shown, limit in rows]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `benchmark` command's options."""
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="write the table here as Markdown (default: benchmarks/results.md)")


def run(args: argparse.Namespace) -> int:
    """Measure both assistants, print the table and write it to `--out`."""
    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="send-bench-") as tmp:
        work = Path(tmp)
        base = baseline(work, log)
        mine = ours(work, log)
    result = table(mine, base)
    standing = targets(mine, base)
    print(f"{result}\n\n{standing}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cpu = os.cpu_count()
    args.out.write_text(
        f"# Benchmark results\n\nMeasured by `send-assistant benchmark` on "
        f"{time.strftime('%Y-%m-%d %H:%M')} ({cpu} CPUs). Ratio = this assistant / plain "
        f"`rasa init` (Rasa 3.6.21, its default pipeline and policies).\n\n{result}\n\n"
        f"## Where the issue's targets stand (this run)\n\n{standing}\n",
        encoding="utf-8")
    log(f"written to {args.out}")
    return 0
