"""Content checks beyond what loading requires, for `send-assistant check`.

Loading (actions.knowledge) refuses what would break the assistant. These checks find what
would make it worse: a guidance section no answer cites (an error: the guidance has a gap in
the assistant), a link with no address and a TODO left by `send-assistant new` (errors), and,
as warnings, example questions so alike
across topics that the classifier will confuse them, answers too long to read in a chat, answers
harder to read than reading grade 9 (Flesch-Kincaid) with no note saying why, national entries
no file cites, abbreviations an answer uses before spelling them out, and answers (or the law
they describe) not reviewed for over a year.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import textstat
from markdown_it import MarkdownIt
from rapidfuzz import fuzz

from actions.errors import Problem
from actions.knowledge import NATIONAL, NATIONAL_INDEX, KnowledgeBase, TopicFile, normalise_question
from actions.render import to_text

ERROR, WARNING = "error", "warning"
NEAR_DUPLICATE = 90
"""Similarity (0-100) at which two example questions of different topics are near-duplicates."""
MAX_WORDS = 250
"""Words beyond which an answer is too long to read comfortably in a chat window."""
REVIEW_EVERY = dt.timedelta(days=365)
"""How long an answer may go without `last_reviewed` (or a national file's `law_as_of`) being
renewed."""
MAX_GRADE = 9.0
"""The hardest reading grade (Flesch-Kincaid) an answer may have without a `reading_grade_note`."""

WELL_KNOWN = frozenset(("UK", "GP", "NHS", "OK"))
"""Abbreviations everyone knows, which need no spelling out."""
_ABBREVIATION = re.compile(r"(?<![\w-])([A-Z]{2,}s?)(?![\w-])")
_SPELT_OUT = re.compile(r"\(([A-Z]{2,}s?)\)|(?:called|known as) (?:the )?([A-Z]{2,}s?)\b"
                        r"|\b([A-Z]{2,}s?)(?: \(| (?:still |now )?(?:means|stands for)\b)")
"""Ways an answer spells an abbreviation out: "special educational needs coordinator
(SENCO)", "often called the SEND Tribunal", "SENCO (the special...)", "SENCO still means"."""

_markdown = MarkdownIt("commonmark")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing `check` reports: an error fails the check, a warning does not."""

    level: str
    problem: Problem

    def __str__(self) -> str:
        return f"{self.level}: {self.problem}"


def lint(kb: KnowledgeBase, today: dt.date | None = None) -> list[Finding]:
    """Every finding for a loaded knowledge base, errors first, then by file."""
    today = today or dt.date.today()
    files = [f for by_council in kb.topics.values() for f in by_council.values()]
    findings = _uncited_sections(kb) + _near_duplicates(kb, files)
    for f in files:
        findings += _file_findings(kb, f, today)
    findings += _phrase_findings(kb)
    findings += _flow_findings(kb)
    for finding in findings:
        finding.problem.locate(kb.root.parent)
    return sorted(findings, key=lambda x: (x.level != ERROR, x.problem.path,
                                           x.problem.line or 0))


PLAIN_PHRASE_WORDS = 12
"""Phrases (phrases.yml) this long or longer are sentences a person reads: check their grade."""


def _phrase_findings(kb: KnowledgeBase) -> list[Finding]:
    """The assistant's own sentences (phrases.yml) that read above MAX_GRADE or use an
    abbreviation before spelling it out; lists of words (`..._words`) are not sentences."""
    findings = []
    for key, text in sorted(kb.phrases.items()):
        if key.endswith("_words") or len(text.split()) < PLAIN_PHRASE_WORDS:
            continue
        grade = reading_grade(text)
        if grade > MAX_GRADE:
            findings.append(Finding(WARNING, Problem(
                "phrases.yml", key, f"reads at grade {grade:.1f} (Flesch-Kincaid), harder than "
                f"grade {MAX_GRADE:g}", "use shorter sentences and everyday words")))
    return findings


def parent_texts(flow: Any) -> list[tuple[str, str]]:
    """A flow's texts a parent reads, with where each is: its introduction, each node's text and
    each answer's reason and explanation (parents' wording)."""
    texts = [("intro", flow.intro.parent)]
    for node in flow.nodes.values():
        texts.append((f"nodes.{node.id}.text", node.text.parent))
        for answer in node.answers:
            texts.append((f"nodes.{node.id}.answers.{answer.id}.because", answer.because))
            if answer.explain is not None:
                texts.append((f"nodes.{node.id}.answers.{answer.id}.explain",
                              answer.explain.parent))
    return texts


def _flow_findings(kb: KnowledgeBase) -> list[Finding]:
    """Parents' wording in the decision flows that reads above MAX_GRADE (each text of
    PLAIN_PHRASE_WORDS words or more)."""
    findings = []
    for council, flows in sorted(kb.flows.items()):
        for flow in flows.values():
            for where, text in parent_texts(flow):
                if len(text.split()) < PLAIN_PHRASE_WORDS:
                    continue
                grade = reading_grade(text)
                if grade > MAX_GRADE:
                    findings.append(Finding(WARNING, Problem(
                        f"{council}/flows/{flow.path.name}", where, f"parents' wording reads at "
                        f"grade {grade:.1f} (Flesch-Kincaid), harder than grade {MAX_GRADE:g}",
                        "use shorter sentences and everyday words")))
    return findings


def _rel(kb: KnowledgeBase, f: TopicFile) -> str:
    """As loading names files: relative to the knowledge folder's parent."""
    base = kb.root.parent
    return str(f.path.relative_to(base)) if f.path.is_relative_to(base) else str(f.path)


def _uncited_sections(kb: KnowledgeBase) -> list[Finding]:
    cited = {(ref.document, ref.section) for by_council in kb.topics.values()
             for f in by_council.values() for ref in f.sources}
    cited |= {(ref.document, ref.section) for flows in kb.flows.values()
              for flow in flows.values() for node in flow.nodes.values()
              for ref in node.sources}
    findings = []
    for council in sorted(kb.councils):
        for doc in kb.councils[council].documents:
            for section in doc.sections:
                if (doc.title, section) not in cited:
                    findings.append(Finding(ERROR, Problem(
                        f"{kb.root.name}/{council}/council.yml", "sections",
                        f"section {section!r} of {doc.title!r} is cited by no topic or flow",
                        "write or extend a topic that answers from it, and list it under that "
                        "file's `sources`")))
    unchecked = [(doc.title, section) for doc in kb.national for section in doc.sections
                 if doc.checked.get(section) == "not yet"]
    if unchecked:
        findings.append(Finding(WARNING, Problem(
            f"{kb.root.name}/{NATIONAL}/{NATIONAL_INDEX}", "checked", f"{len(unchecked)} "
            "citation(s) not yet checked against the law itself", "check each one listed in "
            "docs/national-review.md and set its `checked`")))
    for doc in kb.national:
        for section in doc.sections:
            if (doc.title, section) not in cited:
                findings.append(Finding(WARNING, Problem(
                    f"{kb.root.name}/{NATIONAL}/{NATIONAL_INDEX}", "sections",
                    f"{section!r} of {doc.title!r} is cited by no national file",
                    "remove it from the index, or cite it where an answer relies on it")))
    return findings


def unexplained_abbreviations(markdown: str) -> list[str]:
    """Abbreviations an answer uses before spelling them out ("(SENCO)" after the words), in
    the order first used; WELL_KNOWN ones need none. A bold term counts as its own heading."""
    text = to_text(markdown)
    spelt = {next(g for g in m.groups() if g): m.start()
             for m in reversed(list(_SPELT_OUT.finditer(text)))}
    first: dict[str, int] = {}
    for match in _ABBREVIATION.finditer(text):
        first.setdefault(match.group(1), match.start())
    return [a for a, at in first.items() if a not in WELL_KNOWN
            and a.rstrip("s") not in WELL_KNOWN
            and not (spelt.get(a, len(text)) <= at + 1 or spelt.get(a.rstrip("s"), len(text))
                     <= at + 1 or spelt.get(a, len(text)) == at)]


def reading_grade(markdown: str) -> float:
    """The Flesch-Kincaid grade of an answer's text as people see it, each list item and
    heading read as a sentence of its own (as a reader takes them)."""
    lines = [line.strip().lstrip("•-* ").strip() for line in to_text(markdown).splitlines()]
    text = " ".join(line if line[-1] in ".!?" else line.rstrip(":;,") + "."
                    for line in lines if line)
    return float(textstat.flesch_kincaid_grade(text))


def _near_duplicates(kb: KnowledgeBase, files: list[TopicFile]) -> list[Finding]:
    questions = [(f, q, normalise_question(q)) for f in files for q in f.every_question]
    findings = []
    for i, (f, q, key) in enumerate(questions):
        for g, q2, key2 in questions[i + 1:]:
            if g.id != f.id and fuzz.ratio(key, key2) >= NEAR_DUPLICATE:
                findings.append(Finding(WARNING, Problem(
                    _rel(kb, g), "questions", f"{q2!r} is nearly the same as {q!r} in "
                    f"{_rel(kb, f)}, a different topic", "reword one so the two topics are "
                    "told apart, or remove it", line=_line_of(g, q2))))
    return findings


def _lines(f: TopicFile) -> list[str]:
    try:
        return f.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _line_of(f: TopicFile, text: str) -> int | None:
    return next((n for n, line in enumerate(_lines(f), start=1) if text in line), None)


def _file_findings(kb: KnowledgeBase, f: TopicFile, today: dt.date) -> list[Finding]:
    findings = []
    words = len(f.body.split())
    if words > MAX_WORDS:
        findings.append(Finding(WARNING, Problem(
            _rel(kb, f), None, f"the answer is {words} words, too long to read comfortably in "
            f"a chat (aim for {MAX_WORDS} or fewer)", "shorten it, or split it into two topics "
            "linked by `related`")))
    if today - f.last_reviewed > REVIEW_EVERY:
        findings.append(Finding(WARNING, Problem(
            _rel(kb, f), "last_reviewed", f"was {f.last_reviewed.isoformat()}, over a year ago",
            "check the answer against its sources and set today's date")))
    if f.law_as_of is not None and today - f.law_as_of > REVIEW_EVERY:
        findings.append(Finding(WARNING, Problem(
            _rel(kb, f), "law_as_of", f"was {f.law_as_of.isoformat()}, over a year ago: the "
            "law may have changed", "check the Act, the Regulations and the Code for changes "
            "since, correct the answer, and set today's date")))
    loose = sum(c.unconfirmed for c in f.claims)
    if loose:
        findings.append(Finding(WARNING, Problem(
            _rel(kb, f), "claims", f"{loose} claim(s) marked `checked: not yet`", "confirm the "
            "cited source says it (then remove `checked`), or take it out of the answer")))
    if f.council == NATIONAL and not f.claims:
        findings.append(Finding(WARNING, Problem(
            _rel(kb, f), "claims", "lists no claims, so the review table cannot show what each "
            "citation supports", "list each statement the answer makes under `claims`, with "
            "the `cites` that support it")))
    grade = reading_grade(f.body)
    if grade > MAX_GRADE and not f.reading_grade_note:
        findings.append(Finding(WARNING, Problem(
            _rel(kb, f), None, f"reads at grade {grade:.1f} (Flesch-Kincaid), harder than "
            f"grade {MAX_GRADE:g}", "use shorter sentences and everyday words, or say why not "
            "in `reading_grade_note`")))
    unexplained = unexplained_abbreviations(f.body)
    if unexplained:
        findings.append(Finding(WARNING, Problem(
            _rel(kb, f), None, f"uses {', '.join(unexplained)} before spelling "
            f"{'it' if len(unexplained) == 1 else 'them'} out", "spell each out where the "
            "answer first uses it, with the short form after in brackets: \"special educational "
            "needs coordinator (SENCO)\"")))
    for number, text in enumerate(_lines(f), start=1):
        if "TODO" in text and not text.lstrip().startswith("#"):
            findings.append(Finding(ERROR, Problem(
                _rel(kb, f), None, "still has a TODO", "write what the TODO asks for (files "
                "made by `send-assistant new` have one wherever you must write)", line=number)))
    for token in _markdown.parse(f.body):
        for child in token.children or []:
            if child.type == "link_open" and not str(child.attrGet("href") or "").strip():
                findings.append(Finding(ERROR, Problem(
                    _rel(kb, f), None, "a link has no address", "give the link a real "
                    "address from the guidance, or write the page's name as plain text")))
    return findings
