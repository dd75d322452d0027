"""What the assistant sends for a topic: its answer, or the first step of the decision flow that
topic's question starts. One function, used by the action that answers people and by
`send-assistant preview`, so what a content editor previews is what a person gets."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions import answers, flow_runner, search
from actions.knowledge import KnowledgeBase

MAX_MENTIONED = 2
"""How many other topics a long message names to offer as buttons under its answer."""


@dataclass
class TopicResponse:
    """The replies for a topic, and the flow state when a flow started (else None)."""

    replies: list[answers.Reply]
    flow_state: dict[str, Any] | None = None
    started_flow: bool = False
    mentioned: list[str] = field(default_factory=list)
    """Other topics the message named, offered as buttons first."""


def topic_response(kb: KnowledgeBase, topic: str, council: str | None, *,
                   role: str | None = None, text: str = "",
                   flow_state: dict[str, Any] | None = None,
                   section: str | None = None) -> TopicResponse:
    """Answer a topic for a council's page, or start the decision flow its question starts.

    `role` is the person's role if known (a flow asks for it otherwise), `text` what they typed
    (a long message naming other topics gets buttons for them first) and `flow_state` a flow
    waiting for an answer (the answer then offers to carry on with it); `section` the one part
    of the answer a narrow question gets (actions.decision.section_of)."""
    flow = kb.flow_starting_from(topic, council)
    if flow is not None:
        step = flow_runner.start(kb, flow, role, council)
        return TopicResponse(list(step.replies), step.state, started_flow=True)
    reply = answers.compose_answer(kb, topic, council, section)
    others = [t for t in search.index(kb).mentioned(text) if t != topic][:MAX_MENTIONED] \
        if text else []
    if others:  # a long or many-part message: offer what else it asked about first
        payloads = {answers.topic_payload(t) for t in others}
        reply.buttons = answers.topic_buttons(kb, others, council) + [
            b for b in reply.buttons if b["payload"] not in payloads]
    offered = kb.flow_offered_after(topic, council)
    if offered is not None:
        reply.buttons.append(flow_runner.start_button(kb, offered, council))
    resume = flow_runner.resume_button(kb, flow_state)
    if resume is not None:
        reply.buttons.insert(0, resume)
    return TopicResponse([reply], mentioned=others)
