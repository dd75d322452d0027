"""Composing answers: the right council's text, notes when it is another's, the source line and
the CONTRACT.md payload."""
from __future__ import annotations

import re

import pytest

from actions import answers
from actions.knowledge import COMMON, NATIONAL, load_knowledge
from actions.render import to_text
from tests.conftest import Pack


def test_an_answer_is_the_councils_text_then_its_source_line(pack: Pack) -> None:
    kb = load_knowledge(pack.root)
    reply = answers.compose_answer(kb, "support", "testshire")
    assert reply.text == ("Plain answer text.\n\n- one\n- two\n\n"
                          "Source: Toy Guidance (Testshire), “Stage 2 Support”.")
    assert reply.custom == {
        "topic": "support", "local_authority": "testshire",
        "sources": [{"document": "Toy Guidance (Testshire)", "section": "Stage 2 Support",
                     "url": None}],
        "title": "Support",
        "html": "<p>Plain <strong>answer</strong> text.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n"
                "</ul>\n<p class=\"source\">Source: Toy Guidance (Testshire), “Stage 2 Support”."
                "</p>",
    }
    assert reply.buttons == [{"title": "Teaching", "payload": "/teaching"}]


def test_several_sections_of_one_document_share_one_source_line(pack: Pack) -> None:
    pack.edit("testshire/support.md", "    url: null\n", "    url: null\n"
              "  - document: Toy Guidance (Testshire)\n    section: Stage 1 Teaching\n"
              "    url: null\n")
    reply = answers.compose_answer(load_knowledge(pack.root), "support", "testshire")
    assert reply.text.endswith(
        "Source: Toy Guidance (Testshire), “Stage 2 Support” and “Stage 1 Teaching”.")


def test_a_common_topic_is_answered_for_the_askers_council(pack: Pack) -> None:
    reply = answers.compose_answer(load_knowledge(pack.root), "what_is_sen", "testshire")
    assert reply.custom and reply.custom["local_authority"] == "testshire"
    assert reply.text.startswith("Plain answer text.")  # no "another council's" note


@pytest.mark.parametrize(("council", "note_key"), [("camden", "other_council_note"),
                                                   (None, "owner_note")])
def test_another_councils_answer_says_whose_guidance_it_is(pack: Pack, council,
                                                           note_key) -> None:
    kb = load_knowledge(pack.root)
    reply = answers.compose_answer(kb, "support", council)
    note = kb.phrases[note_key].format(asked="Camden", owner="Testshire")
    assert reply.text.startswith(note + "\n\n")
    assert reply.custom and reply.custom["local_authority"] == "testshire"


def test_the_council_is_asked_only_when_answers_differ_between_councils(kb) -> None:
    differing = [t for t, files in kb.topics.items() if COMMON not in files and len(files) > 1]
    same = [t for t, files in kb.topics.items() if COMMON in files or len(files) == 1]
    assert differing and same
    assert all(answers.needs_council(kb, t, None) for t in differing)
    assert not any(answers.needs_council(kb, t, None) for t in same)
    assert not any(answers.needs_council(kb, t, "sefton") for t in differing)


def test_every_shipped_topic_answers_each_council_from_the_right_file(kb) -> None:
    for topic, files in kb.topics.items():
        for council in kb.councils:
            reply = answers.compose_answer(kb, topic, council)
            chosen = (files.get(council) or files.get(COMMON) or files.get(NATIONAL)
                      or files[sorted(files)[0]])
            assert to_text(chosen.body) in reply.text
            assert reply.custom and reply.custom["sources"][:len(chosen.sources)] == [
                s.as_payload() for s in chosen.sources]
            assert re.search(r"\nSources?: .+\.$", reply.text), reply.text[-200:]


def test_the_council_prompt_offers_a_button_per_council(kb) -> None:
    reply = answers.council_prompt(kb)
    assert [b["payload"] for b in reply.buttons] == [
        f'/inform_council{{"council": "{c}"}}' for c in sorted(kb.councils)]


def test_the_menu_offers_every_local_topic_and_then_the_law(kb) -> None:
    national = [t for t in kb.topic_ids() if set(kb.topics[t]) == {NATIONAL}]
    local = [t for t in kb.topic_ids() if t not in national]
    assert len(national) >= 20 and local
    reply = answers.menu(kb, "sefton")
    assert [b["payload"] for b in reply.buttons] == [f"/{t}" for t in local] + [
        '/help{"menu": "law"}']
    law = answers.menu(kb, "sefton", answers.LAW_MENU)
    assert [b["payload"] for b in law.buttons] == [f"/{t}" for t in national]
    assert law.text == kb.phrases["menu_law_intro"]


def test_suggestions_offer_the_topics_and_something_else(kb) -> None:
    reply = answers.suggestions(kb, ["sen_support", "senco_role"], "sefton")
    assert [b["payload"] for b in reply.buttons] == ["/sen_support", "/senco_role", "/help"]
    assert reply.custom == {"topic": "suggestions", "suggested": ["sen_support", "senco_role"],
                            "local_authority": "sefton", "sources": []}


def test_out_of_scope_declines_with_the_topic_out_of_scope(kb) -> None:
    reply = answers.out_of_scope(kb, "havering")
    assert reply.custom and reply.custom["topic"] == "out_of_scope"
    assert reply.text == kb.phrases["out_of_scope"]


def test_a_common_answer_worded_from_another_councils_guidance_says_so(kb) -> None:
    owners = {kb.document(r.document).council for r in kb.topics["what_is_sen"]["common"].sources}
    assert owners == {"sefton"}
    havering = answers.compose_answer(kb, "what_is_sen", "havering")
    assert havering.text.startswith(kb.phrases["owner_note"].format(owner="Sefton"))
    sefton = answers.compose_answer(kb, "what_is_sen", "sefton")
    assert not sefton.text.startswith(kb.phrases["owner_note"].format(owner="Sefton"))
