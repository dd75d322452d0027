"""Run any valid decision flow, one step at a time, over a plain-dict state.

The state lives in the `flow_state` slot: the council and flow, the node waiting for an
answer, the answers given so far and whether the person's role is still to be asked. Every
function takes a state and returns the next state (None when the flow is over or stopped)
and the replies to send. No flow's wording or branching is here: it is all in the flow files.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from actions.answers import Reply, source_line
from actions.flows import RECORD_STATUSES, Answer, Flow, Node
from actions.knowledge import NATIONAL, KnowledgeBase
from actions.sources import SourceRef

INTENT_ANSWERS = {"affirm": "yes", "deny": "no", "not_sure": "not_sure"}
"""Free-text intents that stand for a question's answer of the same meaning."""
FUZZY_CUTOFF = 80
"""How close (0-100) typed text must be to an answer's label to count as that answer."""

State = dict[str, Any]


@dataclass(slots=True)
class Step:
    """The outcome of one turn: the new state (None: no flow running) and the replies."""

    state: State | None
    """What to store in the `flow_state` slot."""
    replies: list[Reply]
    """Messages to send, in order."""


def start(kb: KnowledgeBase, flow: Flow, role: str | None, asked_council: str | None) -> Step:
    """Begin a flow: ask the person's role first if it is not known, else the first step."""
    state: State = {"council": flow.council, "flow": flow.id, "node": None, "history": [],
                    "asked_council": asked_council}
    if role is None:
        state["awaiting_role"] = True
        return Step(state, [_role_prompt(kb, flow)])
    return _begin(kb, flow, state, role)


def choose_role(kb: KnowledgeBase, state: State | None, role: str) -> Step:
    """Record the role; if a flow was waiting for it, begin that flow."""
    flow = _flow(kb, state)
    if state is None or flow is None or not state.get("awaiting_role"):
        return Step(state, [])
    return _begin(kb, flow, {**state, "awaiting_role": False}, role)


def answer(kb: KnowledgeBase, state: State | None, role: str | None, *, answer_id: str | None,
           intent: str | None, text: str) -> Step:
    """Take an answer to the waiting question (a button, "yes"/"no"/"not sure", or text)."""
    flow = _flow(kb, state)
    if state is None or flow is None:
        return Step(None, [Reply(text=kb.phrases["flow_none"])])
    if state.get("awaiting_role") or not state.get("node"):
        return Step(state, [_role_prompt(kb, flow)])
    node = flow.nodes[state["node"]]
    chosen = _match_answer(node, answer_id, intent, text)
    if chosen is None:
        again = _question(kb, flow, node, state, role)
        again.text = kb.phrases["flow_not_understood"] + "\n\n" + again.text
        return Step(state, [again])
    history = [*state["history"], [node.id, chosen.id]]
    new_state = {**state, "history": history}
    replies = []
    if chosen.explain is not None:
        replies.append(_message(kb, flow, node, chosen.explain.for_role(role)))
    step = _advance(kb, flow, new_state, chosen.next, role)
    return Step(step.state, replies + step.replies)


def understands(kb: KnowledgeBase, state: State | None, text: str) -> bool:
    """Whether typed text answers the question a flow is waiting on (by its answer labels)."""
    flow = _flow(kb, state)
    if state is None or flow is None or not state.get("node") or state.get("awaiting_role"):
        return False
    return _match_answer(flow.nodes[state["node"]], None, None, text) is not None


def back(kb: KnowledgeBase, state: State | None, role: str | None) -> Step:
    """Go back to the previous question, forgetting its answer."""
    flow = _flow(kb, state)
    if state is None or flow is None:
        return Step(None, [Reply(text=kb.phrases["flow_none"])])
    if not state["history"]:
        return _advance(kb, flow, state, flow.start, role)
    *kept, (previous, _) = state["history"]
    return _advance(kb, flow, {**state, "history": kept}, previous, role)


def restart(kb: KnowledgeBase, state: State | None, role: str | None) -> Step:
    """Start the current flow again from its first question."""
    flow = _flow(kb, state)
    if state is None or flow is None:
        return Step(None, [Reply(text=kb.phrases["flow_none"])])
    return _begin(kb, flow, {**state, "history": [], "awaiting_role": False}, role)


def stop(kb: KnowledgeBase, state: State | None) -> Step:
    """Leave the flow."""
    return Step(None, [Reply(text=kb.phrases["flow_stopped"])])


def resume(kb: KnowledgeBase, state: State | None, role: str | None) -> Step:
    """Ask the waiting question again (after a question about something else)."""
    flow = _flow(kb, state)
    if state is None or flow is None:
        return Step(None, [Reply(text=kb.phrases["flow_none"])])
    if state.get("awaiting_role") or not state.get("node"):
        return Step(state, [_role_prompt(kb, flow)])
    return Step(state, [_question(kb, flow, flow.nodes[state["node"]], state, role)])


def resume_button(kb: KnowledgeBase, state: State | None) -> dict[str, str] | None:
    """A "Carry on" button while a flow waits for an answer, else None."""
    flow = _flow(kb, state)
    if flow is None or state is None or not state.get("node"):
        return None
    return {"title": kb.phrases["flow_resume"].format(title=flow.title), "payload": "/flow_resume"}


def role_from_text(kb: KnowledgeBase, text: str) -> str:
    """`professional` if the text names a professional role (phrases.yml), else `parent`."""
    words = [w.strip().lower() for w in kb.phrases["role_professional_words"].split(",")]
    lowered = text.lower()
    return "professional" if any(w and w in lowered for w in words) else "parent"


def start_button(kb: KnowledgeBase, flow: Flow, asked_council: str | None) -> dict[str, str]:
    """A button that starts a flow, saying whose guidance it is when not the asker's council's."""
    title = kb.phrases["flow_offer"].format(title=flow.title)
    if asked_council != flow.council:
        title += " " + kb.phrases["flow_owner"].format(owner=kb.council_name(flow.council))
    return {"title": title, "payload": '/start_flow{"flow": "' + flow.id + '"}'}


def record(kb: KnowledgeBase, flow: Flow, state: State, outcome: Node, role: str | None) -> str:
    """A plain-text record of the answers, the evidence and the next step, to take to a
    meeting with the SENCO."""
    lines = [f"{flow.title} ({kb.council_name(flow.council)}'s guidance)", "",
             kb.phrases["flow_record_answers"]]
    items: dict[str, list[str]] = {status: [] for status in RECORD_STATUSES}
    for node_id, answer_id in state["history"]:
        node = flow.nodes[node_id]
        chosen = next(a for a in node.answers if a.id == answer_id)
        lines.append(f"- {node.text.for_role(role)} {chosen.label}.")
        if chosen.record_item and chosen.record_status:
            items[chosen.record_status].append(chosen.record_item)
    for status in RECORD_STATUSES:
        if items[status]:
            lines += ["", kb.phrases[f"flow_record_{status}"]]
            lines += [f"- {item}" for item in items[status]]
    lines += ["", kb.phrases["flow_record_next"], outcome.text.for_role(role)]
    return "\n".join(lines)


def _begin(kb: KnowledgeBase, flow: Flow, state: State, role: str | None) -> Step:
    intro = flow.intro.for_role(role)
    asked = state.get("asked_council")
    if asked and asked != flow.council:
        intro = kb.phrases["flow_other_council"].format(
            asked=kb.council_name(asked), owner=kb.council_name(flow.council)) + "\n\n" + intro
    step = _advance(kb, flow, {**state, "history": []}, flow.start, role)
    if step.replies:
        step.replies[0].text = intro + "\n\n" + step.replies[0].text
    return step


def _advance(kb: KnowledgeBase, flow: Flow, state: State, node_id: str,
             role: str | None) -> Step:
    """Show nodes from node_id on: info nodes pass straight on; stop at a question or outcome."""
    replies = []
    node = flow.nodes[node_id]
    while node.type == "info":
        replies.append(_message(kb, flow, node, node.text.for_role(role)))
        node = flow.nodes[str(node.next)]
    if node.type == "question":
        new_state = {**state, "node": node.id}
        return Step(new_state, [*replies, _question(kb, flow, node, new_state, role)])
    return Step(None, [*replies, *_outcome(kb, flow, node, state, role)])


def _question(kb: KnowledgeBase, flow: Flow, node: Node, state: State,
              role: str | None) -> Reply:
    buttons = [{"title": a.label, "payload": '/flow_answer{"flow_answer": "' + a.id + '"}'}
               for a in node.answers]
    if state["history"]:
        buttons.append({"title": kb.phrases["flow_back"], "payload": "/flow_back"})
        buttons.append({"title": kb.phrases["flow_restart"], "payload": "/flow_restart"})
    buttons.append({"title": kb.phrases["flow_stop"], "payload": "/flow_stop"})
    reply = _message(kb, flow, node, node.text.for_role(role))
    reply.buttons = buttons
    return reply


def _outcome(kb: KnowledgeBase, flow: Flow, node: Node, state: State,
             role: str | None) -> list[Reply]:
    why = []
    cited: dict[SourceRef, None] = {}
    for node_id, answer_id in state["history"]:
        asked = flow.nodes[node_id]
        chosen = next(a for a in asked.answers if a.id == answer_id)
        why.append(kb.phrases["flow_why_line"].format(answer=chosen.label,
                                                      question=asked.text.for_role(role),
                                                      because=chosen.because))
        cited.update(dict.fromkeys(asked.sources))
    cited.update(dict.fromkeys(node.sources))
    refs = tuple(cited)
    parts = [node.text.for_role(role)]
    if why:
        parts.append(kb.phrases["flow_why_heading"] + "\n\n" + "\n".join(f"- {w}" for w in why))
    parts.append(source_line(kb, refs))
    laws = [kb.topics[t][NATIONAL] for t in node.law if NATIONAL in kb.topics.get(t, {})]
    if laws:
        parts.append(kb.phrases["law_heading"])
        parts += [f"{law.note}\n{source_line(kb, law.sources)}" for law in laws]
        refs += tuple(ref for law in laws for ref in law.sources if ref not in refs)
    outcome = Reply(text="\n\n".join(parts), custom={
        "topic": flow.id, "step": node.id, "local_authority": flow.council,
        "sources": [r.as_payload() for r in refs]})
    outcome.buttons = [{"title": kb.phrases["flow_restart"], "payload": "/flow_restart"}]
    outcome.buttons += [{"title": law.title, "payload": f"/{law.id}"} for law in laws]
    text = record(kb, flow, state, node, role)
    saved = Reply(text=kb.phrases["flow_record_heading"] + "\n\n" + text, custom={
        "topic": flow.id, "step": node.id, "local_authority": flow.council,
        "sources": [r.as_payload() for r in refs], "record": text})
    return [outcome, saved]


def _message(kb: KnowledgeBase, flow: Flow, node: Node, text: str) -> Reply:
    return Reply(text=text, custom={"topic": flow.id, "step": node.id,
                                    "local_authority": flow.council,
                                    "sources": [s.as_payload() for s in node.sources],
                                    "title": flow.title})


def _role_prompt(kb: KnowledgeBase, flow: Flow) -> Reply:
    return Reply(text=kb.phrases["flow_choose_role"], buttons=[
        {"title": kb.phrases["role_parent"], "payload": '/choose_role{"role": "parent"}'},
        {"title": kb.phrases["role_professional"],
         "payload": '/choose_role{"role": "professional"}'}],
        custom={"topic": flow.id, "step": "role", "local_authority": flow.council,
                "sources": []})


def _match_answer(node: Node, answer_id: str | None, intent: str | None,
                  text: str) -> Answer | None:
    by_id = {a.id: a for a in node.answers}
    if answer_id in by_id:
        return by_id[answer_id]
    if intent in INTENT_ANSWERS and INTENT_ANSWERS[intent] in by_id:
        return by_id[INTENT_ANSWERS[intent]]
    labels = {a.label.lower(): a for a in node.answers}
    best = process.extractOne(text.lower(), list(labels), scorer=fuzz.WRatio,
                              score_cutoff=FUZZY_CUTOFF) if text.strip() else None
    return labels[best[0]] if best else None


def _flow(kb: KnowledgeBase, state: State | None) -> Flow | None:
    if not state:
        return None
    return kb.flows.get(state.get("council", ""), {}).get(state.get("flow", ""))
