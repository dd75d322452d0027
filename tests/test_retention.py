"""Retention: whole conversations older than N days go; recent ones stay whole."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.test_report import Store, at
from tools import cli
from tools.retention import RetentionError, expire

NOW = at(date(2026, 11, 28), 12)


@pytest.fixture
def db(tmp_path: Path) -> str:
    store = Store()
    store.turn("old", at(date(2026, 8, 1), 9), "what is SEN support?", "sen_support")
    store.turn("old", at(date(2026, 8, 2), 9), "thanks", "thank")
    store.turn("spans", at(date(2026, 8, 1), 9), "what is SEN support?", "sen_support")
    store.turn("spans", at(date(2026, 11, 20), 9), "and the SENCO?", "senco_role")
    store.turn("new", at(date(2026, 11, 27), 9), "what is an EHCP?", "ehcp_what_it_can_do")
    return store.write(tmp_path / "tracker.db")


def senders(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as db:
        rows = db.execute(sa.text("SELECT sender_id, count(*) FROM events GROUP BY sender_id"))
        counts = {sender: n for sender, n in rows}
    engine.dispose()
    return counts


def test_only_conversations_silent_for_the_period_go_and_they_go_whole(db: str) -> None:
    before = senders(db)
    deleted = expire(db, 30, now=NOW)
    assert senders(db) == {"spans": before["spans"], "new": before["new"]}
    assert (deleted.conversations, deleted.events) == (1, before["old"])


def test_a_dry_run_counts_and_deletes_nothing(db: str) -> None:
    before = senders(db)
    deleted = expire(db, 30, now=NOW, dry_run=True)
    assert (deleted.conversations, deleted.events) == (1, before["old"])
    assert senders(db) == before


def test_a_long_period_keeps_everything(db: str) -> None:
    assert expire(db, 365, now=NOW).conversations == 0


@pytest.mark.parametrize("days", [0, -1])
def test_a_period_that_is_not_positive_is_refused(db: str, days: float) -> None:
    with pytest.raises(RetentionError, match="positive"):
        expire(db, days, now=NOW)


def test_an_unreadable_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RetentionError, match="could not read"):
        expire(f"sqlite:///{tmp_path / 'nothing.db'}", 30)


def test_the_command_needs_a_period(db: str, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEND_RETENTION_DAYS", raising=False)
    assert cli.main(["retention", "--db", db]) == 1
    assert "--days N" in capsys.readouterr().err
    assert cli.main(["retention", "--db", db, "--days", "100000"]) == 0
    assert "deleted 0 conversation(s)" in capsys.readouterr().out
