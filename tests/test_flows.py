"""Decision flows: a broken flow file is refused clearly; every path of every shipped flow
reaches a sourced outcome; the runner handles buttons, free text, not sure, back, restart,
stop, resume and roles."""
from __future__ import annotations

import re

import pytest

from actions import flow_runner as run
from actions.errors import KnowledgeError
from actions.flows import paths
from actions.knowledge import KnowledgeBase, load_knowledge
from tests.conftest import Pack

FLOW = "testshire/flows/toy_flow.yaml"

BROKEN_FLOWS = [
    ("an answer to a node that does not exist", "next: out_yes", "next: out_maybe",
     "nodes.q2", "leads to 'out_maybe'"),
    ("a node nobody can reach", "  out_yes:\n", "  orphan:\n    type: outcome\n    text: x\n"
     "    sources: [{document: Toy Guidance (Testshire), section: Stage 1 Teaching}]\n"
     "  out_yes:\n", "nodes.orphan", "cannot be reached"),
    ("a loop", "next: q2\n", "next: q1\n", "nodes.q1", "part of a loop"),
    ("an outcome without sources",
     '    text: "Needs are met."\n    sources: [{document: Toy Guidance (Testshire), '
     'section: Stage 1 Teaching, url: null}]', '    text: "Needs are met."',
     "nodes.out_yes.sources", "must cite the guidance"),
    ("a section that is not in the guidance", "section: Stage 1 Teaching", "section: Stage 8",
     "nodes.out_yes.sources[0].section", "is not a section of"),
    ("a not sure answer that does not say how to find out", ', explain: "Ask."}', "}",
     "nodes.q2.answers[2].explain", "how to find out"),
    ("an info node that leads nowhere", "    next: q2\n", "", "nodes.info1.next",
     "must lead on"),
    ("a start that is not a node", "start: q1", "start: q0", "start", "is not a node"),
    ("a node without a type", "    type: info\n", "", "nodes.info1", "valid `type`"),
    ("a question with one answer",
     '      - {id: "no", label: "No", next: out_no, because: "so it is not working."}\n'
     '      - {id: not_sure, label: "Not sure", next: out_no, because: "so check.", '
     'explain: "Ask."}\n', "", "nodes.q2.answers", "at least two"),
    ("a topic that does not exist", "starts_from: [support]", "starts_from: [nothing]",
     "starts_from", "not a topic id"),
]


@pytest.mark.parametrize(("broken", "old", "new", "field", "message"), BROKEN_FLOWS,
                         ids=[b[0] for b in BROKEN_FLOWS])
def test_a_broken_flow_is_refused_naming_file_node_and_fix(pack: Pack, broken, old, new,
                                                           field, message) -> None:
    pack.add_flow()
    pack.edit(FLOW, old, new)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(pack.root)
    problems = [str(p) for p in caught.value.problems]
    assert any(FLOW in p and f"`{field}`" in p and message in p for p in problems), problems


def test_a_valid_flow_loads_with_its_paths(pack: Pack) -> None:
    pack.add_flow()
    kb = load_knowledge(pack.root)
    flow = kb.flows["testshire"]["toy_flow"]
    assert kb.flow_starting_from("support", "testshire") is flow
    assert kb.flow_offered_after("teaching", None) is flow
    assert len(paths(flow)) == 5


# --- every path of every shipped flow --------------------------------------------------------

PROMISE = re.compile(r"\b(will|should|is going to|is sure to)\s+(get|be given|receive|have)\s+"
                     r"an?\s+(EHCP|EHC plan|education, health and care plan)", re.IGNORECASE)
NEGATION = re.compile(r"\b(avoid|without|not|never|no)\b|n't", re.IGNORECASE)


def promises_an_ehcp(text: str) -> bool:
    """Whether a sentence says a child will or should get an EHCP (quoting the guidance's own
    warning against saying so, "avoid suggesting ... will or should get an EHCP", is fine)."""
    sentences = re.split(r"(?<=[.!?])\s", text)
    return any(PROMISE.search(s) and not NEGATION.search(s) for s in sentences)


@pytest.mark.parametrize(("text", "promises"), [
    ("He will get an EHCP.", True), ("Your child should get an EHC plan soon.", True),
    ("Avoid suggesting that the child will or should get an EHCP.", False),
    ("This does not mean she will get an EHCP.", False), ("Talk to the SENCO.", False)])
def test_the_ehcp_promise_check_tells_promises_from_warnings(text, promises) -> None:
    assert promises_an_ehcp(text) is promises


def shipped_paths() -> list[tuple[str, str, list]]:
    from actions.paths import KNOWLEDGE_DIR

    kb = load_knowledge(KNOWLEDGE_DIR)
    return [(council, flow_id, path) for council, flows in sorted(kb.flows.items())
            for flow_id, flow in sorted(flows.items()) for path in paths(flow)]


SHIPPED = shipped_paths()


def test_the_guidance_flows_are_shipped(kb: KnowledgeBase) -> None:
    assert {"next_steps", "assessment_readiness"} <= set(kb.flows.get("sefton", {}))
    assert "havering_pathway" in kb.flows.get("havering", {})


@pytest.mark.parametrize("role", ["parent", "professional"])
@pytest.mark.parametrize(("council", "flow_id", "path"), SHIPPED,
                         ids=[f"{c}-{f}-{'-'.join(a or n for n, a in p)}" for c, f, p in SHIPPED])
def test_every_path_reaches_a_sourced_outcome_with_a_record(kb: KnowledgeBase, council, flow_id,
                                                            path, role) -> None:
    flow = kb.flows[council][flow_id]
    step = run.start(kb, flow, role, council)
    for node_id, answer_id in path:
        if answer_id is None:
            continue
        assert step.state and step.state["node"] == node_id
        step = run.answer(kb, step.state, role, answer_id=answer_id, intent=None, text="")
    assert step.state is None, "the flow must be over at the end of a path"
    outcome_id = path[-1][0]
    outcome, saved = step.replies[-2:]
    assert outcome.custom and outcome.custom["topic"] == flow_id
    assert outcome.custom["step"] == outcome_id
    assert outcome.custom["sources"], "an outcome must cite the guidance"
    for source in outcome.custom["sources"]:
        assert source["section"] in kb.document(source["document"]).sections  # type: ignore[union-attr]
    assert flow.nodes[outcome_id].text.for_role(role) in outcome.text
    assert saved.custom and saved.custom["record"] in saved.text
    for node_id, answer_id in path:
        if answer_id:
            node = flow.nodes[node_id]
            label = next(a.label for a in node.answers if a.id == answer_id)
            assert f"{node.text.for_role(role)} {label}." in saved.custom["record"]
    for law in flow.nodes[outcome_id].law:  # "What the law says" follows, with its source
        assert kb.topics[law]["england"].note in outcome.text
    for reply in step.replies:
        assert not promises_an_ehcp(reply.text), reply.text


# --- the runner on the toy flow ----------------------------------------------------------------

@pytest.fixture
def toy(pack: Pack) -> KnowledgeBase:
    pack.add_flow()
    return load_knowledge(pack.root)


def started(kb: KnowledgeBase, role: str | None = "parent") -> run.Step:
    return run.start(kb, kb.flows["testshire"]["toy_flow"], role, "testshire")


def test_a_flow_starts_with_its_intro_and_first_question_with_buttons(toy) -> None:
    step = started(toy)
    (reply,) = step.replies
    assert reply.text == "Intro text.\n\nIs your child on the register?"
    assert [b["payload"] for b in reply.buttons] == [
        '/flow_answer{"flow_answer": "yes"}', '/flow_answer{"flow_answer": "no"}',
        '/flow_answer{"flow_answer": "not_sure"}', "/flow_stop"]
    assert reply.custom == {"topic": "toy_flow", "step": "q1", "local_authority": "testshire",
                            "title": "Toy flow", "sources": [
                                {"document": "Toy Guidance (Testshire)",
                                 "section": "Stage 2 Support", "url": None}]}


def test_professionals_get_their_wording_of_the_same_question(toy) -> None:
    assert started(toy, "professional").replies[0].text.endswith("Is the child on the register?")


@pytest.mark.parametrize(("intent", "text", "next_step"), [
    ("affirm", "yes he is", "q2"), ("deny", "nope", "out_no"), (None, "Yes", "q2"),
    (None, "not sur", "out_no"), ("not_sure", "no idea", "out_no")])
def test_free_text_answers_are_understood(toy, intent, text, next_step) -> None:
    step = run.answer(toy, started(toy).state, "parent", answer_id=None, intent=intent, text=text)
    steps = [r.custom["step"] for r in step.replies if r.custom]
    assert next_step in steps


def test_an_answer_it_cannot_match_asks_again_without_losing_anything(toy) -> None:
    first = started(toy)
    step = run.answer(toy, first.state, "parent", answer_id=None, intent="greet", text="purple")
    assert step.state == first.state
    assert step.replies[0].text.startswith(toy.phrases["flow_not_understood"])
    assert step.replies[0].custom["step"] == "q1"


def test_not_sure_explains_how_to_find_out_then_carries_on(toy) -> None:
    step = run.answer(toy, started(toy).state, "parent", answer_id="not_sure", intent=None,
                      text="")
    assert step.replies[0].text == "Ask the SENCO."
    assert step.replies[1].custom["step"] == "out_no"


def test_info_steps_are_shown_on_the_way_to_the_next_question(toy) -> None:
    step = run.answer(toy, started(toy).state, "parent", answer_id="yes", intent=None, text="")
    assert [r.custom["step"] for r in step.replies] == ["info1", "q2"]
    assert step.state["history"] == [["q1", "yes"]]
    assert [b["payload"] for b in step.replies[-1].buttons][-3:] == [
        "/flow_back", "/flow_restart", "/flow_stop"]


def test_the_outcome_says_why_with_sources_and_gives_a_record(toy) -> None:
    state = run.answer(toy, started(toy).state, "parent", answer_id="yes", intent=None,
                       text="").state
    step = run.answer(toy, state, "parent", answer_id="yes", intent=None, text="")
    outcome, saved = step.replies
    assert step.state is None
    assert outcome.text.startswith("Needs are met.\n\nWhy:\n\n- You answered \"Yes\" to "
                                   "\"Is your child on the register?\" so support is in place.")
    assert outcome.text.endswith("Source: Toy Guidance (Testshire), “Stage 2 Support” and "
                                 "“Stage 1 Teaching”.")
    record = saved.custom["record"]
    assert "- Is your child on the register? Yes." in record
    assert "Evidence in place:\n- On the register" in record
    assert record.endswith("Next step:\nNeeds are met.")


def test_back_returns_to_the_previous_question_and_forgets_its_answer(toy) -> None:
    state = run.answer(toy, started(toy).state, "parent", answer_id="yes", intent=None,
                       text="").state
    step = run.back(toy, state, "parent")
    assert step.state["node"] == "q1" and step.state["history"] == []
    assert step.replies[0].custom["step"] == "q1"


def test_restart_and_stop(toy) -> None:
    state = run.answer(toy, started(toy).state, "parent", answer_id="yes", intent=None,
                       text="").state
    again = run.restart(toy, state, "parent")
    assert again.state["node"] == "q1" and again.state["history"] == []
    stopped = run.stop(toy, state)
    assert stopped.state is None and stopped.replies[0].text == toy.phrases["flow_stopped"]


def test_resume_asks_the_waiting_question_again(toy) -> None:
    state = started(toy).state
    assert run.resume(toy, state, "parent").replies[0].custom["step"] == "q1"
    assert run.resume_button(toy, state) == {"title": "Carry on: Toy flow",
                                            "payload": "/flow_resume"}
    assert run.resume_button(toy, None) is None


def test_an_unknown_role_is_asked_once_then_the_flow_begins(toy) -> None:
    asked = started(toy, role=None)
    assert asked.state["awaiting_role"] and asked.replies[0].custom["step"] == "role"
    step = run.choose_role(toy, asked.state, "professional")
    assert step.replies[0].text.endswith("Is the child on the register?")


def test_another_councils_flow_says_whose_it_is(toy) -> None:
    step = run.start(toy, toy.flows["testshire"]["toy_flow"], "parent", "camden")
    note = toy.phrases["flow_other_council"].format(asked="Camden", owner="Testshire")
    assert step.replies[0].text.startswith(note)


def test_answers_without_a_flow_in_progress_say_so(toy) -> None:
    step = run.answer(toy, None, "parent", answer_id=None, intent="affirm", text="yes")
    assert step.state is None and step.replies[0].text == toy.phrases["flow_none"]


@pytest.mark.parametrize(("text", "role"), [("I'm a social worker", "professional"),
                                            ("I work in early help", "professional"),
                                            ("I'm his mum", "parent")])
def test_a_typed_role_is_recognised(toy, text, role) -> None:
    assert run.role_from_text(toy, text) == role


def test_seftons_next_steps_follows_both_starting_boxes_and_the_two_terms_question(kb) -> None:
    flow = kb.flows["sefton"]["next_steps"]
    step = run.start(kb, flow, "parent", "sefton")
    seen = []
    for answer_id in ("no", "yes", "no"):  # no ACEs; an unmet special need; not on the register
        seen.append(step.state["node"])
        step = run.answer(kb, step.state, "parent", answer_id=answer_id, intent=None, text="")
    assert seen == ["wider_issues", "special_need", "on_register"]
    # not on the register: talk to the SENCO, then the chart's "after about two terms" question
    assert step.state["node"] == "progress"
    step = run.answer(kb, step.state, "parent", answer_id="no", intent=None, text="")
    assert step.state is None and step.replies[-2].custom["step"] == "ehc_views"


def test_haverings_pathway_asks_one_thing_at_a_time_and_checks_the_advice_before_stage_4(
        kb) -> None:
    flow = kb.flows["havering"]["havering_pathway"]
    # teaching in place, but no concern about progress: stage 1 is enough
    step = run.start(kb, flow, "parent", "havering")
    for answer_id in ("yes", "no"):
        step = run.answer(kb, step.state, "parent", answer_id=answer_id, intent=None, text="")
    assert step.state is None and step.replies[-2].custom["step"] == "stage_1_enough"
    # all the way up: stage 4 only once the stage 2 and 3 advice was used and reviewed
    step = run.start(kb, flow, "parent", "havering")
    asked = []
    for answer_id in ("yes", "yes", "yes", "yes", "yes", "yes", "yes"):
        if step.state is None:
            break
        asked.append(step.state["node"])
        step = run.answer(kb, step.state, "parent", answer_id=answer_id, intent=None, text="")
    assert asked[:2] == ["quality_first_teaching", "teacher_concern"]
    assert asked.index("advice_used") < asked.index("beyond_resources")
    assert step.replies[-2].custom["step"] == "stage_4"


def test_no_outside_advice_is_recorded_as_to_explain_not_as_missing(kb) -> None:
    flow = kb.flows["sefton"]["assessment_readiness"]
    node = flow.nodes["external_advice"]
    no = next(a for a in node.answers if a.id == "no")
    assert no.record_status == "explain"
    state = {"flow": flow.id, "council": "sefton", "node": "external_advice",
             "history": [["external_advice", "no"]]}
    text = run.record(kb, flow, state, flow.nodes["summary"], "parent")
    assert kb.phrases["flow_record_explain"] in text
    assert kb.phrases["flow_record_missing"] not in text
