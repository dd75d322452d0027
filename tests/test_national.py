"""The national layer (knowledge/england/): loader checks, layered answers, content checks."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from actions import answers
from actions.errors import KnowledgeError
from actions.knowledge import NATIONAL, load_knowledge
from actions.lint import MAX_GRADE, lint, reading_grade
from tests.conftest import Pack


def problems_of(pack: Pack) -> str:
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(pack.root)
    return str(err.value)


def test_the_national_layer_loads_beside_councils_and_is_not_a_council(pack: Pack) -> None:
    pack.add_national()
    kb = load_knowledge(pack.root)
    assert NATIONAL not in kb.councils
    assert kb.topics["asking"][NATIONAL].law_as_of == dt.date(2026, 1, 1)
    assert [d.title for d in kb.national] == ["Toy Act 2014"]
    assert kb.document("Toy Act 2014").headings["section 36"] == "Assessment"
    assert [f.id for f in kb.law_notes("support")] == ["asking"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("section: section 36", "section: section 99", "'section 99' is not a section of 'Toy Act"),
    ("law_as_of: 2026-01-01\n", "", "`law_as_of`: is missing"),
    ("law_as_of: 2026-01-01", "law_as_of: soon", "'soon' is not a date"),
    ("adds_to: [support]", "adds_to: [nothing_here]", "'nothing_here' is not a council's"),
    ("adds_to: [support]", "adds_to: [asking]", "'asking' is not a council's"),
    ("note: In law you may ask the council yourself.\n", "", "`note`: is missing"),
])
def test_a_broken_national_file_is_refused_with_its_fix(pack: Pack, old, new, expected) -> None:
    pack.add_national()
    pack.edit("england/asking.md", old, new)
    assert expected in problems_of(pack)


def test_a_citation_index_entry_needs_a_heading(pack: Pack) -> None:
    pack.add_national()
    pack.edit("england/law.yml", "{section: section 37, heading: Plans}", "{section: section 37}")
    assert "needs `section` and `heading`" in problems_of(pack)


def test_only_national_files_take_the_law_fields(pack: Pack) -> None:
    pack.edit("testshire/support.md", "last_reviewed: 2026-01-01",
              "last_reviewed: 2026-01-01\nadds_to: [teaching]\nnote: A note.")
    text = problems_of(pack)
    assert "`adds_to`: is not a known field; only files in england/ take it" in text


def test_a_local_answer_is_followed_by_what_the_law_says_with_its_source(pack: Pack) -> None:
    pack.add_national()
    kb = load_knowledge(pack.root)
    reply = answers.compose_answer(kb, "support", "testshire")
    local, law = reply.text.split("\n\n" + kb.phrases["law_heading"] + "\n\n")
    assert local.startswith("Plain answer text.") and "“Stage 2 Support”" in local
    assert law == "In law you may ask the council yourself.\nSource: Toy Act 2014, section 36."
    assert reply.custom["law"] == ["asking"]
    assert [s["section"] for s in reply.custom["sources"]] == ["Stage 2 Support", "section 36"]
    assert reply.buttons[0]["payload"] == "/asking"
    assert '<section class="law">' in reply.custom["html"]
    assert kb.phrases["law_heading"] not in answers.compose_answer(kb, "teaching",
                                                                   "testshire").text


def test_the_national_answer_comes_before_another_councils_and_a_council_may_override_it(
        pack: Pack) -> None:
    pack.add_national()
    kb = load_knowledge(pack.root)
    reply = answers.compose_answer(kb, "asking", "otherby")
    assert reply.text.startswith(kb.phrases["national_note"])
    assert reply.custom["local_authority"] == NATIONAL
    assert kb.phrases["law_heading"] not in reply.text
    assert not answers.needs_council(kb, "asking", None)
    pack.topic("testshire", "asking", "Stage 2 Support", ["ask testshire directly"],
               body="Use Testshire's own request form.")
    kb = load_knowledge(pack.root)
    assert answers.compose_answer(kb, "asking", "testshire").text.startswith(
        "Use Testshire's own request form.")
    assert "You can ask the council yourself." in answers.compose_answer(kb, "asking",
                                                                          "otherby").text


def test_check_warns_on_old_law_uncited_index_entries_and_hard_reading(pack: Pack) -> None:
    pack.add_national()
    kb = load_knowledge(pack.root)
    found = [str(f) for f in lint(kb, today=dt.date(2027, 6, 1))]
    assert any("law_as_of" in f and "the law may have changed" in f for f in found)
    assert any("'section 37' of 'Toy Act 2014' is cited by no national file" in f for f in found)
    assert all(f.startswith("warning") for f in found if "england" in f)
    hard = ("Notwithstanding the aforementioned considerations, the local authority's "
            "determination regarding statutory assessment necessitates comprehensive "
            "consideration of multidisciplinary documentation.")
    pack.edit("england/asking.md", "You can ask the council yourself.", hard)
    found = [str(f) for f in lint(load_knowledge(pack.root), today=dt.date(2026, 2, 1))]
    assert any("england/asking.md" in f and "reads at grade" in f for f in found)
    pack.edit("england/asking.md", "law_as_of:", "reading_grade_note: legal terms\nlaw_as_of:")
    found = [str(f) for f in lint(load_knowledge(pack.root), today=dt.date(2026, 2, 1))]
    assert not any("reads at grade" in f for f in found if "asking" in f)


def test_a_list_item_reads_as_a_sentence_of_its_own() -> None:
    listed = "You can:\n\n- ask the school\n- ask the council\n- ask for advice\n- appeal"
    assert reading_grade(listed) < 3


def test_the_shipped_layer_covers_the_statutory_process_in_plain_english(kb) -> None:
    national = {t: f[NATIONAL] for t, f in kb.topics.items() if NATIONAL in f}
    assert len(national) >= 20
    for topic_id, f in national.items():
        assert f.law_as_of is not None and f.sources, topic_id
        assert reading_grade(f.body) <= MAX_GRADE or f.reading_grade_note, topic_id
        assert all(kb.document(ref.document).council == NATIONAL for ref in f.sources), topic_id
    for required in ("who_can_request_assessment", "decision_to_assess", "refusal_and_appeals",
                     "annual_reviews", "draft_plan_and_naming_school", "mediation", "sendiass"):
        assert required in national


@pytest.mark.parametrize("council", ["sefton", "havering"])
def test_each_councils_request_answer_carries_the_right_to_ask_directly(kb, council) -> None:
    for topic in ("requesting_an_assessment", "when_to_request_assessment",
                  "ehc_assessment_criteria"):
        reply = answers.compose_answer(kb, topic, council)
        law = reply.text.split(kb.phrases["law_heading"], 1)[-1]
        assert kb.phrases["law_heading"] in reply.text, topic
        assert re.search(r"parent can ask the council|ask the council .*directly", law), topic


@pytest.mark.parametrize("council", ["sefton", "havering"])
def test_a_councils_criteria_are_never_given_as_the_legal_test(kb, council) -> None:
    # Sefton's checklist was introduced as the council's "legal (statutory) expectations"; the
    # test in law is lower (the child may have SEN and may need a plan), and comes after
    reply = answers.compose_answer(kb, "ehc_assessment_criteria", council)
    local, law = reply.text.split(kb.phrases["law_heading"], 1)
    assert not re.search(r"\b(legal|statutory)\b", local, re.IGNORECASE)
    assert "may have special educational needs" in law and "Local criteria do not" in law


def test_a_flow_outcome_can_end_with_what_the_law_says(pack: Pack) -> None:
    from actions import flow_runner as run

    pack.add_national()
    pack.add_flow()
    pack.edit("testshire/flows/toy_flow.yaml", "    text: \"Needs are met.\"\n",
              "    text: \"Needs are met.\"\n    law: [asking]\n")
    kb = load_knowledge(pack.root)
    flow = kb.flows["testshire"]["toy_flow"]
    step = run.start(kb, flow, "parent", "testshire")
    for _ in range(2):
        step = run.answer(kb, step.state, "parent", answer_id="yes", intent=None, text="")
    outcome = step.replies[0]
    assert outcome.text.endswith(kb.phrases["law_heading"] + "\n\nIn law you may ask the "
                                 "council yourself.\nSource: Toy Act 2014, section 36.")
    assert outcome.custom["sources"][-1]["section"] == "section 36"
    assert {"title": "Who can ask for an assessment", "payload": "/asking"} in outcome.buttons
    pack.edit("testshire/flows/toy_flow.yaml", "law: [asking]", "law: [support]")
    assert "'support' is not a national topic with a `note`" in problems_of(pack)


@pytest.mark.parametrize(("council", "flow_id", "node"), [
    ("sefton", "next_steps", "ehc_views"),
    ("sefton", "next_steps", "check_progress"),
    ("sefton", "assessment_readiness", "summary"),
    ("havering", "havering_pathway", "stage_4"),
])
def test_the_assessment_outcomes_say_a_parent_may_ask_and_what_follows(kb, council, flow_id,
                                                                       node) -> None:
    notes = " ".join(kb.topics[t][NATIONAL].note for t in kb.flows[council][flow_id]
                     .nodes[node].law)
    assert re.search(r"parent can ask the council .*directly", notes)
    assert "6 weeks" in notes and "20 weeks" in notes
    assert "appeal" in notes and "2 months" in notes


def ranking(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"name": name, "confidence": value} for name, value in pairs]


def test_a_national_topic_counts_with_the_local_topic_its_note_follows(kb) -> None:
    from actions.decision import family_choice as choice
    from actions.decision import ranking_of
    from actions.settings import settings

    def family_choice(kb, ranked):
        return choice(kb, ranking_of(ranked), settings().answer)

    # the law note of who_can_request_assessment follows requesting_an_assessment: the local
    # answer comes first, sure of the two together
    topic, confidence = family_choice(kb, ranking(("who_can_request_assessment", 0.5),
                                                  ("requesting_an_assessment", 0.3),
                                                  ("sen_support", 0.1)))
    assert topic == "requesting_an_assessment" and confidence == pytest.approx(0.8)
    # a national topic with no local partner among the best guesses stands on its own
    assert family_choice(kb, ranking(("refusal_and_appeals", 0.7), ("sen_support", 0.2))) == (
        "refusal_and_appeals", 0.7)
    # a partner below the best three guesses does not count
    assert family_choice(kb, ranking(("who_can_request_assessment", 0.6), ("sen_support", 0.2),
                                     ("senco_role", 0.1), ("requesting_an_assessment", 0.05)))[0] \
        == "who_can_request_assessment"
    assert family_choice(kb, ranking(("greet", 0.9))) is None
    # sure of the law's topic by itself, a local partner's few hundredths do not take it over
    # (actions/settings.yml `family_law_alone`)
    rules = settings().answer
    sure = (rules.family_law_alone + 1) / 2
    assert family_choice(kb, ranking(("draft_plan_and_naming_school", sure),
                                     ("ehcp_what_it_cant_do", 1 - sure)))[0] \
        == "draft_plan_and_naming_school"
    assert family_choice(kb, ranking(("draft_plan_and_naming_school", rules.family_law_alone - 0.1),
                                     ("ehcp_what_it_cant_do", 0.05)))[0] \
        == "ehcp_what_it_cant_do"
    # ...and the other way round: asked about the law ("does the school legally have to..."),
    # the council's topic the NLU is sure of alone keeps it, and its answer carries the law note
    def asked_about_law(local: float, law: float) -> str:
        split = ranking_of(ranking(("school_duties", local), ("equality_act_duties", law)))
        return choice(kb, split, rules, asks_law=True)[0]

    assert asked_about_law(sure, 1 - sure) == "school_duties"
    assert asked_about_law(0.6, 0.3) == "equality_act_duties"


@pytest.mark.parametrize(("text", "topic"), [
    ("what criteria does the council use to decide on an assessment", "ehc_assessment_criteria"),
    ("what legal test does the council apply when it decides whether to assess",
     "decision_to_assess"),
    ("is that threshold actually the law or just their rule?", "decision_to_assess"),
])
def test_a_question_about_the_law_itself_gets_the_law_not_the_local_guidance(
        kb, text: str, topic: str) -> None:
    from actions.decision import Turn, ranking_of, understand
    from actions.settings import settings

    ranked = ranking_of(ranking(("ehc_assessment_criteria", 0.5), ("decision_to_assess", 0.4),
                                ("sen_support", 0.05)))
    decision = understand(Turn(text=text, intent=ranked[0][0], confidence=ranked[0][1],
                               ranking=ranked, council="sefton"), kb, settings())
    assert decision.topic == topic


def test_a_question_split_between_a_local_topic_and_its_law_is_answered_locally_with_the_law(
        kb) -> None:
    from actions import actions as acts
    from tests.test_actions import make_tracker, run

    tracker = make_tracker("nlu_fallback", text="can I ask for an EHC needs assessment myself",
                           metadata={"local_authority": "havering"},
                           ranking=ranking(("nlu_fallback", 0.35),
                                           ("who_can_request_assessment", 0.34),
                                           ("requesting_an_assessment", 0.30)))
    messages, _ = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["custom"]["topic"] == "requesting_an_assessment"
    assert messages[0]["custom"]["law"][0] in {"decision_to_assess", "who_can_request_assessment"}
    assert "What the law says" in messages[0]["text"]


def test_law_topics_named_as_related_count_together_and_the_first_is_answered(kb) -> None:
    from actions import actions as acts
    from actions.decision import ranking_of
    from actions.decision import with_related_law as related
    from actions.settings import settings
    from tests.test_actions import make_tracker, run

    def with_related_law(kb, topic, ranked):
        return related(kb, topic, ranking_of(ranked), settings().answer)

    split = ranking(("nlu_fallback", 0.35), ("decision_to_issue_plan", 0.6),
                    ("refusal_and_appeals", 0.25), ("sen_support", 0.1))
    # related law topics among the best guesses add up; a local topic, or an unrelated or
    # lower guess, does not
    assert with_related_law(kb, "decision_to_issue_plan", split) == pytest.approx(0.85)
    assert with_related_law(kb, "sen_support", split) == 0.0
    assert with_related_law(kb, "decision_to_issue_plan", ranking(
        ("decision_to_issue_plan", 0.6), ("personal_budgets", 0.25))) == pytest.approx(0.6)
    assert with_related_law(kb, "decision_to_issue_plan", ranking(
        ("decision_to_issue_plan", 0.6), ("sen_support", 0.2), ("senco_role", 0.1),
        ("refusal_and_appeals", 0.05))) == pytest.approx(0.6)
    # nearly tied between the two halves of that part of the law: answered, the other offered
    text = "they assessed him and now say no plan, can we challenge that"
    halves = ranking(("nlu_fallback", 0.35), ("decision_to_issue_plan", 0.46),
                     ("refusal_and_appeals", 0.42))
    tracker = make_tracker("nlu_fallback", text=text, metadata={"local_authority": "sefton"},
                           ranking=halves)
    messages, _ = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["custom"]["topic"] == "decision_to_issue_plan"
    assert "/refusal_and_appeals" in [b["payload"] for b in messages[0]["buttons"]]
    # the same split between unrelated law topics is still "Did you mean"
    tracker = make_tracker("nlu_fallback", text=text, metadata={"local_authority": "sefton"},
                           ranking=ranking(("nlu_fallback", 0.35),
                                           ("decision_to_issue_plan", 0.46),
                                           ("personal_budgets", 0.42)))
    messages, _ = run(acts.ActionUnderstand(), tracker)
    assert messages[0]["custom"]["topic"] == "suggestions"


def test_of_related_law_topics_sure_together_the_one_the_words_point_to_is_answered(kb) -> None:
    from actions.decision import ANSWER, Turn, ranking_of, understand
    from actions.settings import settings

    # unsure which part of the assessment law is asked about, sure of the parts together: the
    # question's words ("which professionals are asked") point to what the assessment gathers
    text = "The council agreed to assess my son. Which professionals will they ask for advice?"
    ranked = ranking_of(ranking(("who_can_request_assessment", 0.49),
                                ("assessment_process", 0.40), ("decision_to_assess", 0.11)))
    decision = understand(Turn(text=text, intent=ranked[0][0], confidence=ranked[0][1],
                               ranking=ranked, council="havering"), kb, settings())
    assert (decision.outcome, decision.topic) == (ANSWER, "assessment_process")
    # ...and a question whose words point to who may ask keeps the NLU's first guess
    text = "Can a grandparent ask the council for an EHC needs assessment?"
    decision = understand(Turn(text=text, intent=ranked[0][0], confidence=ranked[0][1],
                               ranking=ranked, council="havering"), kb, settings())
    assert (decision.outcome, decision.topic) == (ANSWER, "who_can_request_assessment")


@pytest.mark.parametrize(("text", "asks"), [
    ("is that legal?", True),
    ("is it even leagal for school to do that", True),
    ("are they alowed, whats the statuatory timescale", True),
    # a plan's lettered sections are set by the SEND Regulations (regulation 12)
    ("what goes in section F and who checks it happens", True),
    ("what is SEN support", False),
    ("my son is in year 7 and struggles with reading", False),
])
def test_a_question_about_the_law_is_known_by_its_words_even_misspelt(kb, text: str,
                                                                      asks: bool) -> None:
    from actions.decision import asks_about_law

    assert asks_about_law(kb, text) is asks
