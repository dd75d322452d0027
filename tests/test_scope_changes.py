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
