"""Measure how well the assistant understands: ask every evaluation question through the REST
channel and compare the first answer's `custom.topic` with the topics the question accepts.

Three figures: in-scope top-1 accuracy; the share of out-of-scope questions declined; and the
share of all questions answered with a wrong topic (not a decline, not "Did you mean"), the
costliest error, since the person gets a confident answer to a question they did not ask."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions.errors import SendAssistantError

OUT_OF_SCOPE = "out_of_scope"
UNSURE_REPLIES = (OUT_OF_SCOPE, "suggestions")
"""Replies that answer no topic: a decline, or "Did you mean" choices."""


class EvaluationError(SendAssistantError):
    """The evaluation set is malformed or the assistant could not be asked."""


@dataclass(frozen=True, slots=True)
class Question:
    """One evaluation question."""

    council: str
    """The council whose website it was asked on (sent as metadata)."""
    text: str
    """What the person typed."""
    expect: tuple[str, ...]
    """Topic ids that count as a correct first answer."""
    part: str | None = None
    """`tune` or `held_out` in a set split once into parts (tune only on `tune`), else None."""

    @property
    def in_scope(self) -> bool:
        """Whether a knowledge answer is expected (not a polite decline)."""
        return OUT_OF_SCOPE not in self.expect


@dataclass(frozen=True, slots=True)
class Result:
    """What the assistant answered to one question."""

    question: Question
    """The question asked."""
    topic: str | None
    """`custom.topic` of its first answer, or None if none came."""
    suggested: tuple[str, ...] = ()
    """The topics offered, when that answer was "Did you mean" (`custom.suggested`)."""

    @property
    def right_among_choices(self) -> bool:
        """Whether "Did you mean" offered a topic the question accepts."""
        return self.topic == "suggestions" and bool(set(self.suggested) & set(self.question.expect))

    @property
    def correct(self) -> bool:
        """Whether that topic is one the question accepts, or the decision flow that one of
        them starts for the question's council (Havering's "what next?" is its pathway)."""
        return self.topic in self.question.expect or bool(
            set(flow_starts(self.question.council).get(self.topic or "", ()))
            & set(self.question.expect))

    @property
    def through_note(self) -> bool:
        """Whether, though not a topic the question accepts, the answer is a council's topic
        whose "What the law says" note is from a national topic the question accepts: the law
        it asked about, under the council's guidance (counted apart, not as correct)."""
        return not self.correct and bool(set(law_notes().get(self.topic or "", ()))
                                          & set(self.question.expect))

    @property
    def confidently_wrong(self) -> bool:
        """Whether it answered a topic the question does not accept (rather than declining,
        offering choices, or answering right)."""
        return not self.correct and self.topic not in (*UNSURE_REPLIES, None)


def flow_starts(council: str) -> dict[str, tuple[str, ...]]:
    """Each decision flow a question may start for this council, with the topics it starts
    from (the shipped knowledge's `starts_from`)."""
    return _flow_starts().get(council, {})


@lru_cache(maxsize=1)
def _shipped() -> Any:
    """The shipped knowledge, loaded once for flow_starts and law_notes."""
    from actions.knowledge import load_knowledge
    from actions.paths import KNOWLEDGE_DIR

    return load_knowledge(KNOWLEDGE_DIR)


@lru_cache(maxsize=1)
def law_notes() -> dict[str, tuple[str, ...]]:
    """Each topic with the national topics whose "What the law says" note its answer carries
    (the shipped knowledge)."""
    kb = _shipped()
    return {topic: tuple(f.id for f in kb.law_notes(topic)) for topic in kb.topics}


@lru_cache(maxsize=1)
def _flow_starts() -> dict[str, dict[str, tuple[str, ...]]]:
    """Every council's flow_starts, from the shipped knowledge."""
    return {council: {flow.id: tuple(flow.starts_from) for flow in flows.values()}
            for council, flows in _shipped().flows.items()}


SCOPE_CHANGES = Path(__file__).resolve().parent.parent / "tests" / "eval" / "scope_changes.yaml"
"""Expectations of the (unchanged) shared development set that the project's scope has since
changed, with why: applied by load_questions and reported."""


def load_questions(path: Path, changes: Path | None = SCOPE_CHANGES) -> list[Question]:
    """Read an evaluation set: `questions: [{la, q, expect: [topic, ...]}, ...]`, with the
    scope changes of `changes` applied (see scope_changed)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions = [Question(council=str(item["la"]), text=str(item["q"]),
                              expect=tuple(item["expect"]),
                              part=str(item["part"]) if item.get("part") else None)
                     for item in data["questions"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise EvaluationError(f"{path}: not a readable evaluation set ({err}); each question "
                              "needs `la`, `q` and `expect`") from err
    changed = scope_changes(changes)
    return [Question(council=q.council, text=q.text, expect=changed[q.text], part=q.part)
            if q.text in changed else q for q in questions]


PARTS = ("tune", "held_out")


def by_part(results: list[Result]) -> dict[str | None, list[Result]]:
    """The results of a set split into parts, tune then held out (None: a set with no parts)."""
    parts: dict[str | None, list[Result]] = {}
    for r in sorted(results, key=lambda r: PARTS.index(r.question.part)
                    if r.question.part in PARTS else len(PARTS)):
        parts.setdefault(r.question.part, []).append(r)
    return parts


def scope_changes(path: Path | None = SCOPE_CHANGES) -> dict[str, tuple[str, ...]]:
    """Question text -> its new expectation, from tests/eval/scope_changes.yaml."""
    if path is None or not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(c["q"]): tuple(c["expect"]) for c in data.get("changes") or []}


def new_conversation(webhook: str) -> str:
    """A conversation id issued by the assistant behind this REST webhook (bot/conversations.py);
    a random one from an assistant without that endpoint (a plain Rasa)."""
    base = webhook.split("/webhooks/", 1)[0]
    request = urllib.request.Request(f"{base}/webhooks/conversation/new", data=b"",
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(json.loads(response.read())["conversation_id"])
    except urllib.error.HTTPError as err:
        with err:
            if err.code != 404:
                raise
    return f"c{uuid.uuid4().hex}"


def ask(webhook: str, text: str, council: str | None,
        sender: str | None = None) -> list[dict[str, Any]]:
    """Send one message through the REST channel (with `metadata.local_authority` when a
    council is given) and return the assistant's messages; without a `sender`, in a new
    conversation."""
    message: dict[str, Any] = {"sender": sender or new_conversation(webhook), "message": text}
    if council:
        message["metadata"] = {"local_authority": council}
    body = json.dumps(message).encode()
    request = urllib.request.Request(webhook, data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return list(json.loads(response.read()))


def _first_custom(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The custom payload of the first message that carries a `topic`, else empty."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("topic"):
            return custom
    return {}


def first_suggested(messages: list[dict[str, Any]]) -> tuple[str, ...]:
    """The topics a "Did you mean" reply offered (`custom.suggested`), else none."""
    return tuple(str(t) for t in _first_custom(messages).get("suggested") or ())


def first_topic(messages: list[dict[str, Any]]) -> str | None:
    """The `custom.topic` of the first message that carries one."""
    topic = _first_custom(messages).get("topic")
    return str(topic) if topic else None


def evaluate(webhook: str, questions: list[Question], progress: str | None = None
             ) -> list[Result]:
    """Ask every question in a new conversation of its own; with `progress` (a label), show a
    progress bar on standard error while it runs, if that is a terminal."""
    import sys

    from tqdm import tqdm

    shown = tqdm(questions, desc=progress, unit="question", leave=False,
                 disable=progress is None or not sys.stderr.isatty())
    results = []
    for q in shown:
        messages = ask(webhook, q.text, q.council)
        results.append(Result(q, first_topic(messages), first_suggested(messages)))
    return results


def accuracy(results: list[Result]) -> float:
    """The share of results that are correct (0 for none)."""
    return sum(r.correct for r in results) / len(results) if results else 0.0


def confident_wrong_rate(results: list[Result]) -> float:
    """The share of results that answered a wrong topic (0 for none)."""
    return sum(r.confidently_wrong for r in results) / len(results) if results else 0.0


def report(results: list[Result], show_misses: bool = True) -> str:
    """Per-topic and overall top-1 accuracy, then every miss (or, for a held-out part, only
    how many: it is for reporting, never for tuning)."""
    by_topic: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_topic[r.question.expect[0]].append(r)
    width = max([len(t) for t in by_topic] + [10])
    lines = [f"{'topic':<{width}}  correct  accuracy"]
    for topic in sorted(by_topic):
        rs = by_topic[topic]
        lines.append(f"{topic:<{width}}  {sum(r.correct for r in rs):>3}/{len(rs):<3}  "
                     f"{accuracy(rs):>7.0%}")
    in_scope = [r for r in results if r.question.in_scope]
    out_scope = [r for r in results if not r.question.in_scope]
    lines += ["", f"in-scope top-1 accuracy:     {accuracy(in_scope):.1%} "
              f"({sum(r.correct for r in in_scope)}/{len(in_scope)})",
              f"out-of-scope declined:       {accuracy(out_scope):.1%} "
              f"({sum(r.correct for r in out_scope)}/{len(out_scope)})",
              f"wrong topic answered:        {confident_wrong_rate(results):.1%} "
              f"({sum(r.confidently_wrong for r in results)}/{len(results)})",
              f"  of them, the law asked about as the answer's note: "
              f"{sum(r.through_note for r in results)}",
              f"\"Did you mean\" with a right topic among the choices: "
              f"{sum(r.right_among_choices for r in results)} of "
              f"{sum(r.topic == 'suggestions' for r in results)}",
              f"overall top-1 accuracy:      {accuracy(results):.1%} "
              f"({sum(r.correct for r in results)}/{len(results)})"]
    changed = scope_changes()
    moved = [r for r in results if r.question.text in changed]
    if moved:
        lines.append(f"scope changes applied:       {len(moved)} (tests/eval/scope_changes.yaml)")
    misses = [r for r in results if not r.correct]
    if misses and not show_misses:
        lines += ["", f"({len(misses)} misses not listed: the held-out part is not for tuning; "
                  "--show-held-out lists them)"]
    elif misses:
        lines += ["", "misses (council | question | expected -> answered; ! = wrong topic, "
                  "~ = wrong topic carrying the expected law note):"]
        lines += [f"{'~' if r.through_note else '!' if r.confidently_wrong else ' '} "
                  f"{r.question.council} | "
                  f"{r.question.text[:150]} | {'/'.join(r.question.expect)} -> {r.topic}"
                  for r in misses]
    return "\n".join(lines)
