"""Spot messages that suggest a child is at risk of harm or a person in crisis, reading context.

The signals are content (knowledge/safeguarding.yml), not code: each `signal` is a category of
harm (self-harm, abuse, a missing child...) with phrases that show it; each `not_crisis` entry
is a phrase that reads as one of them but is not (figures of speech, "in danger of exclusion",
"substance abuse"), and cancels any signal phrase it overlaps; `context` holds the words that
say a harm is past and resolved, or happening now, and who is at risk. Phrases are matched by
spaCy's `Matcher` on each word's base form (so "self-harming", "self harms" and "self harm"
are the same) after misspelt words are corrected to the phrases' own words ("sucidal").

`assess(text)` returns an `Assessment`: its `level` is
- `crisis`: the fixed reply, first;
- `concern`: a softer signpost before the answer (an ambiguous signal, or a past harm that is
  not said to be over);
- `procedure`: a professional asking what to do about a safeguarding concern, who gets their
  route (their organisation's procedure and designated lead) as an answer;
- `None`: no signal, or only signals cancelled as figures of speech or as past and resolved.
It also names the signals that fired, their categories and who is at risk, so a reviewer can
see why without the message text.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions.errors import Problem
from actions.search import LEMMATIZER_LOCK, correct_word, english_words, known_english, lemmatizer

SAFEGUARDING_FILE = "safeguarding.yml"
"""The file, in the knowledge folder, that holds the replies and the signals."""

CRISIS, CONCERN, PROCEDURE = "crisis", "concern", "procedure"
IMMEDIATE = "immediate_danger"
"""The category that always gets the crisis reply, whoever asks."""
CHECK_CANCELLED = "check"
"""Recorded in an assessment's `cancelled` when the learned crisis check (bot.safeguarding)
overruled its signals: the message is answered, with the one-line signpost first."""
LEVELS = (CRISIS, CONCERN)
"""The levels a signal may have in the file."""

CATEGORIES = ("self_harm", "suicide", "physical_abuse", "sexual_abuse", "emotional_abuse",
              "neglect", "grooming_exploitation", "domestic_abuse", "missing_child",
              "immediate_danger", "parent_crisis", "procedure", "unspecified")
"""The kinds of harm a signal may name (`procedure`: a safeguarding process word)."""

AT_RISK = ("child", "parent", "other_child")
"""Who a signal may say is at risk."""

GAP = "..."
"""In a phrase: up to MAX_GAP other words in between."""
MAX_GAP = 5
MIN_FUZZY_LENGTH = 5
"""Shorter words are never corrected (so "cut" is not "hut" and "hit" is not "sit")."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"[.!?;\n]+")
_QUOTED = re.compile(r"(?<![a-z0-9])['\"\u201c]([^'\"\u201d\n]{2,120}?)['\"\u201d](?![a-z0-9])")
"""A quoted phrase (an apostrophe inside a word, "he's", opens none)."""
_SHORT_FORMS = frozenset(("he", "she", "it", "that", "what", "who", "there", "here", "where",
                          "how", "let", "when", "why", "this", "everyone", "someone", "nobody",
                          "somebody", "everything", "something", "nothing"))
"""Words whose "'s" is "is" or "has" ("she's", "let's"), not a possessive."""
REPLY_FIELDS = ("reply", "professional_reply", "soft_reply", "signpost_line",
                "procedure_reply")


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the detector found in one message (no text of the message itself)."""

    level: str | None
    """`crisis`, `concern`, `procedure`, or None."""
    signals: tuple[str, ...] = ()
    """Ids of the signals that fired (after cancelling), in the file's order."""
    categories: tuple[str, ...] = ()
    """Their categories."""
    at_risk: tuple[str, ...] = ()
    """Who is at risk: `child`, `parent`, `other_child`."""
    cancelled: tuple[str, ...] = ()
    """Ids of `not_crisis` entries or context rules (`past_resolved`, `no_harm`) that cancelled
    a signal."""
    professional: bool = False
    """Whether the writer reads as a professional (role words, or the role metadata)."""
    spans: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    """Character spans of the signal phrases that fired (to find the rest of the message)."""
    sure: bool = False
    """Whether a signal marked `sure` fired: the learned crisis check may not overrule it."""

    @property
    def present(self) -> bool:
        """Whether any safeguarding signal was seen at all, even one cancelled: such a message
        never gets a decline, "Did you mean" or error reply without the one-line signpost."""
        return self.level is not None or bool(self.cancelled)

    def rest(self, text: str) -> str:
        """The text outside the signal phrases that fired: where a SEND question asked beside a
        crisis is ("she's been cutting herself. Can she get an EHCP?")."""
        pieces, start = [], 0
        for a, b in sorted(self.spans):
            pieces.append(text[start:a])
            start = max(start, b)
        return " ".join(" ".join([*pieces, text[start:]]).split())

    def record(self) -> dict[str, Any]:
        """What is stored in the conversation (slot `safeguarding`): why, never the text."""
        return {"level": self.level, "signals": list(self.signals),
                "categories": list(self.categories), "at_risk": list(self.at_risk),
                "cancelled": list(self.cancelled), "professional": self.professional}


NONE = Assessment(level=None)


@dataclass(frozen=True, slots=True)
class Signal:
    """One kind of harm and the phrases that show it."""

    id: str
    """A name for it, recorded when it fires."""
    category: str
    """One of CATEGORIES."""
    level: str
    """`crisis` or `concern`."""
    at_risk: str
    """Who is at risk when the sentence does not say."""
    phrases: tuple[str, ...]
    """Phrases in the file's little language (see knowledge/safeguarding.yml)."""
    sure: bool = False
    """Whether its phrases are so specific that the learned crisis check may not overrule it
    (`sure: true`)."""


@dataclass(frozen=True, slots=True)
class Safeguarding:
    """The replies and the detector built from knowledge/safeguarding.yml."""

    reply: str
    """The fixed crisis reply, before anything else."""
    professional_reply: str
    """The crisis reply worded for a professional."""
    soft_reply: str
    """The softer signpost before an answer, when unsure."""
    signpost_line: str
    """One line added to any decline, "Did you mean" or error reply when a signal is present."""
    procedure_reply: str
    """A professional's route for a safeguarding concern (an answer, not the crisis reply)."""
    contacts: dict[str, tuple[str, ...]]
    """Lines of contact details by council id, only where the council publishes them."""
    detector: Detector = field(repr=False)
    """Reads a message."""

    def assess(self, text: str, role: str | None = None) -> Assessment:
        """What the message shows (see the module docstring)."""
        return self.detector.assess(text, role)

    def contact_lines(self, council: str | None) -> tuple[str, ...]:
        """The council's published safeguarding contacts, if the pack records any."""
        return self.contacts.get(council or "", ())


class Detector:
    """Signals and their cancelling phrases compiled into spaCy matchers, on first use: only
    the Rasa server reads messages with it, so the action server, which reloads the knowledge
    on every edit, never pays for compiling."""

    def __init__(self, words: dict[str, list[str]], signals: list[Signal],
                 not_crisis: dict[str, list[str]], context: dict[str, list[str]]) -> None:
        self.signals = {s.id: s for s in signals}
        self.words = words
        self.not_crisis = not_crisis
        self.context = context
        self.order = {s.id: n for n, s in enumerate(signals)}
        self._compiled = False
        self._compile_lock = threading.Lock()

    def _compile(self) -> None:
        with self._compile_lock:
            if not self._compiled:
                self._build()
                self._compiled = True

    def _build(self) -> None:
        signals = list(self.signals.values())
        compile_ = _Compiler(self.words)
        self.signal_matcher = compile_.matcher({s.id: list(s.phrases) for s in signals})
        self.cancel_matcher = compile_.matcher(self.not_crisis)
        self.context_matcher = compile_.matcher(self.context)
        self.vocabulary = frozenset(compile_.vocabulary)
        self.surface = {form: base for base in compile_.vocabulary for form in _endings(base)}
        """Each phrase word's base form and its regular endings, with the base form: a
        misspelt word is corrected to the nearest of these ("harmimg" to "harming")."""
        self.spellings = tuple(sorted(self.surface))

    def assess(self, text: str, role: str | None = None) -> Assessment:
        """What the message shows (see the module docstring)."""
        doc, starts, sentence_of = self._doc(text)
        if not len(doc):
            return NONE
        found_in: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in self._matches(self.context_matcher, doc, sentence_of):
            found_in.setdefault(key, []).append((start, end))
        # "Still" in "her plan still lists it" says nothing about a harm: an ongoing word inside
        # a `not_ongoing` phrase does not count.
        exempt = found_in.get("not_ongoing", [])
        context: dict[str, list[int]] = {}
        for key, found in found_in.items():
            for start, end in found:
                if key != "ongoing" or not any(a < end and start < b for a, b in exempt):
                    context.setdefault(key, []).append(sentence_of[start])
        cancelling = [(key, start, end) for key, start, end
                      in self._matches(self.cancel_matcher, doc, sentence_of)]
        fired: list[tuple[Signal, int, int]] = []
        cancelled: list[str] = []
        for key, start, end in self._matches(self.signal_matcher, doc):
            hit = next((c for c, s, e in cancelling if s < end and start < e), None)
            # A figure of speech or a policy word cancels a harm, never the words that ask
            # about the procedure ("the exploitation referral pathway").
            if hit is not None and self.signals[key].category != PROCEDURE:
                cancelled.append(hit)
                continue
            fired.append((self.signals[key], start, end))
        # "He threw a chair (nobody was hurt)", "...a box for 'risk of self-harm'. He has never
        # done anything like that": words saying no harm was done, after a harm in the same
        # sentence or in the next one, cancel it, unless either sentence says something is
        # happening now. ("Nobody was hurt but he says he'll kill us": the threat comes after.)
        now = set(context.get("ongoing", []))
        # "She's not suicidal", "nobody is abusing him": a harm's own words denied (`denied`)
        # cancel only that harm, as "I found cuts. She's not suicidal" is still self-harm.
        denials = [(sentence_of[a], a, b) for a, b in found_in.get("no_harm", [])]
        negated = found_in.get("denied", [])

        def denied(start: int, end: int) -> bool:
            told = sentence_of[start]
            if told in now:
                return False
            return any(a < end and start < b for a, b in negated) or any(
                said not in now and (said == told + 1 or (said == told and b > start))
                for said, a, b in denials)
        kept = [(s, a, b) for s, a, b in fired if s.category == PROCEDURE or not denied(a, b)]
        if len(kept) < len(fired):
            cancelled.append("no_harm")
        fired = kept
        # "The form asks 'is there domestic abuse in the household?'", "what does 'at risk of
        # exploitation' mean?": harm words quoted from a form or a report, in a sentence about
        # the paperwork (`quoting`), are its wording, not a harm; but what the writer put on the
        # form themselves (`own_words`: "on the form I wrote: 'dad is violent to me'") is theirs.
        quotes = [m.span(1) for m in _QUOTED.finditer(fold(text))]
        about_wording = set(context.get("quoting", [])) - set(context.get("own_words", []))
        kept = [(s, a, b) for s, a, b in fired
                if s.category == PROCEDURE or sentence_of[a] not in about_wording
                or not any(q0 <= starts[a] and starts[b - 1] < q1 for q0, q1 in quotes)]
        if len(kept) < len(fired):
            cancelled.append("quoted_wording")
        fired = kept
        professional = role == "professional" or "professional" in context
        if not fired:
            return Assessment(level=None, cancelled=tuple(dict.fromkeys(cancelled)),
                              professional=professional)
        # A harm told as past and over ("two years ago... she's doing well now"), with nothing
        # saying it is happening again, is not a crisis today, and the rest of the message
        # speaks of the same event ("should the self-harm outcome come out of his plan?"); a
        # past harm not said to be over still gets the softer signpost.
        # "Again", "still", "today" say a harm is happening now only in a sentence that tells
        # of it (or the next one): "it's still on his plan" is not "he still cuts himself".
        def told_now(told: set[int]) -> bool:  # an ongoing word in one of them or the next
            return any(n in told or n - 1 in told for n in context.get("ongoing", []))

        ongoing = told_now({sentence_of[a] for _, a, _ in fired})
        past_sentences = set(context.get("past", []))
        current = [(s, a, b) for s, a, b in fired if sentence_of[a] not in past_sentences]
        if len(current) < len(fired) and "resolved" in context and not ongoing:
            return Assessment(level=None, cancelled=(*dict.fromkeys(cancelled), "past_resolved"),
                              signals=tuple(dict.fromkeys(s.id for s, _, _ in fired)),
                              professional=professional)
        if all(s.category == PROCEDURE for s, _, _ in fired):
            level = PROCEDURE  # a question about the procedure, past or present
        elif not current and not ongoing:
            level = CONCERN
        else:
            fired = current or fired
            harms = [s for s, _, _ in fired if s.category != "procedure"]
            asks_route = len(harms) < len(fired) and professional
            # A professional who names the procedure gets their route, with its 999 line,
            # unless someone is in danger right now, or the harm is told as happening now
            # ("he came in today with burns", "it still happens"): that is a case being
            # reported, not a question about the process.
            harm_now = told_now({sentence_of[a] for s, a, _ in fired if s.category != "procedure"})
            if not harms or (asks_route and not harm_now
                             and not any(s.category == IMMEDIATE for s in harms)):
                level = PROCEDURE
            elif any(s.level == CRISIS for s in harms):
                level = CRISIS
            else:
                level = CONCERN
        ids = tuple(sorted(dict.fromkeys(s.id for s, _, _ in fired), key=self.order.__getitem__))
        categories = tuple(dict.fromkeys(self.signals[i].category for i in ids))
        at_risk = tuple(dict.fromkeys(self._who(s, sentence_of[a], context) for s, a, _ in fired
                                      if s.category != "procedure")) or ("child",)
        spans = tuple((starts[a], starts[b - 1] + len(doc[b - 1].text)) for _, a, b in fired)
        return Assessment(level=level, signals=ids, categories=categories, at_risk=at_risk,
                          cancelled=tuple(dict.fromkeys(cancelled)), professional=professional,
                          spans=spans, sure=any(self.signals[i].sure for i in ids))

    @staticmethod
    def _who(signal: Signal, sentence: int, context: dict[str, list[int]]) -> str:
        for who in ("other_child", "parent"):
            if sentence in context.get(who, []):
                return who
        return signal.at_risk

    @staticmethod
    def _matches(matcher: Any, doc: Any, within: list[int] | None = None
                 ) -> list[tuple[str, int, int]]:
        """Matches as (entry id, first word, end); with `within` (each word's sentence), only
        those inside one sentence. Cancelling phrases and context are read that way ("...cutting
        herself. What is SEN support?" is not the everyday "cutting ... support"); signals may
        run on into the next sentence, as a story does ("He ran off. It's been an hour.")."""
        strings = doc.vocab.strings
        return [(strings[key].split("#")[0], start, end) for key, start, end in matcher(doc)
                if within is None or within[start] == within[end - 1]]

    def explain(self, text: str) -> list[str]:
        """Each phrase that matched the text, and the words it matched: for checking a change
        to the signals (`send-assistant safeguarding "..."`)."""
        doc, _, sentence_of = self._doc(text)
        lines = []
        for kind, matcher, source in (
                ("signal", self.signal_matcher, {s.id: s.phrases for s in self.signals.values()}),
                ("not_crisis", self.cancel_matcher, self.not_crisis),
                ("context", self.context_matcher, self.context)):
            strings = doc.vocab.strings
            for key, start, end in matcher(doc):
                if kind != "signal" and sentence_of[start] != sentence_of[end - 1]:
                    continue  # as in assess: only signals run on into the next sentence
                name, n = strings[key].split("#")
                lines.append(f"{kind} {name}: \"{source[name][int(n)]}\" matched "
                             f"\"{doc[start:end].text}\" (sentence {sentence_of[start] + 1})")
        return lines

    def _doc(self, text: str) -> tuple[Any, list[int], list[int]]:
        """The message as a spaCy Doc of its words (punctuation out), each word's NORM set to
        its corrected base form; with each word's character offset and sentence number."""
        from spacy.tokens import Doc

        self._compile()
        folded = fold(text)
        words, starts, sentence_of = [], [], []
        sentence, last = 0, 0
        for match in _WORD.finditer(folded):
            sentence += len(_SENTENCE_END.findall(folded, last, match.start()))
            last = match.end()
            word = match.group()
            words.append(word if word in self.vocabulary else _owner(word))
            starts.append(match.start())
            sentence_of.append(sentence)
        nlp = lemmatizer()
        with LEMMATIZER_LOCK:
            doc = nlp.get_pipe("lemmatizer")(Doc(nlp.vocab, words=words))
            for token in doc:
                token.norm_ = self._normal(token.text, token.lemma_ or token.text)
        return doc, starts, sentence_of

    def _normal(self, word: str, lemma: str) -> str:
        lemma = _base(word, lemma)
        if lemma in self.vocabulary or not word.isalpha() or len(word) < MIN_FUZZY_LENGTH:
            return lemma
        if known_english(word):
            return lemma
        corrected = correct_word(word, self.spellings)
        if corrected == word or _nearer_english(word, corrected, self.surface):
            return lemma
        return self.surface[corrected]


class _Compiler:
    """Turns the file's phrases into spaCy Matcher patterns on NORM."""

    def __init__(self, words: dict[str, list[str]]) -> None:
        self.words = words
        self.vocabulary: set[str] = set()

    def matcher(self, phrases: dict[str, list[str]]) -> _AnchoredMatcher:
        from spacy.matcher import Matcher

        compiled = []
        for key, items in phrases.items():
            for n, phrase in enumerate(items):  # "id#n": which phrase fired, for `explain`
                matcher = Matcher(lemmatizer().vocab)
                patterns = self.patterns(phrase)
                matcher.add(f"{key}#{n}", patterns)
                compiled.append((matcher, patterns))
        return _AnchoredMatcher(compiled)

    def patterns(self, phrase: str) -> list[list[dict[str, Any]]]:
        """One phrase as Matcher patterns: one for each way of reading its choices."""
        out: list[list[dict[str, Any]]] = [[]]
        for part in phrase.split():
            choices = ([[{"OP": f"{{,{MAX_GAP}}}"}]] if part == GAP else self.choices(part))
            out = [head + tail for head in out for tail in choices]
        return [p for p in out if p]

    def choices(self, part: str) -> list[list[dict[str, Any]]]:
        """The token sequences one word of a phrase may stand for: `a/b`, `<list>`, `=word`,
        `several_words`, and `word?` (which may also be nothing)."""
        optional = part.endswith("?") and len(part) > 1
        alternatives: list[str] = []
        for alt in part.rstrip("?").split("/"):
            if alt.startswith("<") and alt.endswith(">"):
                alternatives += self.words[alt[1:-1]]
            else:
                alternatives.append(alt)
        normal: set[str] = set()
        exact: set[str] = set()
        several: list[list[dict[str, Any]]] = []
        for alt in alternatives:
            words = fold(alt).split("_")
            if len(words) > 1:
                several.append([self.token(w) for w in words])
            elif words[0].startswith("="):
                exact.add(words[0][1:])
            else:
                normal.add(self.form(words[0]))
        out = several
        if normal:
            out.append([{"NORM": {"IN": sorted(normal)}}])
        if exact:
            out.append([{"LOWER": {"IN": sorted(exact)}}])
        if optional:
            out.append([])
        return out

    def token(self, word: str) -> dict[str, Any]:
        if word.startswith("="):
            return {"LOWER": word[1:]}
        return {"NORM": self.form(word)}

    def form(self, word: str) -> str:
        """A phrase word's base form, which the message's words are corrected towards."""
        base = _lemma(fold(word))
        self.vocabulary.add(base)
        return base


class _AnchoredMatcher:
    """The phrases' spaCy Matchers, each run only on a message that can match it. A pattern
    matches only if the message has a word for each of its required tokens; each phrase is
    indexed by the least common required token of each of its patterns (the anchor), and only
    the phrases anchored by a word of the message, with all of a pattern's required tokens
    there, are run. The gapped patterns ("cuts ... on her arm") are slow to run, so one
    Matcher holding every phrase cost most of the detector's time once there were hundreds of
    phrases; the matches are exactly the Matchers', in order of where they start."""

    def __init__(self, phrases: list[tuple[Any, list[list[dict[str, Any]]]]]) -> None:
        self.matchers = [matcher for matcher, _ in phrases]
        self.always: list[int] = []  # phrases with a pattern of optional words only
        self.required: list[list[list[tuple[str, frozenset[str]]]]] = []
        self.index: dict[tuple[str, str], set[int]] = {}
        for n, (_, patterns) in enumerate(phrases):
            required = [_required(pattern) for pattern in patterns]
            self.required.append(required)
            if not all(required):
                self.always.append(n)
                continue
            for tokens in required:
                attribute, words = min(tokens, key=_commonness)
                for word in words:
                    self.index.setdefault((attribute, word), set()).add(n)

    def could_match(self, doc: Any) -> list[int]:
        """The phrases that have, for some pattern, a word of the message for each of its
        required tokens."""
        present = {"NORM": {t.norm_ for t in doc}, "LOWER": {t.lower_ for t in doc}}
        candidates = {n for attribute, words in present.items() for word in words
                      for n in self.index.get((attribute, word), ())}
        return sorted({*self.always, *(
            n for n in candidates
            if any(all(words & present[attribute] for attribute, words in tokens)
                   for tokens in self.required[n]))})

    def __call__(self, doc: Any) -> list[tuple[int, int, int]]:
        found = [match for n in self.could_match(doc) for match in self.matchers[n](doc)]
        return sorted(found, key=lambda match: (match[1], match[2]))

    def __len__(self) -> int:
        return len(self.matchers)


def _required(pattern: list[dict[str, Any]]) -> list[tuple[str, frozenset[str]]]:
    """The tokens of a Matcher pattern that cannot be left out, each as its attribute and the
    words it accepts."""
    required = []
    for token in pattern:
        if "OP" in token:
            continue
        for attribute in ("NORM", "LOWER"):
            value = token.get(attribute)
            if isinstance(value, str):
                required.append((attribute, frozenset((value,))))
            elif isinstance(value, dict) and "IN" in value:
                required.append((attribute, frozenset(value["IN"])))
    return required


def _commonness(token: tuple[str, frozenset[str]]) -> tuple[bool, int]:
    """How common a required token's words are: everyday short words first, then how many."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return any(w in STOP_WORDS or len(w) < 3 for w in token[1]), len(token[1])


def _owner(word: str) -> str:
    """A possessive without its "'s" ("the lead's role": lead); "she's" and "let's" stay, and
    so does a possessive a phrase names ("friend's")."""
    if word.endswith("'s") and len(word) > 3 and word[:-2] not in _SHORT_FORMS:
        return word[:-2]
    return word


def _endings(base: str) -> tuple[str, ...]:
    """A base form with its regular endings ("harm": harms, harmed, harming)."""
    stem = base[:-1] if base.endswith("e") else base
    return (base, base + "s", base + "d", base + "ed", stem + "ing")


def _nearer_english(word: str, corrected: str, signal_words: Mapping[str, str]) -> bool:
    """Whether an everyday English word is at least as near a misspelt word as the signal word
    it would be corrected to ("strugling" is "struggling", not "strangling"), and is not a
    signal word itself ("suicidel" is as near "suicide" as "suicidal": either way a signal)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    distance = OSA.distance(word, corrected)
    best = process.extractOne(word, _english_words(), scorer=OSA.distance,
                              score_cutoff=distance)
    return best is not None and best[0] != corrected and best[0] not in signal_words


@lru_cache(maxsize=1)
def _english_words() -> tuple[str, ...]:
    return tuple(english_words())


def _base(word: str, lemma: str) -> str:
    """The lookup lemma, with the lookup table's gaps for our words filled (it leaves
    "harming", "grooming" and "self-harms" as they are)."""
    lemma = lemma.lower()
    if lemma != word:
        return lemma
    for suffix, repl in (("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)] + repl
            if _in_table(stem):
                return stem
    return lemma


@lru_cache(maxsize=8192)
def _lemma(word: str) -> str:
    """A word's base form, found exactly as a message's words are (one word, no tokenizer)."""
    from spacy.tokens import Doc

    nlp = lemmatizer()
    with LEMMATIZER_LOCK:
        doc = nlp.get_pipe("lemmatizer")(Doc(nlp.vocab, words=[word]))
    return _base(word, doc[0].lemma_ or word)


@lru_cache(maxsize=1)
def _lookup_table() -> frozenset[str]:
    nlp = lemmatizer()
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    return frozenset(str(v) for v in table.values())


def _in_table(word: str) -> bool:
    return word in _lookup_table() or known_english(word)




def load_safeguarding(root: Path, problems: list[Problem], where: str) -> Safeguarding | None:
    """Read knowledge/safeguarding.yml; append a Problem and return None if it is not right."""
    path = root / SAFEGUARDING_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        problems.append(Problem(where, None, f"cannot be read ({err})",
                                "fix the YAML (see the shipped file)"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(where, None, "is not a set of fields",
                                "start from the shipped file"))
        return None
    before = len(problems)
    replies = {}
    for name in REPLY_FIELDS:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, name, "is missing", "write this reply"))
        else:
            replies[name] = value.strip()
    words = _string_lists(data.get("words"), "words", where, problems)
    not_crisis = _string_lists(data.get("not_crisis"), "not_crisis", where, problems)
    context = _string_lists(data.get("context"), "context", where, problems)
    contacts = _string_lists(data.get("contacts") or {}, "contacts", where, problems)
    signals = _signals(data.get("signals"), where, problems)
    for name, phrases in [*not_crisis.items(), *context.items(),
                          *((s.id, s.phrases) for s in signals)]:
        for phrase in phrases:
            for alt in phrase.replace("?", "").replace("/", " ").split():
                if alt.startswith("<") and alt[1:-1] not in words:
                    problems.append(Problem(where, name, f"uses the word list {alt}, which "
                                            "`words` does not define",
                                            "add it under `words:` or spell the words out"))
    if len(problems) > before:
        return None
    detector = Detector(words, signals, not_crisis, context)
    return Safeguarding(contacts={k: tuple(v) for k, v in contacts.items()},
                        detector=detector, **replies)


def _string_lists(raw: Any, name: str, where: str, problems: list[Problem]
                  ) -> dict[str, list[str]]:
    if not isinstance(raw, dict) or not all(
            isinstance(v, list) and v and all(isinstance(p, str) and p.strip() for p in v)
            for v in raw.values()):
        problems.append(Problem(where, name, "is not a set of named lists of phrases",
                                f"write `{name}:` with `name:` and one `- phrase` per line"))
        return {}
    return {str(k): [p.strip() for p in v] for k, v in raw.items()}


def _signals(raw: Any, where: str, problems: list[Problem]) -> list[Signal]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(where, "signals", "is not a list of signals",
                                "write `signals:` with `- id:`, `category:` and `phrases:`"))
        return []
    out = []
    for n, item in enumerate(raw, start=1):
        label = f"signals[{n}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, label, "is not a signal",
                                    "give it `id`, `category` and `phrases`"))
            continue
        phrases = item.get("phrases")
        category = item.get("category")
        level = item.get("level", CRISIS)
        at_risk = item.get("at_risk", "child")
        sure = item.get("sure", False)
        if not isinstance(item.get("id"), str):
            problems.append(Problem(where, f"{label}.id", "is missing", "name the signal"))
        elif category not in CATEGORIES:
            problems.append(Problem(where, f"{label}.category", f"is {category!r}",
                                    f"use one of: {', '.join(CATEGORIES)}"))
        elif level not in LEVELS:
            problems.append(Problem(where, f"{label}.level", f"is {level!r}",
                                    "use `crisis` or `concern`"))
        elif at_risk not in AT_RISK:
            problems.append(Problem(where, f"{label}.at_risk", f"is {at_risk!r}",
                                    f"use one of: {', '.join(AT_RISK)}"))
        elif not isinstance(phrases, list) or not phrases or not all(
                isinstance(p, str) and p.strip() for p in phrases):
            problems.append(Problem(where, f"{label}.phrases", "is not a list of phrases",
                                    "write one `- phrase` per line"))
        elif not isinstance(sure, bool):
            problems.append(Problem(where, f"{label}.sure", f"is {sure!r}",
                                    "write `sure: true` or leave it out"))
        else:
            out.append(Signal(id=item["id"], category=category, level=level, at_risk=at_risk,
                              phrases=tuple(p.strip() for p in phrases), sure=sure))
    return out


def compile_triggers(triggers: Iterable[str]) -> re.Pattern[str]:
    """One expression matching any trigger as whole words, any case, any spacing."""
    alternatives = [r"\s+".join(re.escape(word) for word in fold(t).split())
                    for t in sorted(triggers, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case, with curly apostrophes made straight."""
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()

