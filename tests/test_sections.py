"""Sections: a topic's answer split under `## ` headings, each with its own example questions,
so a narrow question gets its part (with the topic's source line and a button to the whole
answer) and a broad one the whole answer."""
from __future__ import annotations

import pytest

from actions import answers
from actions.decision import section_of
from actions.errors import KnowledgeError
from actions.knowledge import KnowledgeBase, load_knowledge
from actions.settings import settings
from tests.conftest import Pack

SECTIONS = """\
sections:
  - heading: How often
    questions: [how often is support looked at, is support checked every term,
                how regularly is it reviewed]
  - heading: Who decides
    questions: [who decides on the extra help, does the senco make the decision,
                can a parent decide]
"""
BODY = ("Extra help for pupils who need it.\n\n## How often\n\nIt is reviewed every term.\n\n"
        "## Who decides\n\nThe school decides, with you.\n")


def with_sections(pack: Pack, sections: str = SECTIONS, body: str = BODY) -> KnowledgeBase:
    path = pack.topic("testshire", "support", "Stage 2 Support", ["what is extra help"],
                      related="teaching", body=body)
    path.write_text(path.read_text().replace("last_reviewed:", sections + "last_reviewed:", 1))
    return load_knowledge(pack.root)


def test_sections_are_read_with_their_text_and_their_questions_only_choose_the_part(
        pack: Pack) -> None:
    kb = with_sections(pack)
    f = kb.topics["support"]["testshire"]
    assert [(s.id, s.body) for s in f.sections] == [
        ("how_often", "It is reviewed every term."),
        ("who_decides", "The school decides, with you.")]
    assert "does the senco make the decision" in f.every_question  # kept to one file
    assert "does the senco make the decision" not in kb.questions("support")  # not trained


@pytest.mark.parametrize(("sections", "body", "field"), [
    (SECTIONS.replace("Who decides\n", "Who chooses\n"), BODY, "sections[1].heading"),
    (SECTIONS.replace(",\n                can a parent decide]", "]"), BODY, "sections[1]"),
    (SECTIONS.replace("  - heading: Who decides", "  - heading: Who decides\n    cites: [x]"),
     BODY, "sections[1]"),
    ("sections: how often\n", BODY, "sections"),
])
def test_a_broken_section_is_refused_with_where_and_why(pack: Pack, sections, body,
                                                        field) -> None:
    with pytest.raises(KnowledgeError) as err:
        with_sections(pack, sections, body)
    assert any(p.field == field for p in err.value.problems), err.value.problems


@pytest.mark.parametrize(("text", "section"), [
    ("how many days do I have to comment on the proposed amendments", "after_the_review_meeting"),
    ("who has to be invited to my son's review", "who_is_invited_and_how_much_notice"),
    ("what is an annual review", None),  # broad: the whole answer
    ("ehcp review in 5 days, no letter yet", None),  # a number: not the part on under-fives
    ("", None),  # a button: the whole answer
])
def test_a_narrow_question_gets_its_section_and_a_broad_one_the_whole_answer(
        kb: KnowledgeBase, text, section) -> None:
    assert section_of(kb, "annual_reviews", "sefton", text, settings().answer) == section


def test_a_topic_without_sections_is_always_answered_whole(kb: KnowledgeBase) -> None:
    assert section_of(kb, "mediation", "sefton", "how long do I have to get a mediation "
                      "certificate", settings().answer) is None


def test_a_sections_answer_says_it_is_a_part_and_offers_the_whole_answer_first(
        kb: KnowledgeBase) -> None:
    part = answers.compose_answer(kb, "annual_reviews", "sefton", "after_the_review_meeting")
    whole = answers.compose_answer(kb, "annual_reviews", "sefton")
    assert part.custom["section"] == "after_the_review_meeting" and "section" not in whole.custom
    assert "15 days" in part.text and "every 3 to 6 months" not in part.text
    assert kb.phrases["section_part"].format(title=kb.title("annual_reviews")) in part.text
    assert part.text.endswith(whole.text.rsplit("\n\n", 1)[-1])  # the topic's source line
    assert part.buttons[0] == {"title": kb.phrases["whole_answer"], "payload": "/annual_reviews"}
    assert "every 3 to 6 months" in whole.text and "15 days" in whole.text


@pytest.mark.parametrize(("text", "section"), [
    ("is there a deadline for the appeal", "the_deadline_for_appealing"),
    ("do we have to go to mediation before the appeal", "mediation_before_you_appeal"),
    # two things asked at once: the whole answer, not the part on one of them
    ("is there a deadline for the appeal, and can my mum appeal for me, im 17", None),
    ("do we have to go to mediation and what is the time limit for appealing", None),
])
def test_a_message_asking_two_things_gets_the_whole_answer(kb: KnowledgeBase, text,
                                                           section) -> None:
    assert section_of(kb, "refusal_and_appeals", "sefton", text, settings().answer) == section


@pytest.mark.parametrize(("text", "asked"), [
    ("how many days do I have to comment on the proposed amendments", 1),
    ("can I ask for a meeting and a school", 1),
    ("my son is 9. school and the council ignore me. is there a deadline?", 1),
    ("The plan came last week. What can we take to tribunal and how long have we got?", 2),
    ("is there a deadline, and can my mum appeal for me", 2),
])
def test_questions_are_counted_by_their_clauses_that_open_with_a_question_word(
        text, asked) -> None:
    from actions.decision import questions_asked

    assert questions_asked(text) == asked
