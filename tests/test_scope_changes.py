"""Expectations of the shared development set that the project's scope has since changed."""
from __future__ import annotations

from actions.paths import PROJECT_ROOT


def test_the_shared_sets_scope_changes_are_applied_and_reported(tmp_path) -> None:
    from tools.evaluate import Result, load_questions, report

    questions = tmp_path / "set.yaml"
    questions.write_text('questions:\n  - {la: sefton, q: "how do I appeal", expect: '
                         '[out_of_scope]}\n  - {la: sefton, q: "what is SEN", expect: '
                         '[what_is_sen]}\n')
    changes = tmp_path / "changes.yaml"
    changes.write_text('changes:\n  - {q: "how do I appeal", expect: [refusal_and_appeals], '
                       'why: "the law layer"}\n')
    loaded = load_questions(questions, changes)
    assert [q.expect for q in loaded] == [("refusal_and_appeals",), ("what_is_sen",)]
    assert load_questions(questions, None)[0].expect == ("out_of_scope",)
    shipped = load_questions(PROJECT_ROOT / "tests" / "eval" / "dev_questions.yaml")
    appeal = next(q for q in shipped if q.text == "how do I appeal to the SEND tribunal")
    assert appeal.expect == ("refusal_and_appeals",)
    assert "scope changes applied:       1" in report([Result(appeal, "refusal_and_appeals")])


def test_a_flow_a_topic_starts_for_the_council_counts_as_that_topic() -> None:
    # Havering's "what next?" starts its own pathway, whose id is not the topic's
    from tools.evaluate import Question, Result, flow_starts

    assert flow_starts("havering") == {"havering_pathway": ("next_steps",)}
    asked = Question(council="havering", text="what next?", expect=("next_steps",))
    assert Result(asked, "havering_pathway").correct
    assert not Result(asked, "sen_support").correct
    # another council's flow is not the answer
    assert not Result(Question("sefton", "x", ("sen_support",)), "havering_pathway").correct


def test_a_council_topic_carrying_the_law_asked_about_is_counted_apart_not_as_correct() -> None:
    # "can I ask for an assessment myself?" answered with the council's how-to-ask topic, which
    # ends with the national topic's "What the law says" note: not the topic asked for, but not
    # an answer to another question either
    from tools.evaluate import Question, Result, law_notes, report

    assert "who_can_request_assessment" in law_notes()["requesting_an_assessment"]
    asked = Question("sefton", "can I ask myself?", ("who_can_request_assessment",))
    layered = Result(asked, "requesting_an_assessment")
    assert not layered.correct and layered.through_note and layered.confidently_wrong
    unrelated = Result(asked, "provision_maps")
    assert not unrelated.through_note and unrelated.confidently_wrong
    assert not Result(asked, "suggestions").through_note
    shown = report([layered, unrelated])
    assert "the law asked about as the answer's note: 1" in shown
    assert "~ sefton | can I ask myself?" in shown and "! sefton | can I ask myself?" in shown


def test_did_you_mean_is_counted_right_when_an_accepted_topic_is_among_its_choices() -> None:
    from tools.evaluate import Question, Result, first_suggested, report

    asked = Question("havering", "how often is the plan looked at?", ("annual_reviews",))
    choices = ["ehcp_sections", "annual_reviews"]
    offered = [{"text": "Did you mean",
                "custom": {"topic": "suggestions", "suggested": choices}}]
    right = Result(asked, "suggestions", first_suggested(offered))
    wrong = Result(asked, "suggestions", ("ehcp_sections",))
    assert right.right_among_choices and not wrong.right_among_choices
    assert not Result(asked, "annual_reviews", ("annual_reviews",)).right_among_choices
    assert first_suggested([{"text": "hi"}]) == ()
    assert '"Did you mean" with a right topic among the choices: 1 of 2' in report([right, wrong])


def test_a_set_split_into_parts_is_reported_part_by_part_without_the_held_out_misses(
        tmp_path) -> None:
    from tools.evaluate import Result, by_part, load_questions, report

    questions = tmp_path / "set.yaml"
    questions.write_text(
        'questions:\n'
        '  - {la: sefton, part: held_out, q: "what is SEN", expect: [what_is_sen]}\n'
        '  - {la: sefton, part: tune, q: "who is the SENCO", expect: [senco_role]}\n'
        '  - {la: sefton, part: tune, q: "what is sen support", expect: [sen_support]}\n')
    loaded = load_questions(questions, None)
    results = [Result(q, "senco_role") for q in loaded]  # one right, two wrong
    parts = by_part(results)
    assert list(parts) == ["tune", "held_out"]
    assert [r.question.text for r in parts["tune"]] == ["who is the SENCO", "what is sen support"]
    held = report(parts["held_out"], show_misses=False)
    assert "what is SEN" not in held and "1 misses not listed" in held
    assert "what is sen support" in report(parts["tune"])
    # a set with no parts is one part
    assert list(by_part([Result(loaded[0].__class__("sefton", "x", ("a",)), "a")])) == [None]


def test_the_risk_coverage_curve_counts_answers_and_wrong_ones_at_each_bar(tmp_path) -> None:
    from tools import risk_coverage as rc
    from tools.evaluate import Question, Result

    asked = [Question("sefton", "a", ("sen_support",)), Question("sefton", "b", ("senco_role",)),
             Question("sefton", "c", ("out_of_scope",), part="tune"),
             Question("sefton", "d", ("what_is_sen",), part="held_out")]
    assert [q.text for q in rc.tune_questions(asked)] == ["a", "b", "c"]
    guesses = [
        rc.best_guess(asked[0], [{"name": "nlu_fallback", "confidence": 0.35},
                                 {"name": "sen_support", "confidence": 0.9}]),  # right, sure
        rc.best_guess(asked[1], [{"name": "sen_support", "confidence": 0.5}]),  # wrong
        rc.best_guess(asked[2], [{"name": "safeguarding", "confidence": 1.0},
                                 {"name": "out_of_scope", "confidence": 0.3}]),  # right decline
    ]
    assert [g.right for g in guesses] == [True, False, True]
    assert rc.at_bar(guesses, 0.9) == (1 / 3, 0.0)
    assert rc.at_bar(guesses, 0.5) == (2 / 3, 0.5)
    assert rc.curve(guesses) == [(0.9, 1 / 3, 0.0), (0.5, 2 / 3, 0.5), (0.3, 1.0, 1 / 3)]
    # the operating point: "Did you mean" is no answer, a decline is one (right if to decline)
    results = [Result(asked[0], "sen_support"), Result(asked[1], "suggestions"),
               Result(asked[2], "out_of_scope"), Result(asked[3], "out_of_scope")]
    assert rc.operating_point(results) == (3 / 4, 1 / 3)
    rc.picture(guesses, results, tmp_path / "curve.svg")
    assert (tmp_path / "curve.svg").read_text().startswith("<?xml")
