"""Shared fixtures: the shipped knowledge, and a small valid pack in tmp_path to break."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("SEND_WARM_UP", "0")  # unit tests load what they need themselves

from actions.knowledge import KnowledgeBase, load_knowledge
from actions.paths import KNOWLEDGE_DIR, PROJECT_ROOT

CATALOGUE = [
    "what_is_sen", "disability_definition", "graduated_approach", "assess_plan_do_review",
    "stages_of_support", "quality_first_teaching", "sen_support", "identifying_needs",
    "senco_role", "school_duties", "wider_issues", "external_professionals", "local_offer",
    "ehcp_what_it_can_do", "ehcp_what_it_cant_do", "ehc_assessment_criteria",
    "when_to_request_assessment", "requesting_an_assessment", "provision_maps",
    "professionals_guidance",
]
"""Topic ids the foundation issue requires."""


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The knowledge shipped in knowledge/."""
    return load_knowledge(KNOWLEDGE_DIR)


TOPIC = """\
---
id: {id}
title: {title}
council: {council}
sources:
  - document: Toy Guidance (Testshire)
    section: {section}
    url: null
questions:
{questions}
aliases: [{alias}]
related: [{related}]
last_reviewed: 2026-01-01
---
{body}
"""


TOY_FLOW = """\
id: toy_flow
title: Toy flow
council: testshire
starts_from: [support]
offer_after: [teaching]
intro: "Intro text."
start: q1
nodes:
  q1:
    type: question
    text: {parent: "Is your child on the register?", professional: "Is the child on the register?"}
    sources: [{document: Toy Guidance (Testshire), section: Stage 2 Support, url: null}]
    answers:
      - {id: "yes", label: "Yes", next: info1, because: "so support is in place.",
         record: {item: "On the register", status: in_place}}
      - {id: "no", label: "No", next: out_no, because: "so ask about support.",
         record: {item: "On the register", status: missing}}
      - {id: not_sure, label: "Not sure", next: out_no, because: "so ask first.",
         explain: "Ask the SENCO.", record: {item: "On the register", status: unknown}}
  info1:
    type: info
    text: "Some information."
    next: q2
  q2:
    type: question
    text: "Is it working?"
    answers:
      - {id: "yes", label: "Yes", next: out_yes, because: "so it is working."}
      - {id: "no", label: "No", next: out_no, because: "so it is not working."}
      - {id: not_sure, label: "Not sure", next: out_no, because: "so check.", explain: "Ask."}
  out_yes:
    type: outcome
    text: "Needs are met."
    sources: [{document: Toy Guidance (Testshire), section: Stage 1 Teaching, url: null}]
  out_no:
    type: outcome
    text: "Talk to the SENCO."
    sources: [{document: Toy Guidance (Testshire), section: Stage 2 Support, url: null}]
"""


class Pack:
    """A small valid knowledge folder: council `testshire`, two topics and one common topic."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "testshire" / "sources").mkdir(parents=True)
        (root / "common").mkdir()
        (root / "testshire" / "sources" / "toy.txt").write_text(
            "Toy Guidance\n\nStage 1 Teaching\nGood teaching for all.\n\n"
            "Stage 2 Support\nExtra help, reviewed every term.\n\nWhat SEN means\nA definition.\n")
        (root / "testshire" / "council.yml").write_text(textwrap.dedent("""\
            id: testshire
            name: Testshire
            aliases: [testshire council]
            documents:
              - title: Toy Guidance (Testshire)
                file: sources/toy.txt
                url: null
                sections: [Stage 1 Teaching, Stage 2 Support, What SEN means]
            """))
        (root / "phrases.yml").write_text((KNOWLEDGE_DIR / "phrases.yml").read_text())
        (root / "safeguarding.yml").write_text((KNOWLEDGE_DIR / "safeguarding.yml").read_text())
        (root / "out_of_scope.yml").write_text((KNOWLEDGE_DIR / "out_of_scope.yml").read_text())
        self.topic("testshire", "teaching", "Stage 1 Teaching", ["what is good teaching",
                   "teaching for everyone"], related="support")
        self.topic("testshire", "support", "Stage 2 Support", ["what is extra help",
                   "how often is support reviewed"], related="teaching")
        self.topic("common", "what_is_sen", "What SEN means", ["what does sen mean"],
                   related="support")

    def topic(self, council: str, topic_id: str, section: str, questions: list[str],
              related: str = "", body: str = "Plain **answer** text.\n\n- one\n- two",
              title: str | None = None) -> Path:
        """Write a topic file and return its path."""
        path = self.root / council / f"{topic_id}.md"
        path.write_text(TOPIC.format(
            id=topic_id, title=title or topic_id.replace("_", " ").title(), council=council,
            section=section, questions="\n".join(f"  - {q}" for q in questions),
            alias=topic_id.replace("_", " "), related=related, body=body))
        return path

    def add_national(self, adds_to: str = "support", note: str = "In law you may ask "
                     "the council yourself.") -> Path:
        """Write a national layer (england/law.yml and one topic, `asking`, adding a law note
        to `adds_to`) and return the topic's path."""
        folder = self.root / "england"
        folder.mkdir(exist_ok=True)
        (folder / "law.yml").write_text(textwrap.dedent("""\
            documents:
              - title: Toy Act 2014
                full_title: The Toy Act 2014
                url: https://www.legislation.gov.uk/ukpga/2014/6/contents
                sections:
                  - {section: section 36, heading: Assessment}
                  - {section: section 37, heading: Plans}
            """))
        path = folder / "asking.md"
        path.write_text(textwrap.dedent(f"""\
            ---
            id: asking
            title: Who can ask for an assessment
            council: england
            sources:
              - document: Toy Act 2014
                section: section 36
                url: null
            questions:
              - can i ask the council myself
            related: [support]
            adds_to: [{adds_to}]
            note: {note}
            law_as_of: 2026-01-01
            last_reviewed: 2026-01-01
            ---
            You can ask the council yourself. It must answer within 6 weeks.
            """))
        return path

    def add_flow(self) -> Path:
        """Write a small valid flow, testshire/flows/toy_flow.yaml, and return its path."""
        path = self.root / "testshire" / "flows" / "toy_flow.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(TOY_FLOW)
        return path

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace text in one of the pack's files (the text must be there)."""
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))


@pytest.fixture
def pack(tmp_path: Path) -> Pack:
    """A fresh valid pack to edit."""
    return Pack(tmp_path / "knowledge")


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The repository's top folder."""
    return PROJECT_ROOT
