"""`send-assistant report`: insights from conversations, for a council's Local Offer team.

Reads Rasa's SQL tracker store (the `events` table; SQLite at var/tracker.db by default,
PostgreSQL in production) for a date range and a council, and writes summary.csv, topics.csv,
feedback.csv, unanswered.csv and one self-contained report.html (inline SVG charts, no scripts,
nothing loaded from elsewhere). It shows only what the store holds: the channels replace personal
details before Rasa stores a message, and no sender id is written out.

    send-assistant report --from 2026-03-01 --to 2026-03-31 --council sefton --out reports/
    send-assistant report --db postgresql://reader@db.example/rasa      # production store

Definitions (report.html opens with the same ones, in plain English):

- Dates are days in the local time of the machine running the report; `--to` is inclusive.
- A conversation is a sender id with at least one user message in the date range.
- Its council is the latest `local_authority` slot value the assistant set in it (up to the end
  of the range), else the latest `metadata.local_authority` its messages carried, else unknown.
  `--council` keeps only the conversations of that council.
- User messages are every message a person sent in the range, typed or a button's `/payload`.
- A message's reply is the `custom.topic` of the first reply to it that carries one: a knowledge
  topic, a decision flow's id, `suggestions` ("Did you mean"), `out_of_scope` (declined),
  `safeguarding` or `contact`; messages with no such reply (greetings, thanks) count as other.
- Topics asked counts the replies that are a knowledge topic or a decision flow, once per
  message. A decision flow counts once each time it starts, not at each step nor when it is
  resumed after a question asked on the way (the `flow_state` slot says which flow is running).
  "Tell me more" replies are not counted.
- Fallback rate: the share of user messages answered with `suggestions`. Out-of-scope rate: the
  share answered with `out_of_scope`.
- Feedback: each "Was this helpful?" answer (the `feedback` slot) in the range, per topic.
- Unanswered questions: each message the assistant recorded in the `unanswered` slot (it offered
  "Did you mean" choices or declined), with what it did and why (REASONS), the subject it
  declined, the topics it suggested and the NLU's top guesses. Button `/payload`s count as
  messages but are not listed.
- CSV cells that a spreadsheet would run as a formula (starting with = + - @) get a leading `'`.
"""
from __future__ import annotations

import argparse
import csv
import html
import io
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from actions.errors import SendAssistantError
from actions.paths import PROJECT_ROOT

log = logging.getLogger(__name__)

DEFAULT_DB = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
"""The tracker store `make run` writes (bot/endpoints.yml)."""
DEFAULT_OUT = PROJECT_ROOT / "reports"
"""Where the report's files go unless `--out` says otherwise."""
FILES = ("summary.csv", "topics.csv", "feedback.csv", "unanswered.csv", "report.html")
"""The files a report writes, in its output folder."""

SUGGESTIONS = "suggestions"
OUT_OF_SCOPE = "out_of_scope"
SAFEGUARDING = "safeguarding"
CONTACT = "contact"
SPECIAL_REPLIES = (SUGGESTIONS, OUT_OF_SCOPE, SAFEGUARDING, CONTACT)
"""`custom.topic` values that are not a knowledge topic or a flow."""
REASONS = {
    "nlu_out_of_scope": "it reads like a question the guidance does not cover",
    "subject_not_covered": "it names a subject the guidance does not cover",
    "few_guidance_words": "it uses too few of the guidance's words: perhaps a topic to add",
    "out_of_scope_leads": "its likeliest reading is a question the guidance does not cover",
    "words_disagree": "the likely topic's words are not in it: perhaps example questions to add",
    "unsure_between_topics": "unsure between topics: perhaps example questions to add",
    "no_decisive_topic": "a short question naming a council, with no clear topic",
}
"""Why a message went unanswered (the codes of actions.decision), for the content team."""
TOPIC, FLOW, OTHER = "topic", "flow", "other"
REPLY_KINDS = (TOPIC, FLOW, SUGGESTIONS, OUT_OF_SCOPE, SAFEGUARDING, CONTACT, OTHER)
"""How a user message was answered, in the order the report shows them."""
REPLY_LABELS = {
    TOPIC: "a topic's answer", FLOW: "a decision flow step", SUGGESTIONS: '"Did you mean" choices',
    OUT_OF_SCOPE: "declined (out of scope)", SAFEGUARDING: "the safeguarding reply",
    CONTACT: "who to contact", OTHER: "other (greetings, thanks...)"}
"""Plain-English names of the reply kinds."""
SLOTS_READ = ("local_authority", "unanswered", "feedback", "flow_state")
"""The slots the report reads (flow_state only to tell a flow's start from its steps); other
slot events are not loaded."""
UNKNOWN_COUNCIL = "unknown"
"""The council of a conversation that never named one."""
UNKNOWN_TOPIC = "(no topic)"
"""The topic of a feedback event that carried none."""

DEFINITIONS = [
    ("Dates", "days in the local time of the machine that made the report; the end date is "
              "included."),
    ("Conversation", "one person's chat (one sender id) with at least one message in the "
                     "dates."),
    ("Council", "the council the assistant last used in the conversation, else the council "
                "the website sent with its messages, else unknown."),
    ("User messages", "every message people sent in the dates, typed or a button press."),
    ("Topics asked", "messages answered with a knowledge topic or a decision flow, counted "
                     "once per message; a decision flow counts once each time it starts, not "
                     "at each step nor when it is resumed; \"tell me more\" replies are not "
                     "counted."),
    ("Fallback rate", "the share of user messages answered with \"Did you mean\" choices "
                      "because the assistant was unsure."),
    ("Out-of-scope rate", "the share of user messages the assistant declined because the "
                          "guidance does not cover them."),
    ("Feedback", "answers to \"Was this helpful?\" given in the dates, per topic."),
    ("Unanswered questions", "typed messages answered with \"Did you mean\" choices or "
                             "declined, with what the assistant guessed (the topics it "
                             "suggested and its understanding's top guesses, with confidence). "
                             "Button presses are not listed."),
]
"""The report's definitions, shown at the top of report.html (and in this module's docstring)."""


class ReportError(SendAssistantError):
    """The report cannot be made: a bad option, or a tracker store that cannot be read."""


@dataclass(frozen=True, slots=True)
class Event:
    """One stored event the report reads (a user message, a bot message or a slot set)."""

    sender: str
    """The conversation's sender id (never written to the report)."""
    kind: str
    """Rasa's `type_name`: "user", "bot" or "slot"."""
    timestamp: float
    """Seconds since the epoch, as Rasa stored it."""
    data: dict[str, Any]
    """The event as Rasa serialised it (the `data` column)."""

    @property
    def text(self) -> str:
        """A user or bot message's text ("" if none)."""
        return str(self.data.get("text") or "")

    @property
    def slot(self) -> str | None:
        """A slot event's slot name (None for other events)."""
        return str(self.data.get("name")) if self.kind == "slot" else None

    @property
    def value(self) -> Any:
        """A slot event's value."""
        return self.data.get("value")

    @property
    def custom(self) -> dict[str, Any] | None:
        """A bot message's `custom` payload, if it has one with a topic."""
        custom = (self.data.get("data") or {}).get("custom") if self.kind == "bot" else None
        return custom if isinstance(custom, dict) and custom.get("topic") else None

    @property
    def metadata_council(self) -> str | None:
        """A user message's `metadata.local_authority`, if it carried one."""
        council = (self.data.get("metadata") or {}).get("local_authority")
        return council if isinstance(council, str) and council else None


@dataclass(frozen=True, slots=True)
class TopicCount:
    """How often one knowledge topic or decision flow was asked."""

    topic: str
    """The topic or flow id."""
    kind: str
    """"topic" or "flow"."""
    count: int
    """How many messages asked it (a flow: how many times it started)."""


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """The "Was this helpful?" answers about one topic."""

    topic: str
    """The topic or flow id."""
    helpful: int
    """Answers "yes"."""
    not_helpful: int
    """Answers "no"."""

    @property
    def total(self) -> int:
        """All answers."""
        return self.helpful + self.not_helpful

    @property
    def helpful_share(self) -> float:
        """The share of answers that said yes (0 for none)."""
        return self.helpful / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Guess:
    """One of the NLU's top guesses for an unanswered message."""

    intent: str
    """The intent (a topic id, or e.g. out_of_scope)."""
    confidence: float
    """How sure it was, 0 to 1."""


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    """A message the assistant offered choices for or declined, and what it guessed."""

    when: datetime
    """When it was asked (local time)."""
    council: str
    """The conversation's council."""
    text: str
    """What the person typed, as stored (personal details already replaced)."""
    outcome: str
    """"suggestions" or "out_of_scope"."""
    subject: str | None
    """The out-of-scope subject it was declined for, if one of out_of_scope.yml's."""
    reason: str
    """Why (a code of REASONS; "" in conversations stored before it was recorded)."""
    suggested: tuple[str, ...]
    """The topics offered as "Did you mean" buttons."""
    guesses: tuple[Guess, ...]
    """The NLU's top intents with confidences."""


@dataclass(slots=True)
class Report:
    """Everything the report shows, for one date range and council."""

    start: date | None
    """The first day included (None: from the first stored message)."""
    end: date | None
    """The last day included (None: to the last stored message)."""
    council: str | None
    """The council reported on (None: every council)."""
    conversations: int = 0
    """Conversations in the range (see the module docstring)."""
    conversations_by_council: dict[str, int] = field(default_factory=dict)
    """Conversations per council."""
    user_messages: int = 0
    """Messages people sent, typed or button presses."""
    button_presses: int = 0
    """Of those, button `/payload`s."""
    replies: dict[str, int] = field(default_factory=dict)
    """User messages by how they were answered (REPLY_KINDS)."""
    topics: list[TopicCount] = field(default_factory=list)
    """Topics and flows asked, most asked first."""
    feedback: list[FeedbackCount] = field(default_factory=list)
    """Feedback per topic, most answers first."""
    unanswered: list[UnansweredQuestion] = field(default_factory=list)
    """Unanswered questions, oldest first."""
    titles: dict[str, str] = field(default_factory=dict)
    """Topic and flow titles by id, as people see them (shown with the ids)."""

    def label(self, topic: str) -> str:
        """A topic or flow as the report names it: its title, with the id beside it."""
        title = self.titles.get(topic)
        return f"{title} ({topic})" if title else topic
    first_message: datetime | None = None
    """The first user message in the range (local time)."""
    last_message: datetime | None = None
    """The last user message in the range (local time)."""

    @property
    def fallback_rate(self) -> float:
        """The share of user messages answered with "Did you mean" choices (0 for none)."""
        return self._share(SUGGESTIONS)

    @property
    def out_of_scope_rate(self) -> float:
        """The share of user messages declined as out of scope (0 for none)."""
        return self._share(OUT_OF_SCOPE)

    def _share(self, kind: str) -> float:
        return self.replies.get(kind, 0) / self.user_messages if self.user_messages else 0.0

    @property
    def period(self) -> str:
        """The range in words: "2026-03-01 to 2026-03-31", "from 2026-03-01", "all dates"..."""
        if self.start and self.end:
            return (self.start.isoformat() if self.start == self.end else
                    f"{self.start.isoformat()} to {self.end.isoformat()}")
        if self.start:
            return f"from {self.start.isoformat()}"
        return f"up to {self.end.isoformat()}" if self.end else "all dates"

    @property
    def council_label(self) -> str:
        """The council reported on, or "all councils"."""
        return self.council or "all councils"


# --- reading the tracker store -----------------------------------------------------------------


def parse_date(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option's date (None when not given); ReportError naming the option if it is
    not a real date in that form."""
    if text is None or not text.strip():
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError as err:
        raise ReportError(f"{option} {text!r} is not a date; write it as YYYY-MM-DD, e.g. "
                          f"{option} 2026-03-01") from err


def period_bounds(start: date | None, end: date | None) -> tuple[float | None, float | None]:
    """The range as epoch seconds [from, to): local midnight of `start` and of the day after
    `end` (None where open); ReportError if `end` comes before `start`."""
    if start and end and end < start:
        raise ReportError(f"--to {end.isoformat()} is before --from {start.isoformat()}; swap "
                          "them, or leave one out")
    low = datetime.combine(start, time()).timestamp() if start else None
    high = datetime.combine(end + timedelta(days=1), time()).timestamp() if end else None
    return low, high


def load_events(url: str, start: date | None = None, end: date | None = None) -> list[Event]:
    """The user, bot and report slot events of every conversation with a user message from
    `start` to `end` (inclusive days; None is open), from each conversation's beginning up to
    the end of the range (earlier events can say which council it uses), in stored order.

    `url` is an SQLAlchemy database URL (sqlite:///var/tracker.db, postgresql://user@host/db).
    Raises ReportError, saying what to check, if the database cannot be read or is not a Rasa
    SQL tracker store. Rows whose `data` is not JSON are skipped with a logged warning.
    """
    low, high = period_bounds(start, end)
    shown = _safe_url(url)
    engine = _engine(url, shown)
    events = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                      sa.column("timestamp"), sa.column("action_name"), sa.column("data"))
    c = events.c
    in_range = sa.select(c.sender_id).where(c.type_name == "user")
    if low is not None:
        in_range = in_range.where(c.timestamp >= low)
    if high is not None:
        in_range = in_range.where(c.timestamp < high)
    query = (sa.select(c.sender_id, c.type_name, c.timestamp, c.data)
             .where(c.sender_id.in_(in_range.distinct()))
             .where(sa.or_(c.type_name.in_(["user", "bot"]),
                           sa.and_(c.type_name == "slot", c.action_name.in_(SLOTS_READ)))))
    if high is not None:
        query = query.where(c.timestamp < high)
    query = query.order_by(c.sender_id, c.id)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                raise ReportError(f"{shown} has no `events` table, so it is not a Rasa SQL "
                                  "tracker store; point --db at the database named by "
                                  "tracker_store in bot/endpoints.yml")
            rows = connection.execute(query).all()
    except sa.exc.SQLAlchemyError as err:
        reason = " ".join(str(getattr(err, "orig", None) or err).split())
        raise ReportError(f"cannot read the tracker store {shown}: {reason}; check --db and "
                          "that the database server is running and lets you in") from err
    finally:
        engine.dispose()
    loaded: list[Event] = []
    unreadable = 0
    for sender, kind, timestamp, data in rows:
        try:
            parsed = json.loads(data)
        except (TypeError, ValueError):
            unreadable += 1
            continue
        if isinstance(parsed, dict):
            loaded.append(Event(str(sender), str(kind), float(timestamp or 0.0), parsed))
        else:
            unreadable += 1
    if unreadable:
        log.warning("%s: skipped %d event(s) whose data is not a JSON object", shown, unreadable)
    return loaded


def _engine(url: str, shown: str) -> sa.engine.Engine:
    """An engine for `url`; a missing SQLite file is an error, not a new empty database."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as err:
        raise ReportError(f"--db {shown!r} is not a database URL; give one like "
                          "sqlite:///var/tracker.db or postgresql://user@host/rasa") from err
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).is_file():
            problem = f"{path} is not a file" if path and path != ":memory:" else "no file"
            raise ReportError(f"no tracker store at {shown} ({problem}); give the SQLite file "
                              "the assistant writes (var/tracker.db, made by `make run`) as "
                              "sqlite:///path/to/tracker.db")
    try:
        return sa.create_engine(parsed)
    except (sa.exc.SQLAlchemyError, ImportError) as err:
        raise ReportError(f"cannot open {shown}: {err}; check the URL's dialect (sqlite, "
                          "postgresql) and that its database driver is installed") from err


def _safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


# --- summarising -------------------------------------------------------------------------------


def summarise(events: Iterable[Event], council: str | None = None, start: date | None = None,
              end: date | None = None, senders: Collection[str] | None = None) -> Report:
    """The report for the conversations with a user message from `start` to `end` (inclusive;
    None is open), of `council` (None: all) and, if given, only these sender ids.

    Only events in the range are counted; earlier ones only help find a conversation's council.
    """
    low, high = period_bounds(start, end)

    def in_range(event: Event) -> bool:
        return (low is None or event.timestamp >= low) and (high is None or
                                                            event.timestamp < high)

    wanted = council.strip().lower() if council else None
    report = Report(start=start, end=end, council=wanted)
    by_sender: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if senders is None or event.sender in senders:
            by_sender[event.sender].append(event)

    councils: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    topics: Counter[tuple[str, str]] = Counter()
    feedback: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    asked: list[float] = []
    for sender_events in by_sender.values():
        in_range_events = [e for e in sender_events if in_range(e)]
        if not any(e.kind == "user" for e in in_range_events):
            continue
        conversation_council = _council(sender_events)
        if wanted and conversation_council != wanted:
            continue
        councils[conversation_council] += 1
        for user, reply in _turns(sender_events):
            if in_range(user):
                report.user_messages += 1
                report.button_presses += user.text.startswith("/")
                replies[_reply_kind(reply)] += 1
        for asked_topic in _topics_asked(sender_events, in_range):
            topics[asked_topic] += 1
        for event in in_range_events:
            if event.kind == "user":
                asked.append(event.timestamp)
            elif event.slot == "feedback" and isinstance(event.value, dict):
                topic = str(event.value.get("topic") or UNKNOWN_TOPIC)
                feedback[topic][0 if event.value.get("helpful") else 1] += 1
            elif event.slot == "unanswered" and isinstance(event.value, dict):
                question = _unanswered(event, conversation_council)
                if question is not None:
                    report.unanswered.append(question)

    report.conversations = sum(councils.values())
    report.conversations_by_council = dict(sorted(councils.items(),
                                                  key=lambda item: (-item[1], item[0])))
    report.replies = {kind: replies.get(kind, 0) for kind in REPLY_KINDS}
    report.topics = [TopicCount(topic, kind, n) for (topic, kind), n in
                     sorted(topics.items(), key=lambda item: (-item[1], item[0][0]))]
    report.feedback = sorted((FeedbackCount(t, yes, no) for t, (yes, no) in feedback.items()),
                             key=lambda f: (-f.total, f.topic))
    report.unanswered.sort(key=lambda q: (q.when, q.text))
    if asked:
        report.first_message = datetime.fromtimestamp(min(asked))
        report.last_message = datetime.fromtimestamp(max(asked))
    return report


def _council(events: list[Event]) -> str:
    """The conversation's council: its latest `local_authority` slot value, else the latest
    `metadata.local_authority` of its messages, else "unknown"."""
    slot = metadata = None
    for event in events:
        if event.slot == "local_authority" and isinstance(event.value, str) and event.value:
            slot = event.value
        elif event.kind == "user" and event.metadata_council:
            metadata = event.metadata_council
    return (slot or metadata or UNKNOWN_COUNCIL).strip().lower()


def _turns(events: list[Event]) -> Iterator[tuple[Event, dict[str, Any] | None]]:
    """Each user message and the first custom payload with a topic among the bot messages
    that follow it (None if none do)."""
    user: Event | None = None
    reply: dict[str, Any] | None = None
    for event in events:
        if event.kind == "user":
            if user is not None:
                yield user, reply
            user, reply = event, None
        elif user is not None and reply is None and event.custom is not None:
            reply = event.custom
    if user is not None:
        yield user, reply


def _reply_kind(custom: dict[str, Any] | None) -> str:
    if custom is None:
        return OTHER
    topic = str(custom["topic"])
    if topic in SPECIAL_REPLIES:
        return topic
    return FLOW if "step" in custom else TOPIC


def _topics_asked(events: list[Event],
                  in_range: Callable[[Event], bool]) -> Iterator[tuple[str, str]]:
    """(topic, "topic" | "flow") for each user message in the range that asked a knowledge
    topic or started a decision flow.

    A flow reply is a start unless that flow was already running when the message came (the
    `flow_state` slot names it until the flow ends or stops), so a flow resumed after a question
    asked on the way, or started before the range, is not counted again; in a store without
    `flow_state` events, unless the message before was answered by the same flow. The whole
    conversation is walked for that reason."""
    running: str | None = None  # the flow in the latest `flow_state`
    tracked = False  # whether any `flow_state` has been seen
    running_before: str | None = None  # the running flow when the current message came
    previous: str | None = None  # the topic that answered the message before
    user: Event | None = None
    for event in events:
        if event.slot == "flow_state":
            running = (event.value or {}).get("flow") if isinstance(event.value, dict) else None
            tracked = True
        elif event.kind == "user":
            user, running_before = event, running
        elif user is not None and event.custom is not None:
            reply, asked, user = event.custom, user, None  # only the first payload answers
            kind, topic = _reply_kind(reply), str(reply["topic"])
            if in_range(asked):
                if kind == TOPIC and not reply.get("follow_up"):
                    yield topic, TOPIC
                elif kind == FLOW and topic != running_before and (tracked or
                                                                    topic != previous):
                    yield topic, FLOW
            previous = topic


def _unanswered(event: Event, council: str) -> UnansweredQuestion | None:
    value = event.value
    text = str(value.get("text") or "")
    if not text or text.startswith("/"):
        return None
    guesses = tuple(Guess(str(p.get("intent")), float(p.get("confidence") or 0.0))
                    for p in value.get("predictions") or [] if isinstance(p, dict))
    return UnansweredQuestion(
        when=datetime.fromtimestamp(event.timestamp), council=council, text=text,
        outcome=str(value.get("outcome") or ""), subject=value.get("subject") or None,
        reason=str(value.get("reason") or ""),
        suggested=tuple(str(t) for t in value.get("suggested") or []), guesses=guesses)


# --- writing -----------------------------------------------------------------------------------


def summary_rows(report: Report) -> list[tuple[str, str]]:
    """The summary as (measure, value) rows, for summary.csv and the console."""
    rows = [("from", report.start.isoformat() if report.start else ""),
            ("to", report.end.isoformat() if report.end else ""),
            ("council", report.council or "all"),
            ("conversations", str(report.conversations)),
            ("user_messages", str(report.user_messages)),
            ("button_presses", str(report.button_presses))]
    rows += [(f"answered_with_{kind}", str(report.replies.get(kind, 0))) for kind in REPLY_KINDS]
    rows += [("fallback_rate", f"{report.fallback_rate:.4f}"),
             ("out_of_scope_rate", f"{report.out_of_scope_rate:.4f}"),
             ("unanswered_questions", str(len(report.unanswered))),
             ("feedback_answers", str(sum(f.total for f in report.feedback)))]
    rows += [(f"conversations_{council}", str(n))
             for council, n in report.conversations_by_council.items()]
    return rows


def write_csv(report: Report, out: Path) -> list[Path]:
    """Write summary.csv, topics.csv, feedback.csv and unanswered.csv into `out` (made if
    needed); return their paths. ReportError if the folder cannot be written."""
    tables: dict[str, list[list[Any]]] = {
        "summary.csv": [["measure", "value"], *[list(row) for row in summary_rows(report)]],
        "topics.csv": [["topic", "title", "kind", "count"],
                       *[[t.topic, report.titles.get(t.topic, ""), t.kind, t.count]
                         for t in report.topics]],
        "feedback.csv": [["topic", "title", "helpful", "not_helpful", "total", "helpful_share"],
                         *[[f.topic, report.titles.get(f.topic, ""), f.helpful, f.not_helpful,
                            f.total,
                            f"{f.helpful_share:.4f}"] for f in report.feedback]],
        "unanswered.csv": [["when", "council", "outcome", "reason", "subject", "text",
                            "suggested", "guesses"],
                           *[[q.when.strftime("%Y-%m-%d %H:%M"), q.council, q.outcome,
                              q.reason, q.subject or "", q.text, "; ".join(q.suggested),
                              "; ".join(_guess(g) for g in q.guesses)]
                             for q in report.unanswered]],
    }
    paths = []
    for name, rows in tables.items():
        buffer = io.StringIO()
        csv.writer(buffer).writerows([[_cell(value) for value in row] for row in rows])
        paths.append(_write(out / name, buffer.getvalue()))
    return paths


def write_report(report: Report, out: Path) -> list[Path]:
    """Write the four CSV files and report.html into `out`; return their paths."""
    return [*write_csv(report, out), _write(out / "report.html", render_html(report))]


def _write(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as err:
        raise ReportError(f"cannot write {path} ({err.strerror or err}); choose another "
                          "folder with --out") from err
    return path


def _cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _guess(guess: Guess) -> str:
    return f"{guess.intent} ({guess.confidence:.0%})"


# --- HTML --------------------------------------------------------------------------------------

STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #b1b4b6; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.35rem 0.7rem; text-align: left;
         vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
dt { font-weight: bold; } dd { margin: 0 0 0.5rem 1.5rem; }
svg { max-width: 100%; height: auto; }
svg text { font-family: Arial, Helvetica, sans-serif; font-size: 13px; fill: #0b0c0c; }
.key { display: inline-block; width: 0.9rem; height: 0.9rem; vertical-align: middle; }
.empty { color: #505a5f; }
"""
"""The report's own style sheet, inline (the page loads nothing)."""
BLUE, RED = "#1d70b8", "#d4351c"
"""Bar colours: counts and "helpful" blue, "not helpful" red (each bar also says its number)."""


def render_html(report: Report) -> str:
    """The report as one HTML page: definitions, summary, charts as inline SVG (each with the
    same figures as a table), and the unanswered questions. Every stored text is escaped; the
    page has no scripts and loads nothing."""
    e = html.escape
    title = f"Insights from conversations: {report.council_label}, {report.period}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{_first_last(report)} Made {e(datetime.now().strftime('%Y-%m-%d %H:%M'))} from "
        "the assistant's conversation store. Personal details were replaced before the "
        "messages were stored.</p>",
        "<h2>What the figures mean</h2>", "<dl>",
        *[f"<dt>{e(term)}</dt><dd>{e(meaning)}</dd>" for term, meaning in DEFINITIONS],
        "</dl>",
        "<h2>Summary</h2>", _summary_table(report),
        "<h2>How messages were answered</h2>",
        _bar_chart("chart-replies", "How messages were answered",
                   [(REPLY_LABELS[k], report.replies.get(k, 0)) for k in REPLY_KINDS]),
        "<h2>Topics asked</h2>", _topics(report),
        "<h2>Was this helpful?</h2>", _feedback(report),
        f"<h2>Unanswered questions ({len(report.unanswered)})</h2>", _unanswered_table(report),
        "</body>", "</html>",
    ]
    return "\n".join(parts) + "\n"


def _first_last(report: Report) -> str:
    if report.first_message is None or report.last_message is None:
        return "No messages in these dates."
    first, last = (d.strftime("%Y-%m-%d %H:%M") for d in (report.first_message,
                                                          report.last_message))
    return f"Messages from {html.escape(first)} to {html.escape(last)}."


def _summary_table(report: Report) -> str:
    rows = [("Conversations", str(report.conversations)),
            *[(f"Conversations: {council}", str(n))
              for council, n in report.conversations_by_council.items()],
            ("User messages", str(report.user_messages)),
            ("of which button presses", str(report.button_presses)),
            ("Fallback rate (\"Did you mean\")",
             f"{report.fallback_rate:.1%} ({report.replies.get(SUGGESTIONS, 0)})"),
            ("Out-of-scope rate (declined)",
             f"{report.out_of_scope_rate:.1%} ({report.replies.get(OUT_OF_SCOPE, 0)})"),
            ("Unanswered questions", str(len(report.unanswered))),
            ("\"Was this helpful?\" answers", str(sum(f.total for f in report.feedback)))]
    return _table(["Measure", "Value"], [list(row) for row in rows], numeric={1})


def _topics(report: Report) -> str:
    if not report.topics:
        return '<p class="empty">No topics were asked in these dates.</p>'
    chart = _bar_chart("chart-topics", "Topics asked",
                       [(f"{report.label(t.topic)} (flow)" if t.kind == FLOW
                         else report.label(t.topic), t.count) for t in report.topics])
    table = _table(["Topic", "Kind", "Times asked"],
                   [[report.label(t.topic), t.kind, str(t.count)] for t in report.topics],
                   numeric={2})
    return chart + "\n" + table


def _feedback(report: Report) -> str:
    if not report.feedback:
        return '<p class="empty">No feedback was given in these dates.</p>'
    key = (f'<p><span class="key" style="background:{BLUE}"></span> helpful &nbsp; '
           f'<span class="key" style="background:{RED}"></span> not helpful</p>')
    chart = _bar_chart("chart-feedback", "Was this helpful? Answers per topic",
                       [(report.label(f.topic), f.helpful) for f in report.feedback],
                       second=[f.not_helpful for f in report.feedback])
    table = _table(["Topic", "Helpful", "Not helpful", "Share helpful"],
                   [[report.label(f.topic), str(f.helpful), str(f.not_helpful),
                     f"{f.helpful_share:.0%}"]
                    for f in report.feedback], numeric={1, 2, 3})
    return key + chart + "\n" + table


def _unanswered_table(report: Report) -> str:
    if not report.unanswered:
        return '<p class="empty">No unanswered questions in these dates.</p>'
    rows = [[q.when.strftime("%Y-%m-%d %H:%M"), q.council, q.text, _what_was_done(q),
             ", ".join(q.suggested), ", ".join(_guess(g) for g in q.guesses)]
            for q in report.unanswered]
    return _table(["When", "Council", "Question", "What the assistant did", "Topics suggested",
                   "Its guesses (confidence)"], rows)


def _what_was_done(question: UnansweredQuestion) -> str:
    if question.outcome == OUT_OF_SCOPE:
        done = f"declined: {question.subject}" if question.subject else "declined"
    else:
        done = '"Did you mean" choices' if question.outcome == SUGGESTIONS else question.outcome
    why = REASONS.get(question.reason, question.reason)
    return f"{done} ({why})" if why else done


def _table(headers: list[str], rows: list[list[str]], numeric: Collection[int] = ()) -> str:
    """An HTML table; every cell escaped."""
    def cell(tag: str, index: int, value: str) -> str:
        css = ' class="n"' if index in numeric else ""
        return f"<{tag}{css}>{html.escape(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "\n".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
                     for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _bar_chart(chart_id: str, title: str, rows: list[tuple[str, int]],
               second: list[int] | None = None) -> str:
    """A horizontal bar chart as inline SVG: one bar a row, its number after it; with
    `second`, each bar is two stacked parts (blue then red). Labels are escaped."""
    label_width, bar_width, row_height, top = 300, 380, 24, 8
    totals = [n + (second[i] if second else 0) for i, (_, n) in enumerate(rows)]
    most = max(totals, default=0) or 1
    height = top * 2 + row_height * len(rows)
    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
             f'aria-labelledby="{chart_id}" width="{label_width + bar_width + 80}" '
             f'height="{height}" viewBox="0 0 {label_width + bar_width + 80} {height}">',
             f'<title id="{chart_id}">{e(title)}</title>']
    for i, (label, n) in enumerate(rows):
        y = top + i * row_height
        shown = label if len(label) <= 42 else label[:41] + "\u2026"
        parts.append(f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">'
                     f'{e(shown)}</text>')
        x: float = label_width
        for value, colour in ((n, BLUE), ((second[i] if second else 0), RED)):
            width = round(bar_width * value / most, 1)
            if width:
                parts.append(f'<rect x="{x}" y="{y + 3}" width="{width}" '
                             f'height="{row_height - 6}" fill="{colour}"/>')
            x += width
        number = f"{n} / {second[i]}" if second else str(n)
        parts.append(f'<text x="{x + 6}" y="{y + 16}">{e(number)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# --- command line ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `report` command's options."""
    parser.add_argument("--db", default=DEFAULT_DB,
                        help="the tracker store's database URL (default: sqlite:///"
                        "var/tracker.db in the project; production: postgresql://...)")
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", default=None,
                        help="first day to include (default: from the first message)")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", default=None,
                        help="last day to include, inclusive (default: to the last message)")
    parser.add_argument("--council", default=None,
                        help="only this council's conversations, e.g. sefton (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the CSV files and report.html (default: reports/)")


def topic_titles() -> dict[str, str]:
    """Every topic's and flow's title by id, from the shipped knowledge; none if it cannot be
    read (the report still names the ids)."""
    from actions.errors import KnowledgeError
    from actions.knowledge import load_knowledge
    from actions.paths import KNOWLEDGE_DIR

    try:
        kb = load_knowledge(KNOWLEDGE_DIR)
    except KnowledgeError:
        return {}
    titles = {t: kb.title(t) for t in kb.topic_ids()}
    titles.update((f.id, f.title) for flows in kb.flows.values() for f in flows.values())
    return titles


def run(args: argparse.Namespace) -> int:
    """Make the report the options ask for, write its files, print a short summary and the
    files' paths; return 0. ReportError for bad dates or an unreadable database."""
    start = parse_date(args.start, "--from")
    end = parse_date(args.end, "--to")
    period_bounds(start, end)  # refuse --to before --from before reading anything
    report = summarise(load_events(args.db, start, end), args.council, start, end)
    report.titles = topic_titles()
    paths = write_report(report, Path(args.out))
    print(f"Insights from conversations: {report.council_label}, {report.period}")
    print(f"  conversations:      {report.conversations}")
    print(f"  user messages:      {report.user_messages}")
    print(f"  fallback rate:      {report.fallback_rate:.1%} (\"Did you mean\")")
    print(f"  out-of-scope rate:  {report.out_of_scope_rate:.1%} (declined)")
    print(f"  unanswered:         {len(report.unanswered)}")
    print("Wrote:")
    for path in paths:
        print(f"  {path}")
    return 0
