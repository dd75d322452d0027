"""Content work against a running assistant: a third council added by content alone is served;
an edit to an answer is live within seconds with no restart or retraining; a broken edit is
refused and the last good answer stays live. The knowledge is a copy in a temporary folder
(SEND_KNOWLEDGE_DIR), so the shipped files are never touched."""
from __future__ import annotations

import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.paths import KNOWLEDGE_DIR
from tests.integration.conftest import custom_of
from tools.evaluate import ask
from tools.servers import Assistant, free_port, running_assistant

TOPIC = """\
---
id: sen_support
title: SEN support in Testborough
council: testborough
sources:
  - document: Testborough SEND Guide
    section: Support in school
    url: null
questions:
  - what is sen support in testborough
aliases: [SEN support]
related: []
last_reviewed: 2026-11-01
---
{body}
"""


@pytest.fixture(scope="module")
def third_council(model: Path, tmp_path_factory) -> Iterator[tuple[Assistant, Path]]:
    root = tmp_path_factory.mktemp("content")
    knowledge = root / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    pack = knowledge / "testborough"
    (pack / "sources").mkdir(parents=True)
    (pack / "sources" / "guide.txt").write_text(
        "Testborough SEND Guide\n\nSupport in school\nSchools in Testborough review SEN support "
        "every half term with parents.\n")
    (pack / "council.yml").write_text(textwrap.dedent("""\
        id: testborough
        name: Testborough
        aliases: [testborough council]
        documents:
          - title: Testborough SEND Guide
            full_title: Testborough SEND Guide
            file: sources/guide.txt
            url: null
            sections: [Support in school]
        """))
    (pack / "sen_support.md").write_text(TOPIC.format(
        body="Schools in Testborough review SEN support **every half term** with parents."))
    with running_assistant(model=model, rasa_port=free_port(), action_port=free_port(),
                           work_dir=root / "var",
                           env={"SEND_KNOWLEDGE_DIR": str(knowledge)}) as assistant:
        yield assistant, pack


def answer(assistant: Assistant) -> tuple[str, dict]:
    messages = ask(assistant.webhook, "what is SEN support?", "testborough")
    return messages[0]["text"], custom_of(messages)


def wait_for(assistant: Assistant, words: str, seconds: float = 10.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        text, _ = answer(assistant)
        if words in text or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


@pytest.mark.integration
def test_a_third_council_added_by_content_alone_is_served(third_council) -> None:
    assistant, _ = third_council
    text, custom = answer(assistant)
    assert custom["topic"] == "sen_support" and custom["local_authority"] == "testborough"
    assert "every half term" in text
    assert custom["sources"][0] == {"document": "Testborough SEND Guide",
                                    "section": "Support in school", "url": None}
    # then the law's, for the "What the law says" note under the council's answer
    assert all(s["document"] != "Testborough SEND Guide" for s in custom["sources"][1:])


@pytest.mark.integration
def test_an_edit_is_live_in_seconds_and_a_broken_edit_keeps_the_last_good_answer(
        third_council) -> None:
    assistant, pack = third_council
    topic = pack / "sen_support.md"
    topic.write_text(TOPIC.format(body="Schools in Testborough review SEN support with "
                                  "parents, **each half term**."))
    assert "each half term" in wait_for(assistant, "each half term")
    topic.write_text("---\nid: sen_support\ntitle: [broken\n---\nHalf an edit.\n")
    time.sleep(3)  # the store checks for changes every second
    text, _ = answer(assistant)
    assert "each half term" in text and "Half an edit" not in text
    log = (assistant.log_dir / "actions.log").read_text()
    assert "Knowledge change refused" in log and "sen_support.md" in log
