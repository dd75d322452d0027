"""The conversation report on the real assistant's tracker store: scripted conversations through
the REST channel, then the report read back from the SQLite store Rasa wrote."""
from __future__ import annotations

import argparse
import csv
from datetime import date
from pathlib import Path

import pytest

from tests.integration.conftest import Conversation, custom_of
from tools.report import TopicCount, add_arguments, load_events, run, summarise
from tools.servers import Assistant

DECLINED = "can I claim DLA for my son"
EHCP_OR_SEN = "difference between the register and a plan"


@pytest.mark.integration
def test_the_report_counts_real_conversations_and_lists_what_went_unanswered(
        assistant: Assistant, tmp_path: Path) -> None:
    first_day = date.today()
    sefton = Conversation(assistant)
    assert custom_of(sefton.say("what is SEN support?", "sefton"))["topic"] == "sen_support"
    sefton.say('/feedback_yes{"topic": "sen_support"}', "sefton")
    assert custom_of(sefton.say("my child is struggling at school, what next?",
                                "sefton"))["topic"] == "next_steps"
    assert custom_of(sefton.say('/choose_role{"role": "parent"}'))["topic"] == "next_steps"
    assert custom_of(sefton.say("what does a SENCO actually do?"))["topic"] == "senco_role"
    assert custom_of(sefton.say("/flow_resume"))["topic"] == "next_steps"

    havering = Conversation(assistant)
    declined = custom_of(havering.say(DECLINED, "havering"))
    assert declined["topic"] == "out_of_scope"
    assert custom_of(havering.say(EHCP_OR_SEN, "havering"))["topic"] == "suggestions"
    last_day = date.today()

    # The session's assistant is shared with other tests: count only these two conversations.
    url = f"sqlite:///{assistant.log_dir / 'tracker.db'}"
    mine = {sefton.sender, havering.sender}
    events = load_events(url, first_day, last_day)
    report = summarise(events, start=first_day, end=last_day, senders=mine)

    assert report.conversations == 2
    assert report.conversations_by_council == {"havering": 1, "sefton": 1}
    assert (report.user_messages, report.button_presses) == (8, 3)
    assert report.replies == {"topic": 2, "flow": 3, "suggestions": 1, "out_of_scope": 1,
                              "safeguarding": 0, "contact": 0, "other": 1}
    assert (report.fallback_rate, report.out_of_scope_rate) == (1 / 8, 1 / 8)
    assert sorted(report.topics, key=lambda t: t.topic) == [
        TopicCount("next_steps", "flow", 1), TopicCount("sen_support", "topic", 1),
        TopicCount("senco_role", "topic", 1)]  # the flow resumed is not a second ask
    assert [(f.topic, f.helpful, f.not_helpful) for f in report.feedback] == [
        ("sen_support", 1, 0)]

    declined_row, unsure = report.unanswered
    assert (declined_row.text, declined_row.council, declined_row.outcome) == (
        DECLINED, "havering", "out_of_scope")
    assert declined_row.subject == declined["subject"]
    assert declined_row.guesses and declined_row.guesses[0].intent == "out_of_scope"
    assert (unsure.text, unsure.council, unsure.outcome) == (EHCP_OR_SEN, "havering",
                                                             "suggestions")
    assert "sen_support" in unsure.suggested and len(unsure.guesses) >= 2

    havering_only = summarise(events, "havering", first_day, last_day, senders=mine)
    assert (havering_only.conversations, havering_only.user_messages) == (1, 2)
    assert havering_only.out_of_scope_rate == 0.5


@pytest.mark.integration
def test_the_command_writes_the_live_unanswered_questions_to_csv_and_html(
        assistant: Assistant, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    today = date.today().isoformat()
    havering = Conversation(assistant)
    havering.say(DECLINED, "havering")
    havering.say(EHCP_OR_SEN, "havering")

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "reports"
    assert run(parser.parse_args([
        "--db", f"sqlite:///{assistant.log_dir / 'tracker.db'}", "--from", today,
        "--to", date.today().isoformat(), "--council", "havering", "--out", str(out)])) == 0
    assert f"havering, {today}" in capsys.readouterr().out

    with (out / "unanswered.csv").open(encoding="utf-8", newline="") as f:
        rows = {row["text"]: row for row in csv.DictReader(f)}
    assert rows[DECLINED]["outcome"] == "out_of_scope" and rows[DECLINED]["council"] == "havering"
    assert rows[EHCP_OR_SEN]["outcome"] == "suggestions"
    assert "sen_support" in rows[EHCP_OR_SEN]["suggested"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert DECLINED in page and EHCP_OR_SEN in page
    assert havering.sender not in page
