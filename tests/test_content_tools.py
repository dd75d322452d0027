"""The Local Offer team's tools: `check` (loading problems with file and line, and the content
checks of actions/lint.py), `new` (a topic file to fill in) and `preview`."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from actions import answers
from actions.errors import KnowledgeError
from actions.knowledge import KnowledgeBase, load_knowledge
from actions.lint import ERROR, WARNING, lint
from tests.conftest import Pack
from tools import cli
from tools.content import ContentError, as_html_page, as_text, preview, scaffold

TODAY = dt.date(2026, 11, 28)


def findings(pack: Pack) -> list[tuple[str, str]]:
    return [(f.level, str(f.problem)) for f in lint(load_knowledge(pack.root), TODAY)]


def test_the_shipped_knowledge_has_no_errors(kb: KnowledgeBase) -> None:
    assert [str(f) for f in lint(kb) if f.level == ERROR] == []


def test_a_section_no_file_cites_is_an_error(pack: Pack) -> None:
    pack.edit("testshire/council.yml", "What SEN means]", "What SEN means, Stage 3 Help]")
    (pack.root / "testshire/sources/toy.txt").write_text(
        (pack.root / "testshire/sources/toy.txt").read_text() + "\nStage 3 Help\nMore help.\n")
    assert (ERROR, "knowledge/testshire/council.yml:8: `sections`: section 'Stage 3 Help' of 'Toy "
            "Guidance (Testshire)' is cited by no topic or flow; write or extend a topic that "
            "answers from it, and list it under that file's `sources`") in findings(pack)


def test_a_link_without_an_address_is_an_error(pack: Pack) -> None:
    pack.topic("testshire", "teaching", "Stage 1 Teaching", ["what is good teaching"],
               body="See [the Local Offer]() for more.")
    assert any(level == ERROR and "a link has no address" in text
               and text.startswith("knowledge/testshire/teaching.md")
               for level, text in findings(pack))


def test_near_duplicate_questions_across_topics_are_a_warning_with_their_line(
        pack: Pack) -> None:
    pack.topic("testshire", "support", "Stage 2 Support",
               ["what is extra help", "what is the good teaching"], related="teaching")
    warnings = [text for level, text in findings(pack) if level == WARNING]
    pattern = r"knowledge/testshire/(support|teaching)\.md:\d+: `questions`: .* nearly the same"
    assert any(re.match(pattern, text) for text in warnings), warnings


def test_a_long_answer_and_an_old_review_date_are_warnings(pack: Pack) -> None:
    pack.topic("testshire", "teaching", "Stage 1 Teaching", ["what is good teaching"],
               body="word " * 300)
    pack.edit("testshire/support.md", "last_reviewed: 2026-01-01", "last_reviewed: 2024-05-01")
    warnings = [text for level, text in findings(pack) if level == WARNING]
    assert any("the answer is 300 words" in text for text in warnings)
    assert any(text.startswith("knowledge/testshire/support.md:")
               and "2024-05-01, over a year ago" in text for text in warnings)


def test_a_loading_problem_names_the_line_of_its_field(pack: Pack) -> None:
    pack.edit("testshire/support.md", "related: [teaching]", "related: [nowhere]")
    with pytest.raises(KnowledgeError, match=r"testshire/support\.md:\d+: `related`: 'nowhere'"):
        load_knowledge(pack.root)


def test_check_exits_1_on_errors_and_0_on_warnings_alone(pack: Pack, monkeypatch,
                                                         capsys) -> None:
    monkeypatch.setattr(cli, "KNOWLEDGE_DIR", pack.root)
    assert cli.main(["check"]) == 0
    pack.topic("testshire", "teaching", "Stage 1 Teaching", ["what is good teaching"],
               body="word " * 300)
    assert cli.main(["check"]) == 0 and cli.main(["check", "--strict"]) == 1
    pack.topic("testshire", "teaching", "Stage 1 Teaching", ["what is good teaching"],
               body="See [it]().")
    assert cli.main(["check"]) == 1
    assert "1 error(s)" in capsys.readouterr().out


def test_new_writes_a_topic_file_that_check_then_asks_to_complete(pack: Pack) -> None:
    kb = load_knowledge(pack.root)
    path = scaffold(kb, "testshire", "transition", today=TODAY)
    text = path.read_text()
    assert path == pack.root / "testshire" / "transition.md"
    assert "id: transition" in text and "last_reviewed: 2026-11-28" in text
    assert "#   Toy Guidance (Testshire): Stage 2 Support" in text  # the sections to choose from
    with pytest.raises(KnowledgeError, match=r"testshire/transition\.md:\d+: `sources"):
        load_knowledge(pack.root)  # the TODO section is not in the guidance yet
    path.write_text(text.replace("TODO a section from the list above, exactly as written there",
                                 "Stage 2 Support"))
    todos = [t for level, t in findings(pack) if level == ERROR and "still has a TODO" in t]
    assert len(todos) == 6  # title, three questions, an alias and the answer
    assert all(re.match(r"knowledge/testshire/transition\.md:\d+: still has a TODO", t)
               for t in todos)


@pytest.mark.parametrize(("council", "topic", "message"), [
    ("nowhere", "transition", "no council 'nowhere'"),
    ("testshire", "Bad Id", "is not a topic id"),
    ("testshire", "teaching", "already exists"),
])
def test_new_refuses_what_it_cannot_do_with_a_clear_message(pack: Pack, council, topic,
                                                            message) -> None:
    with pytest.raises(ContentError, match=message):
        scaffold(load_knowledge(pack.root), council, topic)


def test_preview_is_the_answer_a_person_gets(kb: KnowledgeBase, tmp_path) -> None:
    replies = preview(kb, "sen_support", "havering")
    expected = answers.compose_answer(kb, "sen_support", "havering")
    assert [r.text for r in replies] == [expected.text]
    assert as_text(replies).startswith(expected.text)
    page = as_html_page(replies)
    assert (expected.custom or {})["html"] in page and "Where this comes from" in page
    with pytest.raises(ContentError, match="no topic 'nope'"):
        preview(kb, "nope", None)


def test_preview_of_a_typed_question_shows_the_part_of_the_answer_it_gets(
        kb: KnowledgeBase) -> None:
    from tools.content import preview

    [part] = preview(kb, "annual_reviews", "sefton",
                     "how many days do I have to comment on the proposed amendments")
    [whole] = preview(kb, "annual_reviews", "sefton", "what is an annual review")
    assert part.custom["section"] == "after_the_review_meeting"
    assert "section" not in whole.custom


def test_preview_starts_the_flow_where_the_assistant_would(kb: KnowledgeBase) -> None:
    # "what next?" starts the next-steps flow for a council with one: its first step (asking
    # the person's role) is previewed, not the topic's text
    assert kb.flow_starting_from("next_steps", "sefton") is not None
    replies = preview(kb, "next_steps", "sefton")
    assert replies[0].text == kb.phrases["flow_choose_role"]
    assert all(b["payload"].startswith("/choose_role") for b in replies[0].buttons)
    assert answers.compose_answer(kb, "next_steps", "sefton").text not in as_text(replies)
    assert "<html" in as_html_page(replies)


def test_preview_offers_the_flow_after_an_answer_as_the_assistant_does(
        kb: KnowledgeBase) -> None:
    offered = [(topic, council) for council in kb.councils for topic in kb.topic_ids()
               if kb.flow_offered_after(topic, council) is not None
               and kb.flow_starting_from(topic, council) is None]
    assert offered, "no topic offers a flow after its answer"
    for topic, council in offered:
        flow = kb.flow_offered_after(topic, council)
        payloads = [b["payload"] for b in preview(kb, topic, council)[-1].buttons]
        assert f'/start_flow{{"flow": "{flow.id}"}}' in payloads, (topic, council)


def test_check_reports_every_kind_of_mistake_in_a_broken_copy_at_once(pack: Pack, monkeypatch,
                                                                      capsys) -> None:
    pack.edit("testshire/support.md", "related: [teaching]", "related: [nowhere]")
    pack.edit("testshire/teaching.md", "section: Stage 1 Teaching", "section: Stage 9 Magic")
    pack.edit("common/what_is_sen.md", "title: What Is Sen\n", "")
    pack.topic("testshire", "extra", "Stage 2 Support", ["what is extra help"])  # a duplicate
    pack.add_flow()
    pack.edit("testshire/flows/toy_flow.yaml", "next: q2", "next: nowhere")
    monkeypatch.setattr(cli, "KNOWLEDGE_DIR", pack.root)
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().err
    for expected in (r"support\.md:\d+: `related`: 'nowhere' is not a topic id",
                     r"teaching\.md:\d+: `sources\[0\]\.section`: 'Stage 9 Magic'",
                     r"what_is_sen\.md.*`title`",
                     r"`questions`: 'what is extra help' is already a question of .*extra\.md",
                     r"toy_flow\.yaml.*nowhere"):
        assert re.search(expected, out), (expected, out)


@pytest.mark.parametrize(("text", "unexplained"), [
    ("Ask the special educational needs coordinator (SENCO). The SENCO knows.", []),
    ("Ask the SENCO. The special educational needs coordinator (SENCO) knows.", ["SENCO"]),
    ("An **EHC plan** is an education, health and care (EHC) plan.", ["EHC"]),
    ("The tribunal, often called the SEND Tribunal, hears appeals. Ask your GP or the NHS.", []),
    ("- **SENDIST** (the old tribunal's name) is gone.\n- SENCO still means the same.", []),
])
def test_check_finds_abbreviations_used_before_they_are_spelled_out(text, unexplained) -> None:
    from actions.lint import unexplained_abbreviations

    assert unexplained_abbreviations(text) == unexplained


def test_check_warns_about_an_answer_that_uses_an_abbreviation_first(pack: Pack) -> None:
    pack.edit("testshire/support.md", "\n---\n", "\n---\nAsk the SENCO first.\n\n")
    found = [str(f) for f in lint(load_knowledge(pack.root))]
    assert any("support.md" in f and "uses SENCO before spelling it out" in f for f in found)


def test_check_warns_about_a_hard_to_read_phrase(pack: Pack) -> None:
    path = pack.root / "phrases.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\nlong_winded: \"Notwithstanding the "
                    "aforementioned considerations, institutional responsibilities regarding "
                    "individualised educational provision necessitate comprehensive "
                    "interdisciplinary consultation.\"\n", encoding="utf-8")
    found = [str(f) for f in lint(load_knowledge(pack.root))]
    assert any("phrases.yml" in f and "long_winded" in f and "reads at grade" in f for f in found)
    assert not any("phrases.yml" in f and "out_of_scope" in f for f in found)


def test_check_warns_about_hard_parents_wording_in_a_flow_not_the_professionals(
        pack: Pack) -> None:
    pack.add_flow()
    hard = ("Notwithstanding institutional considerations, individualised educational provision "
            "necessitates comprehensive interdisciplinary consultation with multidisciplinary "
            "professionals beforehand.")
    pack.edit("testshire/flows/toy_flow.yaml", '"Is the child on the register?"', f'"{hard}"')
    assert not any("toy_flow" in str(f) for f in lint(load_knowledge(pack.root)))
    pack.edit("testshire/flows/toy_flow.yaml", '"so ask about support."', f'"{hard}"')
    found = [str(f) for f in lint(load_knowledge(pack.root))]
    assert any("toy_flow.yaml" in f and "nodes.q1.answers.no.because" in f
               and "parents' wording reads at grade" in f for f in found)


def test_the_safeguarding_command_shows_the_phrases_and_what_the_crisis_check_makes_of_it(
        capsys) -> None:
    # "goes missing" fires the missing-child signal; read whole, the message is a childminder
    # writing a policy, and the check (fitted from data/safeguarding/check.yml) overrules it
    assert cli.main(["safeguarding", "what should a childminder do if a child in their care "
                     "goes missing on an outing? we are writing our policy"]) == 0
    out = capsys.readouterr().out
    assert "level: crisis" in out and 'matched "goes missing"' in out
    assert "learned crisis check: 0." in out
    assert "level with the check: none" in out
