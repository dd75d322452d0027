"""`send-assistant retention --days N`: delete every conversation whose last message is more
than N days old from the tracker store (SQLite or PostgreSQL, as `send-assistant report` reads).

A conversation goes whole: all its events, from its first message to its last, so nothing is
left half-kept. Conversations with a message within N days are kept whole too. Run it daily
(cron or a systemd timer, see docs/production.md); `SEND_RETENTION_DAYS` gives the default N.
`--dry-run` counts what would go without deleting.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import sqlalchemy as sa

from actions.errors import SendAssistantError
from tools.report import DEFAULT_DB

RETENTION_ENV = "SEND_RETENTION_DAYS"


class RetentionError(SendAssistantError):
    """The retention period or the database was not usable."""


@dataclass(frozen=True, slots=True)
class Deleted:
    """What a retention run removed (or, in a dry run, would remove)."""

    conversations: int
    events: int


def expire(database_url: str, days: float, *, now: float | None = None,
           dry_run: bool = False) -> Deleted:
    """Delete the conversations whose latest event is older than `days` days before `now`."""
    if days <= 0:
        raise RetentionError("the retention period must be a positive number of days")
    cutoff = (now if now is not None else time.time()) - days * 86400
    events = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))
    stale = (sa.select(events.c.sender_id).group_by(events.c.sender_id)
             .having(sa.func.max(events.c.timestamp) < cutoff))
    try:
        engine = sa.create_engine(database_url)
    except (sa.exc.ArgumentError, ImportError) as err:
        raise RetentionError(f"not a database URL: {database_url} ({err})") from err
    try:
        with engine.begin() as db:
            senders = [row[0] for row in db.execute(stale)]
            count = db.execute(sa.select(sa.func.count()).select_from(events)
                               .where(events.c.sender_id.in_(stale))).scalar_one()
            if not dry_run and senders:
                db.execute(sa.delete(events).where(events.c.sender_id.in_(stale)))
    except sa.exc.SQLAlchemyError as err:
        raise RetentionError(f"could not read or change the tracker store at "
                             f"{engine.url.render_as_string(hide_password=True)}: "
                             f"{type(err).__name__}") from err
    finally:
        engine.dispose()
    return Deleted(conversations=len(senders), events=int(count))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get(RETENTION_ENV)
    parser.add_argument("--days", type=float, default=float(default) if default else None,
                        help=f"keep conversations with a message in this many days "
                        f"(default: ${RETENTION_ENV})")
    parser.add_argument("--db", default=DEFAULT_DB,
                        help="the tracker store's database URL (default: sqlite:///"
                        "var/tracker.db in the project; production: postgresql://...)")
    parser.add_argument("--dry-run", action="store_true",
                        help="count what would be deleted, delete nothing")


def run(args: argparse.Namespace) -> int:
    if args.days is None:
        raise RetentionError(f"say how many days to keep: --days N or {RETENTION_ENV}=N")
    deleted = expire(args.db, args.days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {deleted.conversations} conversation(s) ({deleted.events} events) with no "
          f"message in the last {args.days:g} days")
    return 0
