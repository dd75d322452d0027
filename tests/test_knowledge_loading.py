"""Loading and validating knowledge packs: every kind of bad file gets a clear error."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from actions.errors import KnowledgeError
from actions.knowledge import load_knowledge, section_in_text, split_front_matter
from actions.store import KnowledgeStore
from tests.conftest import Pack


def test_a_valid_pack_loads_every_topic(pack: Pack) -> None:
    kb = load_knowledge(pack.root)
    assert kb.topic_ids() == ["support", "teaching", "what_is_sen"]
    assert kb.councils["testshire"].name == "Testshire"
    assert kb.topics["support"]["testshire"].last_reviewed == dt.date(2026, 1, 1)
    assert kb.questions("support") == ["what is extra help", "how often is support reviewed"]


# (what is broken, how to break it, file named, field named, words of the fix)
BAD_FILES = [
    ("no front matter", lambda p: (p.root / "testshire/support.md").write_text("Just text."),
     "testshire/support.md", None, "start the file with a `---` line"),
    ("front matter that is not YAML", lambda p: p.edit("testshire/support.md",
     "title: Support", "title: [Support"), "testshire/support.md", None, "not valid YAML"),
    ("a misspelt field", lambda p: p.edit("testshire/support.md", "aliases:", "alias:"),
     "testshire/support.md", "alias", "use only"),
    ("no sources", lambda p: p.edit("testshire/support.md",
     "sources:\n  - document: Toy Guidance (Testshire)\n    section: Stage 2 Support\n"
     "    url: null\n", "sources: []\n"), "testshire/support.md", "sources", "list the guidance"),
    ("an id that is not the file name", lambda p: p.edit("testshire/support.md",
     "id: support", "id: help"), "testshire/support.md", "id", "set `id: support`"),
    ("a council that is not the folder", lambda p: p.edit("testshire/support.md",
     "council: testshire", "council: elsewhere"), "testshire/support.md", "council",
     "set `council: testshire`"),
    ("a document that is not shipped", lambda p: p.edit("testshire/support.md",
     "document: Toy Guidance (Testshire)", "document: Made Up Guide"), "testshire/support.md",
     "sources[0].document", "use one of: Toy Guidance (Testshire)"),
    ("a section that is not in the document", lambda p: p.edit("testshire/support.md",
     "section: Stage 2 Support", "section: Stage 9 Miracles"), "testshire/support.md",
     "sources[0].section", "use a section listed under `sections`"),
    ("a url that is not a web address", lambda p: p.edit("testshire/support.md",
     "url: null", "url: '#'"), "testshire/support.md", "sources[0].url", "null where none"),
    ("a related id that is not a topic", lambda p: p.edit("testshire/support.md",
     "related: [teaching]", "related: [nonsense]"), "testshire/support.md", "related",
     "existing topic"),
    ("a question already used by another topic", lambda p: p.edit("testshire/support.md",
     "what is extra help", "What is good teaching?"), "testshire/support.md", "questions",
     "one file only"),
    ("raw HTML in the answer", lambda p: p.edit("testshire/support.md",
     "Plain **answer** text.", "Plain <script>alert(1)</script> text."),
     "testshire/support.md", None, "Markdown only"),
    ("no answer text", lambda p: p.edit("testshire/support.md",
     "Plain **answer** text.\n\n- one\n- two", ""), "testshire/support.md", None,
     "write the answer"),
    ("a review date that is not a date", lambda p: p.edit("testshire/support.md",
     "last_reviewed: 2026-01-01", "last_reviewed: last week"), "testshire/support.md",
     "last_reviewed", "YYYY-MM-DD"),
    ("a question list that is not a list", lambda p: p.edit("testshire/support.md",
     "questions:\n  - what is extra help\n  - how often is support reviewed",
     "questions: what is extra help"), "testshire/support.md", "questions", "one `- item`"),
    ("a council folder without council.yml",
     lambda p: (p.root / "testshire/council.yml").unlink(), "testshire", None,
     "add council.yml"),
    ("a council section that is not in its text", lambda p: p.edit("testshire/council.yml",
     "Stage 1 Teaching,", "Stage 1 Teaching, Stage 7 Invented,"), "testshire/council.yml",
     "documents[0].sections", "copy the heading exactly"),
    ("a council document file that does not exist", lambda p: p.edit("testshire/council.yml",
     "file: sources/toy.txt", "file: sources/missing.txt"), "testshire/council.yml",
     "documents[0].file", "ship the document's text"),
    ("phrases without a required sentence", lambda p: p.edit("phrases.yml",
     "\nout_of_scope:", "\nout_of_scope_typo:"), "phrases.yml", "out_of_scope",
     "add the sentence"),
]


@pytest.mark.parametrize(("broken", "breakage", "file", "field", "fix"), BAD_FILES,
                         ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_with_file_field_and_fix(pack: Pack, broken, breakage, file,
                                                       field, fix) -> None:
    breakage(pack)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(pack.root)
    messages = [str(p) for p in caught.value.problems]
    matching = [m for m in messages if file in m and fix in m]
    assert matching, f"no problem names {file!r} with {fix!r}: {messages}"
    if field:
        assert any(f"`{field}`" in m for m in matching), messages


def test_every_problem_is_reported_at_once(pack: Pack) -> None:
    pack.edit("testshire/support.md", "id: support", "id: wrong")
    pack.edit("testshire/teaching.md", "section: Stage 1 Teaching", "section: Nowhere")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(pack.root)
    text = str(caught.value)
    assert "testshire/support.md" in text and "testshire/teaching.md" in text


def test_a_missing_knowledge_folder_is_reported(tmp_path) -> None:
    with pytest.raises(KnowledgeError, match="does not exist"):
        load_knowledge(tmp_path / "nowhere")


@pytest.mark.parametrize(("section", "line", "found"), [
    ("Targeted Support", "Targeted Support: A child is recorded as K", True),
    ("The Local Offer", "The Local Offer", True),
    ("An Education, Health, and Care Plan (EHCP) can",
     "An Education, Health, and Care Plan (EHCP) can:", True),
    ("An Education, Health, and Care Plan (EHCP) can",
     "An Education, Health, and Care Plan (EHCP) can't:", False),
    ("Stage 1", "Stage 10 Something", False),
    ("Stage 1", "  Stage 1 Quality First Teaching", True),
    ("The Local Offer", "Refer to the Local Offer", False),
])
def test_a_section_must_start_a_line_of_the_text(section, line, found) -> None:
    assert section_in_text(section, f"Intro\n{line}\nMore") is found


def test_front_matter_is_split_from_the_body() -> None:
    assert split_front_matter("---\nid: x\n---\nBody\n") == ("\nid: x\n", "Body")
    assert split_front_matter("No front matter") is None
    assert split_front_matter("---\nid: x\n") is None


def test_the_store_serves_an_edited_answer_without_a_restart(pack: Pack) -> None:
    store = KnowledgeStore(pack.root, check_interval=0)
    assert "Plain" in store.get().topics["support"]["testshire"].body
    time.sleep(0.01)
    pack.edit("testshire/support.md", "Plain **answer** text.", "Edited answer text.")
    assert store.get().topics["support"]["testshire"].body.startswith("Edited answer text.")


def test_the_store_keeps_the_last_good_version_when_an_edit_is_broken(pack: Pack, caplog) -> None:
    store = KnowledgeStore(pack.root, check_interval=0)
    before = store.get()
    pack.edit("testshire/support.md", "section: Stage 2 Support", "section: Nowhere")
    pack.edit("testshire/teaching.md", "Plain **answer** text.", "Half-saved edit.")
    after = store.get()
    assert after is before
    assert after.topics["teaching"]["testshire"].body.startswith("Plain")
    assert "last good version stays live" in caplog.text


def test_the_store_raises_when_the_first_load_fails(pack: Pack) -> None:
    pack.edit("testshire/support.md", "id: support", "id: wrong")
    with pytest.raises(KnowledgeError):
        KnowledgeStore(pack.root).get()


def test_every_answer_spells_the_role_senco_one_way(kb) -> None:
    import re

    for files in kb.topics.values():
        for f in files.values():
            for line in f.body.splitlines():
                if "guidance writes" in line:  # the one line that says how Sefton spells it
                    continue
                assert not re.search(r"\bSEND?Co\b|\bSENDCO\b", line), (f.path, line)
            assert not re.search(r"\bSEND?Co\b|\bSENDCO\b", f.title), f.path
