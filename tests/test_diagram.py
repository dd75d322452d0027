"""Flows drawn as Mermaid diagrams for the content team."""
from __future__ import annotations

from actions.knowledge import load_knowledge
from tests.conftest import Pack
from tools.cli import main
from tools.diagram import mermaid


def test_a_flow_is_drawn_with_every_node_and_labelled_answer(pack: Pack) -> None:
    pack.add_flow()
    text = mermaid(load_knowledge(pack.root).flows["testshire"]["toy_flow"])
    assert text.startswith("flowchart TD\n")
    assert '  q1{"Is your child on the register?"}' in text
    assert '  info1["Some information."]' in text
    assert '  out_yes(["Needs are met."])' in text
    assert "  q1 -->|Not sure| out_no" in text and "  info1 --> q2" in text
    assert "  class out_yes,out_no outcome" in text


def test_the_diagram_command_names_the_flows_when_one_is_unknown(capsys) -> None:
    assert main(["diagram", "nowhere/nothing"]) == 1
    assert "the flows are:" in capsys.readouterr().err
