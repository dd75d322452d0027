"""A spaCy pipeline component that corrects misspelt SEND words before the NLU learns or reads
them, so "echp", "sendco" and "pyschologist" look to the classifier like the words in its
examples.

It sets a token's lemma (which Rasa's count-vector featurizers use) to the nearest word of the
guidance's vocabulary (actions.search: rapidfuzz, one edit for short words, two for long ones),
only for words that are neither in that vocabulary nor common English. The text people typed is
kept as it is. `send-assistant build` writes it into build/spacy_send_en with the vocabulary;
spaCy finds the factory through this package's `spacy_factories` entry point.
(No `from __future__ import annotations` here: spaCy reads the factory's annotations.)
"""
import json
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from actions.search import correct_word

FACTORY = "send_spelling"
_FILE = "vocabulary.json"


class SpellingCorrector:
    """Corrects unknown words' lemmas to the guidance's vocabulary."""

    def __init__(self, vocabulary: list[str] | None = None,
                 english: list[str] | None = None) -> None:
        self.set_words(vocabulary or [], english or [])

    def set_words(self, vocabulary: list[str], english: list[str]) -> None:
        """The guidance's words (targets of correction) and the English words left alone."""
        self.vocabulary = tuple(sorted(set(vocabulary)))
        self.known = frozenset(vocabulary) | frozenset(english)

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            word = token.lower_
            if word.isalpha() and word not in self.known:
                corrected = correct_word(word, self.vocabulary)
                if corrected != word:
                    token.lemma_ = corrected
        return doc

    def to_disk(self, path: Path, exclude: Any = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        words = {"vocabulary": list(self.vocabulary), "english": sorted(self.known
                                                                       - set(self.vocabulary))}
        (path / _FILE).write_text(json.dumps(words), encoding="utf-8")

    def from_disk(self, path: Path, exclude: Any = ()) -> "SpellingCorrector":
        words = json.loads((Path(path) / _FILE).read_text(encoding="utf-8"))
        self.set_words(words["vocabulary"], words["english"])
        return self


@Language.factory(FACTORY)
def make_spelling(nlp: Language, name: str) -> SpellingCorrector:
    """The spaCy factory (registered as the `spacy_factories` entry point `send_spelling`)."""
    return SpellingCorrector()
