"""The knowledge says only what the shipped guidance supports, and covers all of it."""
from __future__ import annotations

import re

import pytest

from actions.knowledge import COMMON, NATIONAL, KnowledgeBase, section_in_text
from actions.paths import PROJECT_ROOT
from tests.conftest import CATALOGUE

SHARED_SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"


@pytest.mark.parametrize("topic", CATALOGUE)
def test_every_catalogue_topic_has_knowledge(kb: KnowledgeBase, topic: str) -> None:
    assert topic in kb.topics


def test_every_cited_section_is_in_the_shipped_text_or_the_law_index(kb: KnowledgeBase) -> None:
    for files in kb.topics.values():
        for topic in files.values():
            for ref in topic.sources:
                document = kb.document(ref.document)
                assert document is not None, f"{topic.path}: {ref.document}"
                if document.council == NATIONAL:  # the law ships its index, not its text
                    assert document.headings[ref.section], f"{topic.path}: {ref.section}"
                else:
                    assert section_in_text(ref.section, document.text), (
                        f"{topic.path}: {ref.section}")


def test_every_section_of_every_document_is_cited(kb: KnowledgeBase) -> None:
    cited = {(ref.document, ref.section) for files in kb.topics.values()
             for topic in files.values() for ref in topic.sources}
    uncited = [(doc.title, section) for council in kb.councils.values()
               for doc in council.documents for section in doc.sections
               if (doc.title, section) not in cited]
    assert uncited == []


def test_every_council_topic_cites_its_own_councils_guidance(kb: KnowledgeBase) -> None:
    for files in kb.topics.values():
        for council, topic in files.items():
            if council != COMMON:
                owners = {kb.document(ref.document).council for ref in topic.sources}  # type: ignore[union-attr]
                assert owners == {council}, topic.path


def test_no_knowledge_invents_an_address_or_a_phone_number(kb: KnowledgeBase) -> None:
    for files in kb.topics.values():
        for topic in files.values():
            assert all(ref.url is None for ref in topic.sources), topic.path  # none are known
            assert not re.search(r"https?://|www\.|\.gov\.uk|\.co\.uk|@", topic.body), topic.path
            assert not re.search(r"\d[\d ]{7,}\d", topic.body), topic.path


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside the project")
def test_the_shipped_sources_are_the_published_text(kb: KnowledgeBase) -> None:
    published = {p.read_text(encoding="utf-8") for p in SHARED_SEEDS.glob("*.txt")}
    for council in kb.councils.values():
        for document in council.documents:
            assert document.text in published, document.path
