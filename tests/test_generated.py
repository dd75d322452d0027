"""Training data and the spaCy pipeline are generated from knowledge, reproducibly."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.knowledge import KnowledgeBase
from tools.build import build_spacy_pipeline, entity_patterns, generated_files, stale_files


def test_the_committed_training_data_matches_the_knowledge(kb: KnowledgeBase) -> None:
    stale = stale_files(kb)
    assert stale == [], f"out of date: {stale}; run `make build` and commit the result"


def test_generation_is_reproducible(kb: KnowledgeBase) -> None:
    assert generated_files(kb) == generated_files(kb)


def test_each_topic_trains_an_intent_with_its_questions_and_a_rule(kb: KnowledgeBase) -> None:
    files = generated_files(kb)
    rules = yaml.safe_load(files[Path("data/stories/knowledge.yml")])["rules"]
    domain = yaml.safe_load(files[Path("bot/domain/knowledge.yml")])
    assert domain["intents"] == kb.topic_ids()
    assert [r["steps"] for r in rules] == [
        [{"intent": t}, {"action": "action_understand"}] for t in kb.topic_ids()]
    for topic in kb.topic_ids():
        nlu = yaml.safe_load(files[Path(f"data/nlu/{topic}.yml")])["nlu"][0]
        examples = [line[2:] for line in nlu["examples"].splitlines()]
        assert nlu["intent"] == topic and examples == kb.questions(topic)


def test_a_stale_or_left_over_file_is_reported(kb: KnowledgeBase, tmp_path: Path) -> None:
    for rel, content in generated_files(kb).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    assert stale_files(kb, tmp_path) == []
    (tmp_path / "data/nlu/sen_support.yml").write_text("edited by hand")
    leftover = tmp_path / "data/nlu/removed_topic.yml"
    leftover.write_text(generated_files(kb)[Path("data/nlu/sen_support.yml")])
    assert stale_files(kb, tmp_path) == [Path("data/nlu/removed_topic.yml"),
                                         Path("data/nlu/sen_support.yml")]


@pytest.fixture(scope="module")
def nlp(kb: KnowledgeBase, tmp_path_factory):
    import spacy

    return spacy.load(build_spacy_pipeline(kb, tmp_path_factory.mktemp("spacy") / "pipeline"))


@pytest.mark.parametrize(("text", "label", "ident"), [
    ("the sendco wont listen", "send_term", "senco_role"),
    ("who is the SENCo", "send_term", "senco_role"),
    ("does he need an EHC plan", "send_term", None),
    ("we live in Havering", "council", "havering"),
    ("SEFTON council", "council", "sefton"),
])
def test_the_entity_ruler_finds_send_terms_and_councils_in_any_case(nlp, text, label,
                                                                   ident) -> None:
    found = [(e.label_, e.ent_id_) for e in nlp(text).ents]
    assert any(lab == label and (ident is None or i == ident) for lab, i in found), found


def test_the_lookup_lemmatizer_is_loaded(nlp) -> None:
    assert [t.lemma_ for t in nlp("children were struggling")] == ["child", "be", "struggle"]


def test_every_alias_becomes_a_lower_case_pattern_for_its_topic(kb: KnowledgeBase) -> None:
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    patterns = {(p["label"], p["id"], tuple(t["LOWER"] for t in p["pattern"]))
                for p in entity_patterns(kb)}
    for topic in kb.topic_ids():
        for alias in kb.aliases(topic):
            assert ("send_term", topic, tuple(t.lower_ for t in tokenizer(alias))) in patterns


def test_the_pipeline_corrects_misspelt_send_words_in_lemmas_only(nlp) -> None:
    doc = nlp("the educational pyschologist and speach therapy")
    assert [t.lemma_ for t in doc][2:5] == ["psychologist", "and", "speech"]
    assert doc.text == "the educational pyschologist and speach therapy"  # as typed


def test_the_pipeline_leaves_real_words_and_short_abbreviations_alone(nlp) -> None:
    assert [t.lemma_ for t in nlp("weather tomorrow OT EP")] == [
        "weather", "tomorrow", "OT", "EP"]
