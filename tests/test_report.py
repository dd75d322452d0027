"""The conversation report: hand-made conversations in a SQLite tracker store with Rasa's own
`events` table, read, summarised and written as CSV and HTML."""
from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tools.report import (
    FILES,
    ReportError,
    TopicCount,
    add_arguments,
    load_events,
    parse_date,
    render_html,
    run,
    summarise,
    write_csv,
)

DAY_1, DAY_2 = date(2026, 3, 2), date(2026, 3, 3)
SENDERS = ("private-sender-a", "private-sender-b", "private-sender-c", "private-sender-d")
A, B, C, D = SENDERS
SCRIPT = "<script>alert('x')</script> and wheelchairs"
FORMULA = "=cmd| what about wheelchairs"
APPEAL = "how do I appeal to the SEND tribunal"
EHCP_OR_SEN = "ehcp or sen support"


def at(day: date, hour: int, minute: int = 0) -> float:
    """Epoch seconds of a local time (the report's dates are local days)."""
    return datetime(day.year, day.month, day.day, hour, minute).timestamp()


@dataclass
class Store:
    """Events written as Rasa's SQLTrackerStore writes them: one row each, the event as JSON."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def _add(self, sender: str, kind: str, ts: float, data: dict[str, Any],
             intent: str | None = None, name: str | None = None) -> None:
        self.rows.append({"sender_id": sender, "type_name": kind, "timestamp": ts,
                          "intent_name": intent, "action_name": name,
                          "data": json.dumps({"event": kind, "timestamp": ts, **data})})

    def turn(self, sender: str, ts: float, text: str, intent: str,
             custom: dict[str, Any] | None = None, council: str | None = None,
             slots: dict[str, Any] | None = None, notice: bool = False) -> None:
        """A user message, the action that answers it, its bot messages and its slot events."""
        metadata = {"local_authority": council} if council else {}
        self._add(sender, "user", ts, {
            "text": text, "metadata": {**metadata, "model_id": "m"}, "input_channel": "rest",
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": [],
                           "text": text, "metadata": metadata}}, intent=intent)
        self._add(sender, "action", ts + 1, {"name": "action_understand"},
                  name="action_understand")
        if notice:  # a message with no payload first, e.g. the privacy reminder
            self._add(sender, "bot", ts + 1, {"text": "Please don't share...",
                                              "data": {"buttons": None, "custom": None}})
        self._add(sender, "bot", ts + 1, {"text": "A reply.",
                                          "data": {"buttons": None, "custom": custom}})
        if custom:  # a second custom message, e.g. a flow's record: not the turn's reply
            self._add(sender, "bot", ts + 1, {"text": "More.", "data": {"custom": {
                "topic": "graduated_approach", "local_authority": "sefton"}}})
        for name, value in (slots or {}).items():
            self._add(sender, "slot", ts + 1, {"name": name, "value": value}, name=name)
        self._add(sender, "action", ts + 2, {"name": "action_listen"}, name="action_listen")

    def write(self, path: Path) -> str:
        """Create Rasa's `events` table in a new SQLite file, insert the rows; return its URL."""
        from rasa.core.tracker_store import SQLTrackerStore  # Rasa's own `events` table

        engine = sa.create_engine(f"sqlite:///{path}")
        table = SQLTrackerStore.SQLEvent.__table__
        table.create(engine)
        with engine.begin() as connection:
            connection.execute(table.insert(), self.rows)
        engine.dispose()
        return f"sqlite:///{path}"


def topic(topic_id: str, council: str = "sefton", **more: Any) -> dict[str, Any]:
    return {"topic": topic_id, "local_authority": council, "sources": [], **more}


def unanswered(text: str, outcome: str, suggested: list[str] | None = None,
               subject: str | None = None, guesses: list[tuple[str, float]] | None = None,
               reason: str | None = None) -> dict[str, Any]:
    record = {"text": text, "outcome": outcome, "subject": subject,
              "suggested": suggested or [],
              "predictions": [{"intent": i, "confidence": c} for i, c in guesses or []]}
    return record if reason is None else {**record, "reason": reason}  # None: stored before


def running(node: str | None) -> dict[str, Any]:
    """The `flow_state` of the next-steps flow at a node."""
    return {"council": "sefton", "flow": "next_steps", "node": node, "history": []}


def conversations() -> Store:
    """Four conversations over two days:

    A (Sefton, day 1 and day 2): SEN support, helpful, starts the next-steps flow, a "Did you
      mean" for a message with <script>, "tell me more"; on day 2, one more flow step.
    B (Havering, day 1): an appeal (declined), "ehcp or sen support" ("Did you mean"), the
      SEN support button, not helpful.
    C (day 2): the Local Offer on Sefton's site, a formula-like message (declined), "what about
      Havering?" (the conversation's council becomes Havering), helpful.
    D (day 2): only "hello"; no council.
    """
    s = Store()
    s.turn(A, at(DAY_1, 10), "what is SEN support?", "sen_support", topic("sen_support"),
           council="sefton", slots={"local_authority": "sefton", "last_topic": "sen_support"})
    s.turn(A, at(DAY_1, 10, 1), '/feedback_yes{"topic": "sen_support"}', "feedback_yes",
           council="sefton", slots={"feedback": {"topic": "sen_support", "helpful": True}})
    s.turn(A, at(DAY_1, 10, 2), "my child is struggling at school, what next?", "next_steps",
           topic("next_steps", step="role"), notice=True, slots={"flow_state": running(None)})
    s.turn(A, at(DAY_1, 10, 3), '/choose_role{"role": "parent"}', "choose_role",
           topic("next_steps", step="q1"), slots={"flow_state": running("q1")})
    s.turn(A, at(DAY_1, 10, 4), SCRIPT, "nlu_fallback",
           topic("suggestions", suggested=["sen_support", "stages_of_support"]),
           slots={"unanswered": unanswered(SCRIPT, "suggestions",
                                           ["sen_support", "stages_of_support"],
                                           guesses=[("sen_support", 0.3),
                                                    ("stages_of_support", 0.12)],
                                           reason="unsure_between_topics")})
    s.turn(A, at(DAY_1, 10, 5), "tell me more", "follow_up",
           topic("sen_support", follow_up=True))

    s.turn(B, at(DAY_1, 11), APPEAL, "out_of_scope",
           topic("out_of_scope", "havering", subject="appeals, tribunals and complaints"),
           council="havering", slots={
               "local_authority": "havering",
               "unanswered": unanswered(APPEAL, "out_of_scope",
                                        subject="appeals, tribunals and complaints",
                                        guesses=[("out_of_scope", 0.9318)],
                                        reason="subject_not_covered")})
    s.turn(B, at(DAY_1, 11, 1), EHCP_OR_SEN, "nlu_fallback",
           topic("suggestions", "havering", suggested=["sen_support"]), council="havering",
           slots={"unanswered": unanswered(EHCP_OR_SEN, "suggestions", ["sen_support"],
                                           guesses=[("when_to_request_assessment", 0.2635),
                                                    ("sen_support", 0.2367)])})
    s.turn(B, at(DAY_1, 11, 2), "/sen_support", "sen_support", topic("sen_support", "havering"),
           council="havering")
    s.turn(B, at(DAY_1, 11, 3), '/feedback_no{"topic": "sen_support"}', "feedback_no",
           council="havering", slots={"feedback": {"topic": "sen_support", "helpful": False}})

    s.turn(A, at(DAY_2, 10), '/flow_answer{"answer": "yes"}', "flow_answer",
           topic("next_steps", step="q2"), slots={"flow_state": running("q2")})

    s.turn(C, at(DAY_2, 9), "what is the local offer", "local_offer",
           topic("local_offer", "common"), council="sefton",
           slots={"local_authority": "sefton"})
    s.turn(C, at(DAY_2, 9, 1), FORMULA, "nlu_fallback", topic("out_of_scope", "sefton"),
           slots={"unanswered": unanswered(FORMULA, "out_of_scope")})
    s.turn(C, at(DAY_2, 9, 2), "what about Havering?", "change_council",
           topic("local_offer", "havering"), slots={"local_authority": "havering"})
    s.turn(C, at(DAY_2, 9, 3), '/feedback_yes{"topic": "local_offer"}', "feedback_yes",
           slots={"feedback": {"topic": "local_offer", "helpful": True}})

    s.turn(D, at(DAY_2, 12), "hello", "greet")
    return s


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The four conversations in a SQLite tracker store; its URL."""
    return conversations().write(tmp_path / "tracker.db")


def test_every_conversation_is_counted_with_its_latest_council(db: str) -> None:
    report = summarise(load_events(db))
    assert report.conversations == 4
    assert report.conversations_by_council == {"havering": 2, "sefton": 1, "unknown": 1}
    assert (report.user_messages, report.button_presses) == (16, 6)


def test_each_message_is_counted_by_its_first_reply_with_a_topic(db: str) -> None:
    report = summarise(load_events(db))
    assert report.replies == {"topic": 5, "flow": 3, "suggestions": 2, "out_of_scope": 2,
                              "safeguarding": 0, "contact": 0, "other": 4}
    assert report.fallback_rate == pytest.approx(2 / 16)
    assert report.out_of_scope_rate == pytest.approx(2 / 16)


def test_topics_count_knowledge_topics_and_each_flow_once_when_it_starts(db: str) -> None:
    assert summarise(load_events(db)).topics == [
        TopicCount("local_offer", "topic", 2), TopicCount("sen_support", "topic", 2),
        TopicCount("next_steps", "flow", 1)]


FLOW_STEP = ("/flow_answer", "flow_answer")
FLOW_START = ("what next?", "next_steps")


@pytest.mark.parametrize("turns, flows_started", [
    # (message, intent, reply topic, flow_state after: a node, None for ended, "-" unchanged)
    ([(*FLOW_START, "next_steps", "q1"), (*FLOW_STEP, "next_steps", "q2"),
      ("what is SEN support?", "sen_support", "sen_support", "-"),
      ("carry on", "flow_resume", "next_steps", "q2")], 1),
    ([(*FLOW_START, "next_steps", "q1"), (*FLOW_STEP, "next_steps", None),
      (*FLOW_START, "next_steps", "q1")], 2),
    ([(*FLOW_START, "next_steps", "-"), (*FLOW_STEP, "next_steps", "-"),
      (*FLOW_STEP, "next_steps", "-")], 1),
], ids=["resumed-after-a-question", "ended-and-started-again", "store-without-flow-state"])
def test_a_flow_counts_once_each_time_it_starts(
        tmp_path: Path, turns: list[tuple[str, str, str, str | None]],
        flows_started: int) -> None:
    store = Store()
    for minute, (text, intent, reply, state) in enumerate(turns):
        custom = topic(reply, step="q") if reply == "next_steps" else topic(reply)
        slots = {} if state == "-" else {"flow_state": running(state) if state else None}
        store.turn(A, at(DAY_1, 10, minute), text, intent, custom, slots=slots)
    report = summarise(load_events(store.write(tmp_path / "tracker.db")))
    assert [(t.topic, t.count) for t in report.topics if t.kind == "flow"] == [
        ("next_steps", flows_started)]


def test_feedback_is_counted_per_topic(db: str) -> None:
    feedback = summarise(load_events(db)).feedback
    assert [(f.topic, f.helpful, f.not_helpful) for f in feedback] == [
        ("sen_support", 1, 1), ("local_offer", 1, 0)]
    assert feedback[0].helpful_share == 0.5


def test_unanswered_questions_are_listed_with_what_the_assistant_guessed(db: str) -> None:
    questions = summarise(load_events(db)).unanswered
    assert [(q.text, q.council, q.outcome) for q in questions] == [
        (SCRIPT, "sefton", "suggestions"), (APPEAL, "havering", "out_of_scope"),
        (EHCP_OR_SEN, "havering", "suggestions"), (FORMULA, "havering", "out_of_scope")]
    assert questions[0].suggested == ("sen_support", "stages_of_support")
    assert questions[1].subject == "appeals, tribunals and complaints"
    assert [(g.intent, g.confidence) for g in questions[2].guesses] == [
        ("when_to_request_assessment", 0.2635), ("sen_support", 0.2367)]


@pytest.mark.parametrize("council, conversations, messages, suggestions, declined", [
    ("sefton", 1, 7, 1, 0),
    ("havering", 2, 8, 1, 2),
    ("Havering", 2, 8, 1, 2),
    ("testshire", 0, 0, 0, 0),
])
def test_a_council_keeps_only_its_own_conversations(
        db: str, council: str, conversations: int, messages: int, suggestions: int,
        declined: int) -> None:
    report = summarise(load_events(db), council)
    assert (report.conversations, report.user_messages) == (conversations, messages)
    assert (report.replies["suggestions"], report.replies["out_of_scope"]) == (suggestions,
                                                                             declined)
    assert {q.council for q in report.unanswered} <= {council.lower()}


def test_a_date_range_counts_only_its_messages_but_knows_earlier_councils(db: str) -> None:
    report = summarise(load_events(db, DAY_2, DAY_2), start=DAY_2, end=DAY_2)
    assert report.conversations == 3  # A (continued), C and D
    assert report.conversations_by_council == {"havering": 1, "sefton": 1, "unknown": 1}
    assert report.user_messages == 6
    assert report.topics == [TopicCount("local_offer", "topic", 2)]  # the flow began on day 1
    assert [q.text for q in report.unanswered] == [FORMULA]
    assert [(f.topic, f.helpful) for f in report.feedback] == [("local_offer", 1)]


def test_the_end_date_is_included_and_the_start_date_too(db: str) -> None:
    day_1 = summarise(load_events(db, DAY_1, DAY_1), start=DAY_1, end=DAY_1)
    assert (day_1.conversations, day_1.user_messages) == (2, 10)
    assert summarise(load_events(db, None, DAY_1), end=DAY_1).user_messages == 10
    assert summarise(load_events(db, DAY_2, None), start=DAY_2).user_messages == 6
    later = date(2026, 3, 4)
    assert summarise(load_events(db, later, later), start=later, end=later).conversations == 0


def test_senders_narrow_the_report_to_those_conversations(db: str) -> None:
    report = summarise(load_events(db), senders={B})
    assert (report.conversations, report.user_messages) == (1, 4)


def test_an_empty_report_has_zero_rates_and_says_so(db: str) -> None:
    report = summarise([], "sefton")
    assert (report.fallback_rate, report.out_of_scope_rate) == (0.0, 0.0)
    page = render_html(report)
    assert "No unanswered questions in these dates." in page
    assert "No messages in these dates." in page


def test_csv_files_hold_the_figures_and_defuse_formulas(db: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = write_csv(summarise(load_events(db)), out)
    assert [p.name for p in paths] == ["summary.csv", "topics.csv", "feedback.csv",
                                       "unanswered.csv"]

    def rows(name: str) -> list[list[str]]:
        with (out / name).open(encoding="utf-8", newline="") as f:
            return list(csv.reader(f))

    summary = dict(rows("summary.csv")[1:])
    assert (summary["conversations"], summary["user_messages"]) == ("4", "16")
    assert (summary["fallback_rate"], summary["out_of_scope_rate"]) == ("0.1250", "0.1250")
    assert summary["conversations_havering"] == "2"
    assert rows("topics.csv") == [["topic", "title", "kind", "count"],
                                  ["local_offer", "", "topic", "2"],
                                  ["sen_support", "", "topic", "2"],
                                  ["next_steps", "", "flow", "1"]]
    assert rows("feedback.csv") == [
        ["topic", "title", "helpful", "not_helpful", "total", "helpful_share"],
        ["sen_support", "", "1", "1", "2", "0.5000"], ["local_offer", "", "1", "0", "1", "1.0000"]]
    unanswered = rows("unanswered.csv")
    assert unanswered[0] == ["when", "council", "outcome", "reason", "subject", "text",
                             "suggested", "guesses"]
    assert unanswered[1][1:] == ["sefton", "suggestions", "unsure_between_topics", "", SCRIPT,
                                 "sen_support; stages_of_support",
                                 "sen_support (30%); stages_of_support (12%)"]
    assert unanswered[2][3:6] == ["subject_not_covered", "appeals, tribunals and complaints",
                                  APPEAL]
    assert unanswered[4][3:6] == ["", "", "'" + FORMULA]  # recorded before reasons were


def test_topics_are_named_by_their_titles_with_the_ids_beside_them(db: str, kb,
                                                                   tmp_path: Path) -> None:
    from tools.report import topic_titles

    report = summarise(load_events(db))
    report.titles = topic_titles()
    assert report.titles["sen_support"] == kb.title("sen_support")
    assert report.titles["next_steps"] == kb.flows["sefton"]["next_steps"].title
    page = render_html(report)
    assert f"{escape(kb.title('sen_support'))} (sen_support)" in page
    write_csv(report, tmp_path)
    with (tmp_path / "topics.csv").open(encoding="utf-8", newline="") as f:
        assert ["sen_support", kb.title("sen_support"), "topic", "2"] in list(csv.reader(f))


def test_html_escapes_stored_text_and_runs_nothing(db: str) -> None:
    page = render_html(summarise(load_events(db)))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; and wheelchairs" in page
    assert "<script" not in page.lower()
    assert "src=" not in page and "href=" not in page and "<link" not in page
    assert page.count("<svg") == 3  # how messages were answered, topics, feedback
    assert "Fallback rate" in page and "12.5%" in page
    assert "appeals, tribunals and complaints" in page
    assert "when_to_request_assessment (26%)" in page


def test_no_sender_id_reaches_any_file(db: str, tmp_path: Path) -> None:
    args = parse(["--db", db, "--out", str(tmp_path / "out")])
    run(args)
    for name in FILES:
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert not any(sender in text for sender in SENDERS), name


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_the_command_writes_every_file_and_prints_a_summary(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports"
    assert run(parse(["--db", db, "--from", "2026-03-02", "--to", "2026-03-02",
                      "--council", "havering", "--out", str(out)])) == 0
    printed = capsys.readouterr().out
    assert "havering, 2026-03-02" in printed
    assert "conversations:      1" in printed
    assert "out-of-scope rate:  25.0%" in printed
    for name in FILES:
        assert (out / name).is_file()
        assert str(out / name) in printed


def test_the_defaults_read_the_projects_tracker_store_into_reports() -> None:
    args = parse([])
    assert args.db.endswith("/var/tracker.db") and args.db.startswith("sqlite:///")
    assert args.out.name == "reports"
    assert (args.start, args.end, args.council) == (None, None, None)


@pytest.mark.parametrize("url, message", [
    ("sqlite:///{tmp}/missing.db", "no tracker store at"),
    ("sqlite:///{tmp}/other.db", "has no `events` table"),
    ("not a database", "is not a database URL"),
    ("nosuchdialect://user:secret@host/db", "cannot open"),
])
def test_a_bad_database_gives_a_clear_error(tmp_path: Path, url: str, message: str) -> None:
    other = tmp_path / "other.db"
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE something (id INTEGER)"))
    engine.dispose()
    with pytest.raises(ReportError, match=message) as raised:
        run(parse(["--db", url.format(tmp=tmp_path), "--out", str(tmp_path / "out")]))
    assert "secret" not in str(raised.value)
    assert not (tmp_path / "missing.db").exists()  # not created by trying to read it
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, message", [
    (["--from", "2026-02-30"], "--from '2026-02-30' is not a date"),
    (["--to", "3/3/2026"], "--to '3/3/2026' is not a date; write it as YYYY-MM-DD"),
    (["--from", "2026-03-05", "--to", "2026-03-01"], "--to 2026-03-01 is before --from"),
])
def test_bad_dates_give_a_clear_error(db: str, tmp_path: Path, argv: list[str],
                                      message: str) -> None:
    with pytest.raises(ReportError, match=message):
        run(parse(["--db", db, "--out", str(tmp_path / "out"), *argv]))


def test_parse_date_reads_iso_dates_and_treats_empty_as_open() -> None:
    assert parse_date("2026-03-02", "--from") == DAY_2.replace(day=2)
    assert parse_date(None, "--from") is None
    assert parse_date("", "--to") is None


def test_the_page_says_in_plain_english_why_each_question_went_unanswered(db: str) -> None:
    from tools.report import REASONS

    page = render_html(summarise(load_events(db)))
    assert escape(f'"Did you mean" choices ({REASONS["unsure_between_topics"]})') in page
    assert escape(f"declined: appeals, tribunals and complaints "
                  f"({REASONS['subject_not_covered']})") in page


def test_every_reason_the_decision_records_has_plain_words_in_the_report() -> None:
    from actions import decision
    from tools.report import REASONS

    assert set(decision.REASON_CODES) == set(REASONS)
