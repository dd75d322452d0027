"""Decision flows as data: load `knowledge/<council>/flows/<flow>.yaml` and validate them.

A flow is a graph of nodes: questions (text, answers, the next node for each), information
(text, then the next node) and outcomes (text, sources). Validation makes sure every node is
reachable, every answer leads to a node, no path loops or stops short of an outcome, and every
source is a section of the shipped guidance. Wording can differ for parents and professionals;
the facts, the branching and the outcome cannot (there is one graph).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from actions.errors import Problem
from actions.sources import SourceRef, load_sources

ROLES = ("parent", "professional")
"""Audiences a flow can word its text for; parents' wording is the default."""
NODE_TYPES = ("question", "info", "outcome")
RECORD_STATUSES = ("in_place", "missing", "unknown", "explain")
FLOW_FIELDS = {"id", "title", "council", "starts_from", "offer_after", "intro", "start", "nodes"}


@dataclass(frozen=True, slots=True)
class Wording:
    """The same text for each role: parents' and professionals' wording of the same facts."""

    parent: str
    """Plain wording for parents and carers (the default)."""
    professional: str
    """Wording for social care and early help staff."""

    def for_role(self, role: str | None) -> str:
        """The wording for a role; parents' for an unknown role."""
        return self.professional if role == "professional" else self.parent


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer a question allows."""

    id: str
    """Stable id (`yes`, `no`, `not_sure`, ...); the button payload names it."""
    label: str
    """The button's text."""
    next: str
    """The node this answer leads to."""
    because: str
    """The guidance rule this answer triggers, shown in the outcome's "why"."""
    explain: Wording | None
    """Shown before moving on (how to find out, for "not sure" answers)."""
    record_item: str | None
    """A line for the summary record, e.g. a piece of evidence."""
    record_status: str | None
    """`in_place`, `missing`, `unknown`, or `explain` (not done, and the guidance asks why not
    rather than treating it as missing) for the record line."""


@dataclass(frozen=True, slots=True)
class Node:
    """A question, an information step or an outcome."""

    id: str
    """Node id, unique in its flow; the `step` of CONTRACT.md."""
    type: str
    """`question`, `info` or `outcome`."""
    text: Wording
    """What the assistant says at this node."""
    sources: tuple[SourceRef, ...]
    """Guidance sections the node's text comes from."""
    answers: tuple[Answer, ...]
    """A question's answers; empty otherwise."""
    next: str | None
    """An information node's next node."""
    law: tuple[str, ...] = ()
    """An outcome's national topics (knowledge/england/) whose "What the law says" notes
    follow it: the right to ask the council directly, its time limits, what to do if it says
    no."""


@dataclass(frozen=True, slots=True)
class Flow:
    """One council's decision flow."""

    id: str
    """Flow id, the `topic` of its messages."""
    title: str
    """Plain-English title, for buttons."""
    council: str
    """The council whose guidance it follows."""
    starts_from: tuple[str, ...]
    """Topic ids whose questions start this flow directly."""
    offer_after: tuple[str, ...]
    """Topic ids whose answers offer this flow as a button."""
    intro: Wording
    """Shown when the flow starts."""
    start: str
    """The first node."""
    nodes: dict[str, Node]
    """Nodes by id."""
    path: Path
    """The file it was read from."""


def load_flows(folder: Path, council: str, documents: dict[str, Any], where: Any,
               problems: list[Problem]) -> dict[str, Flow]:
    """Every valid flow in a council's `flows/` folder, by id; problems are appended."""
    flows: dict[str, Flow] = {}
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        flow = _load_flow(path, council, documents, where(path), problems)
        if flow is not None:
            flows[flow.id] = flow
    return flows


def _load_flow(path: Path, council: str, documents: dict[str, Any], where: str,
               problems: list[Problem]) -> Flow | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        problems.append(Problem(where, None, f"is not valid YAML ({err})",
                                "check indentation and quote text that contains a colon"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(where, None, "is not a mapping of fields",
                                "start with `id:`, `title:`, `council:`, `start:` and `nodes:`"))
        return None
    before = len(problems)
    for name in sorted(set(data) - FLOW_FIELDS):
        problems.append(Problem(where, name, "is not a known field",
                                f"use only {', '.join(sorted(FLOW_FIELDS))}"))
    if data.get("id") != path.stem:
        problems.append(Problem(where, "id", f"is {data.get('id')!r}, not the file's name",
                                f"set `id: {path.stem}` or rename the file"))
    if data.get("council") != council:
        problems.append(Problem(where, "council", f"is {data.get('council')!r} but the file is "
                                f"in {council}/flows/", f"set `council: {council}`"))
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        problems.append(Problem(where, "title", "is missing", "add a plain-English `title:`"))
    intro = _wording(data.get("intro"), where, "intro", problems)
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        problems.append(Problem(where, "nodes", "is missing or empty",
                                "add the flow's question, info and outcome nodes"))
        return None
    nodes = {}
    for node_id, raw in raw_nodes.items():
        node = _load_node(str(node_id), raw, documents, where, problems)
        if node is not None:
            nodes[node.id] = node
    start = data.get("start")
    if start not in raw_nodes:
        problems.append(Problem(where, "start", f"{start!r} is not a node",
                                "name the first question's node id"))
    if len(problems) > before:
        return None
    _check_graph(nodes, str(start), where, problems)
    if len(problems) > before or intro is None:
        return None
    return Flow(id=data["id"], title=data["title"].strip(), council=council,
                starts_from=tuple(data.get("starts_from") or ()),
                offer_after=tuple(data.get("offer_after") or ()), intro=intro,
                start=str(start), nodes=nodes, path=path)


def _load_node(node_id: str, raw: Any, documents: dict[str, Any], where: str,
               problems: list[Problem]) -> Node | None:
    label = f"nodes.{node_id}"
    if not isinstance(raw, dict) or raw.get("type") not in NODE_TYPES:
        problems.append(Problem(where, label, "has no valid `type`",
                                f"set `type:` to one of {', '.join(NODE_TYPES)}"))
        return None
    before = len(problems)
    kind = raw["type"]
    text = _wording(raw.get("text"), where, f"{label}.text", problems)
    sources: tuple[SourceRef, ...] = ()
    if raw.get("sources") not in (None, []):
        sources = load_sources(raw["sources"], documents, where, f"{label}.sources", problems)
    elif kind == "outcome":
        problems.append(Problem(where, f"{label}.sources", "is missing: an outcome must cite "
                                "the guidance", "list the sections it comes from (document, "
                                "section, url)"))
    answers: list[Answer] = []
    if kind == "question":
        raw_answers = raw.get("answers")
        if not isinstance(raw_answers, list) or len(raw_answers) < 2:
            problems.append(Problem(where, f"{label}.answers", "needs at least two answers",
                                    "list the answers with `id`, `label`, `next` and `because`"))
        else:
            for i, raw_answer in enumerate(raw_answers):
                answer = _load_answer(raw_answer, where, f"{label}.answers[{i}]", problems)
                if answer is not None:
                    answers.append(answer)
            ids = [a.id for a in answers]
            if len(set(ids)) != len(ids):
                problems.append(Problem(where, f"{label}.answers", "repeats an answer id",
                                        "give each answer its own `id`"))
    if kind == "info" and not raw.get("next"):
        problems.append(Problem(where, f"{label}.next", "is missing: an info node must lead on",
                                "name the node that follows"))
    if kind == "outcome" and (raw.get("next") or raw.get("answers")):
        problems.append(Problem(where, label, "is an outcome but leads on",
                                "remove `next`/`answers`, or make it a question or info node"))
    law = raw.get("law") or []
    if not isinstance(law, list) or not all(isinstance(t, str) for t in law) or (
            law and kind != "outcome"):
        problems.append(Problem(where, f"{label}.law", "is not a list of national topic ids "
                                "on an outcome", "write e.g. `law: [who_can_request_assessment]` "
                                "on an outcome node"))
        law = []
    if len(problems) > before or text is None:
        return None
    return Node(id=node_id, type=kind, text=text, sources=sources, answers=tuple(answers),
                next=str(raw["next"]) if kind == "info" else None, law=tuple(law))


def _load_answer(raw: Any, where: str, label: str, problems: list[Problem]) -> Answer | None:
    if not isinstance(raw, dict):
        problems.append(Problem(where, label, "is not a mapping",
                                "give `id`, `label`, `next` and `because`"))
        return None
    missing = [f for f in ("id", "label", "next", "because") if not raw.get(f)]
    if missing:
        problems.append(Problem(where, label, f"has no {', '.join(missing)}",
                                "every answer needs `id`, `label`, `next` and `because`"))
        return None
    explain = None
    if raw.get("explain") is not None:
        explain = _wording(raw["explain"], where, f"{label}.explain", problems)
    elif str(raw["id"]) == "not_sure":
        problems.append(Problem(where, f"{label}.explain", "is missing on a `not_sure` answer",
                                "say how to find out (who to ask and what to ask)"))
    record = raw.get("record")
    item = status = None
    if record is not None:
        if (not isinstance(record, dict) or not record.get("item")
                or record.get("status") not in RECORD_STATUSES):
            problems.append(Problem(where, f"{label}.record", "is not {item, status}",
                                    f"give `item:` and `status:` ({', '.join(RECORD_STATUSES)})"))
        else:
            item, status = str(record["item"]), str(record["status"])
    return Answer(id=str(raw["id"]), label=str(raw["label"]), next=str(raw["next"]),
                  because=str(raw["because"]).strip(), explain=explain, record_item=item,
                  record_status=status)


def _wording(raw: Any, where: str, label: str, problems: list[Problem]) -> Wording | None:
    if isinstance(raw, str) and raw.strip():
        return Wording(parent=raw.strip(), professional=raw.strip())
    if isinstance(raw, dict) and set(raw) == set(ROLES) and all(
            isinstance(raw[r], str) and raw[r].strip() for r in ROLES):
        return Wording(parent=raw["parent"].strip(), professional=raw["professional"].strip())
    problems.append(Problem(where, label, "is missing or not text",
                            "write the text, or `parent:` and `professional:` wordings of it"))
    return None


def _check_graph(nodes: dict[str, Node], start: str, where: str,
                 problems: list[Problem]) -> None:
    """Every target exists, every node is reachable, and every path ends at an outcome."""
    def targets(node: Node) -> list[str]:
        return [a.next for a in node.answers] + ([node.next] if node.next else [])

    before = len(problems)
    for node in nodes.values():
        for target in targets(node):
            if target not in nodes:
                problems.append(Problem(where, f"nodes.{node.id}", f"leads to {target!r}, which "
                                        "is not a node", "fix the `next` node id"))
    if len(problems) > before:
        return
    seen: set[str] = set()
    stack = [start]
    while stack:
        node_id = stack.pop()
        if node_id not in seen:
            seen.add(node_id)
            stack.extend(targets(nodes[node_id]))
    for node_id in nodes:
        if node_id not in seen:
            problems.append(Problem(where, f"nodes.{node_id}", "cannot be reached from `start`",
                                    "lead to it from an answer or info node, or remove it"))
    state: dict[str, str] = {}  # "visiting" or "done": a depth-first search for loops

    def visit(node_id: str, trail: list[str]) -> None:
        if state.get(node_id) == "done":
            return
        if state.get(node_id) == "visiting":
            loop = " -> ".join(trail[trail.index(node_id):] + [node_id])
            problems.append(Problem(where, f"nodes.{node_id}", f"is part of a loop ({loop})",
                                    "every path must end at an outcome; users go back with "
                                    "the Back button, not through the flow"))
            return
        state[node_id] = "visiting"
        for target in targets(nodes[node_id]):
            visit(target, [*trail, node_id])
        state[node_id] = "done"

    visit(start, [])


def paths(flow: Flow) -> list[list[tuple[str, str | None]]]:
    """Every path through a flow from its start: a list of (node id, answer id or None)."""
    found: list[list[tuple[str, str | None]]] = []

    def walk(node_id: str, trail: list[tuple[str, str | None]]) -> None:
        node = flow.nodes[node_id]
        if node.type == "outcome":
            found.append([*trail, (node_id, None)])
        elif node.type == "info":
            walk(str(node.next), [*trail, (node_id, None)])
        else:
            for answer in node.answers:
                walk(answer.next, [*trail, (node_id, answer.id)])

    walk(flow.start, [])
    return found
