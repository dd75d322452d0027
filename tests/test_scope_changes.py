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
