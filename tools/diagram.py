"""Draw a decision flow as a Mermaid flowchart, to check it against the published flow chart."""
from __future__ import annotations

import textwrap

from actions.flows import Flow

SHAPES = {"question": ('{"', '"}'), "info": ('["', '"]'), "outcome": ('(["', '"])')}
"""Mermaid shapes: questions are diamonds, information boxes, outcomes rounded."""
LABEL_WIDTH = 40
"""Characters per line in a node's label."""


def mermaid(flow: Flow, role: str = "parent") -> str:
    """The flow as Mermaid `flowchart TD` text, in the given role's wording."""
    lines = ["flowchart TD", f"  %% {flow.title} ({flow.council}: {flow.path.name})"]
    for node in flow.nodes.values():
        left, right = SHAPES[node.type]
        label = "<br/>".join(textwrap.wrap(_escape(node.text.for_role(role)), LABEL_WIDTH))
        lines.append(f"  {node.id}{left}{label}{right}")
    for node in flow.nodes.values():
        for answer in node.answers:
            lines.append(f"  {node.id} -->|{_escape(answer.label)}| {answer.next}")
        if node.next:
            lines.append(f"  {node.id} --> {node.next}")
    lines.append("  classDef outcome fill:#e6f4ea,stroke:#1e6b34")
    outcomes = [n.id for n in flow.nodes.values() if n.type == "outcome"]
    lines.append(f"  class {','.join(outcomes)} outcome")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")
