"""A learned check of whether a whole message reads as a real safeguarding crisis.

The signals in knowledge/safeguarding.yml find harm words and read some context around them
(figures of speech, denials, past events now over); each writer of new near-misses still found
a new way to use those words that is not a crisis ("I could strangle whoever designed it lol",
"what to do if a pupil goes missing from site"). This check reads the whole message instead:
a logistic regression on word (1-2) and character (2-5) n-grams, TF-IDF weighted, trained on
crisis messages and on ordinary ones that use the same words (data/safeguarding/check.yml) and
the `safeguarding` intent's examples. SafeguardingClassifier (bot/safeguarding.py) uses its
probability twice: a signal needs the check to agree a little (`check_veto`), and the check
alone, when very sure (`check_alone`), brings the softer signpost where no signal fired.

The n-grams are hashed (no vocabulary to store), and only the numbers that matter are saved,
as NumPy arrays loaded with `allow_pickle=False`: the weights and inverse document frequencies
of the n-grams seen in training (an unseen n-gram has weight 0 and the default frequency).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from actions.safeguarding import fold

N_FEATURES = 2**18
"""Hashed n-gram buckets per analyser (word and character)."""
ANALYSERS = (("word", (1, 2)), ("char_wb", (2, 5)))
WORD_PATTERN = r"[a-z0-9']+"


def _vectorisers() -> list:
    from sklearn.feature_extraction.text import HashingVectorizer

    return [HashingVectorizer(analyzer=analyzer, ngram_range=ngrams, n_features=N_FEATURES,
                              alternate_sign=False, norm=None, token_pattern=WORD_PATTERN,
                              preprocessor=fold)
            for analyzer, ngrams in ANALYSERS]


def _weighted(counts: csr_matrix, idf: np.ndarray) -> csr_matrix:
    """Sublinear TF (1 + log count) times IDF, each row scaled to unit length: as scikit-learn's
    TfidfTransformer(sublinear_tf=True) does, with its IDF."""
    from sklearn.preprocessing import normalize

    weighted = csr_matrix(counts, dtype=np.float64, copy=True)
    weighted.data = 1.0 + np.log(weighted.data)
    weighted = weighted.multiply(idf[np.newaxis, :]).tocsr()
    return normalize(weighted, norm="l2", copy=False)


class CrisisCheck:
    """Fitted weights: `probability(text)` is how likely the message is a real crisis."""

    def __init__(self, idf: list[np.ndarray], coef: np.ndarray, intercept: float) -> None:
        self.idf = idf
        self.coef = coef
        self.intercept = intercept
        self._vectorisers = _vectorisers()

    @classmethod
    def fit(cls, texts: Sequence[str], crisis: Sequence[bool], c: float = 10.0) -> CrisisCheck:
        """Train on messages and whether each is a crisis (classes weighted to balance)."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression

        if len(set(crisis)) < 2:
            raise ValueError("the crisis check needs crisis and ordinary examples")
        counts = [v.transform(texts) for v in _vectorisers()]
        idf = [TfidfTransformer(sublinear_tf=True).fit(x).idf_ for x in counts]
        features = hstack([_weighted(x, i) for x, i in zip(counts, idf, strict=True)]).tocsr()
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        model.fit(features, np.asarray(crisis, dtype=bool))
        return cls(idf, model.coef_[0].copy(), float(model.intercept_[0]))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """How likely each message is a real crisis (0 to 1)."""
        score = np.full(len(texts), self.intercept)
        for n, (vectoriser, idf) in enumerate(zip(self._vectorisers, self.idf, strict=True)):
            features = _weighted(vectoriser.transform(texts), idf)
            score += features @ self.coef[n * N_FEATURES:(n + 1) * N_FEATURES]
        return 1.0 / (1.0 + np.exp(-score))

    def probability(self, text: str) -> float:
        """As `probabilities` for one message, on its n-grams alone (no sparse matrix
        arithmetic: a fifth of the time, which every message pays)."""
        score = self.intercept
        for n, (vectoriser, idf) in enumerate(zip(self._vectorisers, self.idf, strict=True)):
            counts = vectoriser.transform([text])
            if not counts.nnz:
                continue
            index = counts.indices
            weights = (1.0 + np.log(counts.data)) * idf[index]
            norm = float(np.sqrt(weights @ weights))
            score += float(weights @ self.coef[n * N_FEATURES + index]) / norm
        return float(1.0 / (1.0 + np.exp(-score)))

    def save(self, path: Path) -> None:
        """Only the n-grams seen in training: their weights and IDF, and the unseen IDF."""
        arrays: dict[str, np.ndarray] = {"intercept": np.asarray([self.intercept])}
        for n, idf in enumerate(self.idf):
            weights = self.coef[n * N_FEATURES:(n + 1) * N_FEATURES]
            unseen = float(idf.max())  # the IDF of an n-gram in no training message
            seen = np.flatnonzero((weights != 0) | (idf != unseen))
            arrays |= {f"index{n}": seen.astype(np.int32), f"weight{n}": weights[seen],
                       f"idf{n}": idf[seen], f"unseen{n}": np.asarray([unseen])}
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> CrisisCheck:
        with np.load(path, allow_pickle=False) as saved:
            idf, coef = [], np.zeros(N_FEATURES * len(ANALYSERS))
            for n in range(len(ANALYSERS)):
                index = saved[f"index{n}"]
                full = np.full(N_FEATURES, float(saved[f"unseen{n}"][0]))
                full[index] = saved[f"idf{n}"]
                idf.append(full)
                coef[n * N_FEATURES + index] = saved[f"weight{n}"]
            return cls(idf, coef, float(saved["intercept"][0]))


def load_examples(path: Path) -> tuple[list[str], list[bool]]:
    """The check's examples file: messages and whether each is labelled a crisis."""
    import yaml

    texts, crisis = [], []
    for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("messages") or []:
        label = item.get("label")
        if label not in ("crisis", "ordinary") or not str(item.get("text") or "").strip():
            raise ValueError(f"{path}: each message needs `label` (crisis or ordinary) and "
                             f"`text`; this one has {item!r}")
        texts.append(str(item["text"]))
        crisis.append(label == "crisis")
    return texts, crisis


BESIDE_MAX_WORDS = 15
"""Examples this short are also learnt beside a SEND question (`beside_questions`)."""
QUESTION_WORDS = (4, 20)
"""The lengths of the SEND questions put beside them."""


def beside_questions(texts: Sequence[str], crisis: Sequence[bool], questions: Sequence[str],
                     seed: int = 7) -> tuple[list[str], list[bool]]:
    """The examples, and each short one again beside a SEND question (before or after it) with
    the same label. A crisis is often told inside a SEND question ("what support can school
    give, I think he might hurt himself"), and a check that reads the whole message learns the
    everyday words of SEND questions as ordinary, so it read such a crisis as ordinary; an
    ordinary example beside one stays ordinary, so the question's words alone prove nothing.
    Deterministic for a `seed`; unchanged when there are no `questions`."""
    import random

    fitting = [q.strip() for q in questions
               if QUESTION_WORDS[0] <= len(q.split()) <= QUESTION_WORDS[1]]
    if not fitting:
        return list(texts), list(crisis)
    chance = random.Random(seed)
    extra_texts, extra_crisis = [], []
    for text, label in zip(texts, crisis, strict=True):
        if len(text.split()) <= BESIDE_MAX_WORDS:
            question = chance.choice(fitting)
            extra_texts.append(f"{question.rstrip('?.! ')}, {text}" if chance.random() < 0.5
                               else f"{text} {question}")
            extra_crisis.append(label)
    return [*texts, *extra_texts], [*crisis, *extra_crisis]
