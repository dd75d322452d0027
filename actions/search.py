"""Search the knowledge for the topics a message is about, however it is spelt.

Used where the NLU alone is not enough: to rank "Did you mean" suggestions (the NLU's ranking
combined with word matches), to tell a SEND question it is unsure of from one the guidance does
not cover at all, and to find the other topics a long message mentions.

Each topic is indexed by the lemmas of its titles, example questions and aliases. A word of a
message that is not in that vocabulary (nor a common English word) is corrected to the nearest
vocabulary word with rapidfuzz (one edit for short words, two for long ones), so "echp",
"sendco" and "assesment" find their topics. Words are weighted by how few topics use them and
how rare they are in everyday English (spacy-lookups-data's word frequencies), so "child",
"school" and "time" count for little and "psychologist" and "SENCO" for a lot.
"""
from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from actions.paths import PROJECT_ROOT

if TYPE_CHECKING:  # at run time the knowledge module imports this one (via safeguarding)
    from actions.knowledge import KnowledgeBase

ALIAS_BONUS = 1.5
"""Extra score, per word, when a whole alias ("EHC plan", "ed psych") is in the message."""
MIN_FUZZY_LENGTH = 4
"""Words shorter than this are never corrected ("OT", "EP" and "SEN" must match exactly)."""
MAX_QUERY_WORDS = 400
"""Only the first words of a very long message are searched."""
KNOWN_WORD_LOG_PROB = -15.0
"""Words at least this frequent in English (log probability) are real words, never corrected."""
EVERYDAY_LOG_PROB = -7.0
"""Words this frequent in English ("time", "help") count least in a match..."""
RARE_LOG_PROB = -14.0
"""...and words this rare, or SEND terms English does not know ("SENCO"), count fully."""
MIN_SPECIFICITY = 0.15
"""The least a word of the guidance counts, relative to a rare one."""

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


@dataclass(frozen=True, slots=True)
class Match:
    """How well one topic matches a message."""

    topic: str
    """The topic id."""
    score: float
    """Combined score, 0 to 1: the NLU's confidence and the word match."""
    words: float
    """The word-match score: the summed weight of the message's words the topic uses."""
    terms: tuple[str, ...]
    """The topic's aliases found in the message."""


@lru_cache(maxsize=1)
def lemmatizer() -> Any:
    """Blank English with spaCy's lookup lemmatizer: one per process, shared by the search and
    the safeguarding signals (actions.safeguarding). Use it under LEMMATIZER_LOCK."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


LEMMATIZER_LOCK = threading.Lock()
"""The lookup lemmatizer is not documented as thread-safe."""


def lemmas(texts: Iterable[str]) -> list[list[str]]:
    """Each text's content words, lower case and lemmatised (stop words and punctuation out)."""
    nlp = lemmatizer()
    out = []
    with LEMMATIZER_LOCK:
        for doc in nlp.pipe(t.lower() for t in texts):
            out.append([(tok.lemma_ or tok.text).lower() for tok in doc
                        if _WORD.fullmatch(tok.text) and not tok.is_stop])
    return out


ENGLISH_FILE = PROJECT_ROOT / "build" / "english.json"
"""The English words `_english` keeps, with their log probabilities, written by `send-assistant
build`: reading them from spacy-lookups-data's whole table costs a server about 230 MB at its
peak, this file under 1 MB."""


def english_from_lookups() -> dict[str, float]:
    """Log probabilities of English words in lower case (about 40,000 of them), from
    spacy-lookups-data's table of every word it knows."""
    import gzip

    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        table = json.load(stream)
    return {w: float(p) for w, p in table.items()
            if p >= KNOWN_WORD_LOG_PROB and w.isalpha() and w.islower()}


def write_english(path: Path = ENGLISH_FILE) -> Path:
    """Save the English words for `_english`, marked with the spacy-lookups-data version."""
    import spacy_lookups_data

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"spacy_lookups_data": spacy_lookups_data.__version__,
                                "words": english_from_lookups()}), encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def _english() -> dict[str, float]:
    """The English words: from ENGLISH_FILE when it was written from the installed
    spacy-lookups-data, else from the whole table."""
    import spacy_lookups_data

    try:
        saved = json.loads(ENGLISH_FILE.read_text(encoding="utf-8"))
        if saved.get("spacy_lookups_data") == spacy_lookups_data.__version__:
            return {str(w): float(p) for w, p in saved["words"].items()}
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    return english_from_lookups()


def known_english(word: str) -> bool:
    """Whether a word is a real English word (so not a misspelling to correct)."""
    return word in _english()


def specificity(word: str) -> float:
    """How much a word says about SEND rather than everyday life: MIN_SPECIFICITY for the
    commonest English words, up to 1 for rare ones and for words English does not know."""
    prob = _english().get(word)
    if prob is None:
        return 1.0
    share = (EVERYDAY_LOG_PROB - prob) / (EVERYDAY_LOG_PROB - RARE_LOG_PROB)
    return min(1.0, max(MIN_SPECIFICITY, share))


class TopicIndex:
    """The word index of one knowledge base's topics."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.topics = kb.topic_ids()
        names = [n for c in kb.councils.values() for n in (c.name, *c.aliases, c.id)]
        self.council_words = {w for words in lemmas(names) for w in words}
        """Words of council names: they say where, not what, so they are not searched."""
        self.bags: dict[str, set[str]] = {}
        self.aliases: dict[str, list[tuple[str, ...]]] = {}
        for topic in self.topics:
            titles = [f.title for f in kb.topics[topic].values()]
            texts = titles + kb.questions(topic) + kb.aliases(topic)
            self.bags[topic] = {w for words in lemmas(texts) for w in words}
            self.aliases[topic] = sorted({tuple(words) for words in lemmas(kb.aliases(topic))
                                          if words})
        self.alias_topics = Counter(a for aliases in self.aliases.values() for a in aliases)
        df = Counter(w for bag in self.bags.values() for w in bag)
        n = len(self.topics)
        self.weight = {w: math.log((n + 1) / count) * specificity(w) for w, count in df.items()}
        # What a misspelt word is corrected towards: the words of titles, aliases and answers
        # (as the content team spells them) and the English words of example questions, never
        # a question's own misspelling ("echp", written to teach the classifier, would
        # otherwise count as a word and stop "echp" being read as "ehcp").
        edited = [f.title for files in kb.topics.values() for f in files.values()] + [
            f.body for files in kb.topics.values() for f in files.values()] + [
            a for topic in self.topics for a in kb.aliases(topic)]
        spelled = {w for words in lemmas(edited) for w in words}
        self.vocabulary = sorted(spelled | {w for w in self.weight if known_english(w)})
        self._spelled = frozenset(self.vocabulary)
        self._edited = frozenset(spelled)
        # One message is searched several times (relevance, ranking, topics it names):
        # lemmatise it once.
        self._query_words = lru_cache(maxsize=256)(self._words_of)
        # Each word corrected once, looked up by the word alone: keyed by the vocabulary too
        # (correct_word's own cache), every call built and hashed a tuple of every word.
        self._vocabulary = tuple(self.vocabulary)
        self._corrected = lru_cache(maxsize=16384)(self._nearest)

    def correct(self, word: str) -> str:
        """The vocabulary word a misspelt word stands for, or the word itself."""
        return self._corrected(word)

    def _nearest(self, word: str) -> str:
        return correct_word(word, self._vocabulary)

    def query_words(self, text: str) -> list[str]:
        """A message's content words, lemmatised and spelling-corrected, in order."""
        return list(self._query_words(text))

    def _words_of(self, text: str) -> tuple[str, ...]:
        words = lemmas([" ".join(text.split()[:MAX_QUERY_WORDS])])[0]
        return tuple(w if w in self._spelled or known_english(w) else self.correct(w)
                     for w in words if w not in self.council_words)

    def search(self, text: str, nlu_ranking: Sequence[tuple[str, float]] = (),
               nlu_weight: float = 0.0) -> list[Match]:
        """Topics ranked by combined score, best first; topics with no score are left out.
        `nlu_weight`: the NLU's confidence's share of the score (actions/settings.yml
        `choices.nlu_weight`); the rest is the word match."""
        words = self.query_words(text)
        distinct = set(words)
        nlu = dict(nlu_ranking)
        raw: dict[str, float] = {}
        terms: dict[str, tuple[str, ...]] = {}
        for topic in self.topics:
            found = [a for a in self.aliases[topic] if _contains(words, a)]
            score = sum(self.weight[w] for w in distinct if w in self.bags[topic])
            score += ALIAS_BONUS * sum(self.alias_strength(a) for a in found)
            raw[topic], terms[topic] = score, tuple(" ".join(a) for a in found)
        best = max(raw.values(), default=0.0) or 1.0
        matches = [Match(topic=t, words=raw[t], terms=terms[t],
                         score=nlu_weight * nlu.get(t, 0.0) + (1 - nlu_weight) * raw[t] / best)
                   for t in self.topics]
        return sorted((m for m in matches if m.score > 0), key=lambda m: (-m.score, m.topic))

    def alias_strength(self, alias: tuple[str, ...]) -> float:
        """How much finding an alias says about a topic: its length in words, shared among
        the topics that have it ("SEN support" names two topics, so half as much each)."""
        return len(alias) / self.alias_topics[alias]

    def relevance(self, text: str) -> float:
        """How much the message is about what the guidance covers at all, whichever topic: the
        summed specificity of its words the guidance uses (in its titles, answers and aliases:
        an example question's story words, like "swimming", do not count), plus one for each
        alias it names.
        Near 0 for "what's the weather like tomorrow"; 1 or more for "what can't an EHCP do"
        (unlike a word's topic weight, a word every topic uses, like "EHCP", counts fully)."""
        words = self.query_words(text)
        score = sum(specificity(w) for w in set(words) if w in self.weight and w in self._edited)
        return score + sum(1.0 for alias in self.alias_topics if _contains(words, alias))

    def mentioned(self, text: str) -> list[str]:
        """Topics whose aliases the message names, strongest first (ties: best word match)."""
        found = [(m.topic, sum(self.alias_strength(tuple(t.split())) for t in m.terms))
                 for m in self.search(text) if m.terms]
        return [t for t, _ in sorted(found, key=lambda item: -item[1])]  # stable: ties by score


def english_words() -> list[str]:
    """The common English words (never corrected)."""
    return list(_english())


@lru_cache(maxsize=4096)
def correct_word(word: str, vocabulary: tuple[str, ...]) -> str:
    """The nearest vocabulary word: at most one edit away for words under 7 letters, two for
    longer ones; the word itself if none is that close or it is shorter than 4 letters."""
    if len(word) < MIN_FUZZY_LENGTH or not vocabulary:
        return word
    limit = 1 if len(word) < 7 else 2
    best = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=limit)
    return str(best[0]) if best else word


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1))


_INDEX: tuple[KnowledgeBase, TopicIndex] | None = None
_INDEX_LOCK = threading.Lock()


def index(kb: KnowledgeBase) -> TopicIndex:
    """The index of this knowledge base, built once (and again after a knowledge reload)."""
    global _INDEX
    with _INDEX_LOCK:
        if _INDEX is None or _INDEX[0] is not kb:
            _INDEX = (kb, TopicIndex(kb))
        return _INDEX[1]
