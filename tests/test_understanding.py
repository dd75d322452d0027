"""Understanding messages as people type them: the knowledge search (spelling, aliases, word
weights), subjects the guidance does not cover, and very long messages."""
from __future__ import annotations

import re

import pytest

from actions import search
from actions.errors import KnowledgeError
from actions.knowledge import KnowledgeBase, load_knowledge
from bot.channels import MAX_MESSAGE_CHARS, shorten
from tests.conftest import Pack


@pytest.fixture(scope="module")
def index(kb: KnowledgeBase) -> search.TopicIndex:
    return search.index(kb)


@pytest.mark.parametrize(("typed", "meant"), [
    ("senko", "senco"), ("dyslexya", "dyslexia"), ("pyschologist", "psychologist"),
    ("regiser", "register"), ("speach", "speech"), ("occupatonal", "occupational"),
])
def test_misspelt_send_words_are_corrected_to_the_guidances_words(index, typed, meant) -> None:
    assert index.query_words(f"what about the {typed}") == [meant]


@pytest.mark.parametrize("word", ["weather", "tomorrow", "leisure", "OT", "EP", "sen"])
def test_real_words_and_short_abbreviations_are_never_corrected(index, word) -> None:
    assert index.query_words(word) == [word.lower()]


@pytest.mark.parametrize(("text", "topic"), [
    ("wat can an echp do for him", "ehcp_what_it_can_do"),
    ("sendco wont listen", "senco_role"),
    ("EP referral havering", "external_professionals"),
    ("is he on the sen regester", "sen_support"),
    ("provison map please", "provision_maps"),
    ("graduatted aproach", "graduated_approach"),
    ("ed psych", "external_professionals"),
    ("QFT", "quality_first_teaching"),
    ("APDR", "assess_plan_do_review"),
])
def test_the_search_finds_the_topic_however_it_is_written(index, text, topic) -> None:
    found = [m.topic for m in index.search(text)[:3]]
    assert topic in found, found


def test_the_nlus_ranking_and_the_words_are_combined(index) -> None:
    words_only = index.search("what does the senco do")
    assert words_only[0].topic == "senco_role"
    nudged = index.search("what does the senco do", [("school_duties", 1.0)], nlu_weight=0.6)
    assert nudged[0].topic == "school_duties"  # the NLU is sure: its choice leads
    assert [m.topic for m in nudged[:3]].count("senco_role") == 1


def test_everyday_messages_have_low_relevance_and_send_questions_high(index) -> None:
    from actions.settings import settings

    MIN_RELEVANCE = settings().answer.min_relevance

    for text in ("what's the weather like tomorrow", "recipe for a lasagne",
                 "what time does the swimming pool open", "who won the darts"):
        assert index.relevance(text) < MIN_RELEVANCE, text
    for text in ("what can't an EHCP do", "is he on the sen register", "educational psychologist",
                 "what is the local offer", "SALT"):
        assert index.relevance(text) >= MIN_RELEVANCE, text


def test_topics_named_in_a_message_are_found_strongest_first(index) -> None:
    text = "Can the SENCO ask an educational psychologist, and what is the local offer?"
    assert set(index.mentioned(text)[:3]) == {"senco_role", "external_professionals",
                                              "local_offer"}
    assert index.mentioned("what's the weather like") == []


def test_the_index_is_rebuilt_for_new_knowledge(kb: KnowledgeBase, pack: Pack) -> None:
    first = search.index(kb)
    assert search.index(kb) is first
    other = load_knowledge(pack.root)
    assert search.index(other) is not first
    assert search.index(other).topics == sorted(other.topics)


@pytest.mark.parametrize(("text", "subject"), [
    ("how do I appeal to the SEND Tribunal", None),  # the law for England answers it
    ("Can I get free school transport?", "school transport"),
    ("he was EXCLUDED yesterday", "exclusions and suspensions"),
    ("does DLA count", "benefits and allowances"),
    ("the benefits of an EHCP", None),
    ("what is SEN support", None),
    ("who runs the EHCP annual review", None),
])
def test_subjects_the_guidance_does_not_cover_are_recognised(kb: KnowledgeBase, text,
                                                             subject) -> None:
    assert kb.out_of_scope.subject_of(text) == subject


@pytest.mark.parametrize(("text", "topic", "subject"), [
    # a term the chosen topic itself speaks of does not turn the question away...
    ("we're on a 2 year waiting list for an ADHD assessment, can school help now",
     "sen_support_without_diagnosis", None),
    ("can a school exclude a child because of their disability", "equality_act_duties", None),
    # ...but one it does not still does, whatever topic the words suggested
    ("is there free school transport with an EHCP", "ehcp_what_it_can_do", "school transport"),
    ("can I claim DLA if he has an EHCP", "ehcp_what_it_can_do", "benefits and allowances"),
])
def test_an_out_of_scope_term_the_chosen_topic_covers_is_not_declined(
        kb: KnowledgeBase, text: str, topic: str, subject: str | None) -> None:
    from actions.decision import covered_by

    assert kb.out_of_scope.subject_of(text) is not None  # the term is there
    assert kb.out_of_scope.subject_of(text, covered_by(kb, topic)) == subject


def test_a_knowledge_folder_without_out_of_scope_subjects_still_loads(pack: Pack) -> None:
    (pack.root / "out_of_scope.yml").unlink()
    assert load_knowledge(pack.root).out_of_scope.subject_of("school transport") is None


@pytest.mark.parametrize(("old", "new", "field"), [
    ("subjects:", "topics:", "subjects"),
    ("terms: [school transport,", "words: [school transport,", "subjects[1].terms"),
    ("  - name: exclusions and suspensions", "  - name: ''", "subjects[2].name"),
])
def test_a_broken_out_of_scope_file_is_refused_with_where_and_why(pack: Pack, old, new,
                                                                   field) -> None:
    pack.edit("out_of_scope.yml", old, new)
    with pytest.raises(KnowledgeError,
                       match=r"out_of_scope\.yml(:\d+)?: `" + re.escape(field) + "`"):
        load_knowledge(pack.root)


def test_a_very_long_message_is_cut_at_a_word_break() -> None:
    text = "my son struggles at school " * 5000  # about 130 KB
    cut, was_cut = shorten(text)
    assert was_cut and len(cut) <= MAX_MESSAGE_CHARS
    assert text.startswith(cut) and cut.endswith("school")


def test_a_message_of_ordinary_length_is_left_whole() -> None:
    assert shorten("what is sen support") == ("what is sen support", False)
    text = "x" * MAX_MESSAGE_CHARS
    assert shorten(text) == (text, False)


def test_the_saved_english_table_is_the_one_from_the_lookup_data(tmp_path) -> None:
    import json

    from actions import search

    path = search.write_english(tmp_path / "english.json")
    assert json.loads(path.read_text())["words"] == search.english_from_lookups()
