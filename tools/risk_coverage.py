"""The risk-coverage curve: how many questions could be answered, and how many of those answers
would be wrong, if the assistant answered the classifier's best guess whenever it was at least
so sure, for every such bar; with the assistant's actual operating point beside it.

Read on the tune parts only (the dev and extended sets and the `tune` part of each split set):
the curve is how a bar is chosen, and the held-out parts are never used to choose. A question
counts as answered right when the best guess (leaving out `nlu_fallback` and `safeguarding`)
is a topic it accepts, or `out_of_scope` for a question to decline; the operating point comes
from the assistant's real first replies (evaluate): a reply naming a topic is an answer, right
or wrong, a decline is an answer, right only for a question to decline, and "Did you mean"
and the safeguarding reply are not answers.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tools.evaluate import OUT_OF_SCOPE, UNSURE_REPLIES, Question, Result

BARS = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0)
"""The confidence bars the table lists."""
NOT_GUESSES = ("nlu_fallback", "safeguarding")
"""Intents that are not a guess at the question's topic."""


@dataclass(frozen=True, slots=True)
class Guess:
    """The classifier's best guess for one question."""

    confidence: float
    right: bool


def best_guess(question: Question, ranking: Iterable[dict[str, object]]) -> Guess:
    """The best topic (or out_of_scope) in a parse's intent ranking, and whether it is right."""
    for r in ranking:
        name = str(r.get("name"))
        if name not in NOT_GUESSES:
            confidence = r.get("confidence")
            return Guess(float(confidence) if isinstance(confidence, (int, float)) else 0.0,
                         name in question.expect)
    return Guess(0.0, False)


def curve(guesses: list[Guess]) -> list[tuple[float, float, float]]:
    """(bar, coverage, risk) for answering every guess at least `bar` sure, at each distinct
    confidence, most sure first: coverage is the share answered, risk the share of those
    answers that are wrong."""
    ordered = sorted(guesses, key=lambda g: -g.confidence)
    points, wrong = [], 0
    for i, g in enumerate(ordered, start=1):
        wrong += not g.right
        if i == len(ordered) or ordered[i].confidence < g.confidence:
            points.append((g.confidence, i / len(ordered), wrong / i))
    return points


def at_bar(guesses: list[Guess], bar: float) -> tuple[float, float]:
    """Coverage and risk when every guess at least `bar` sure is answered."""
    answered = [g for g in guesses if g.confidence >= bar]
    if not guesses or not answered:
        return 0.0, 0.0
    return len(answered) / len(guesses), sum(not g.right for g in answered) / len(answered)


def operating_point(results: list[Result]) -> tuple[float, float]:
    """The assistant's coverage and risk from its real first replies."""
    answered = [r for r in results if answers(r)]
    if not results or not answered:
        return 0.0, 0.0
    return len(answered) / len(results), sum(not r.correct for r in answered) / len(answered)


def answers(result: Result) -> bool:
    """Whether a first reply is a decision: a topic, or a decline (right only for a question to
    decline), as the curve counts a best guess of out_of_scope."""
    return result.topic == OUT_OF_SCOPE or result.topic not in (
        *UNSURE_REPLIES, None, "safeguarding", "safeguarding_procedure")


def table(guesses: list[Guess], results: list[Result] | None) -> str:
    """The curve at BARS, then the operating point."""
    lines = [f"{'bar':<6}{'coverage':>10}{'risk':>8}   (best guess answered when at least "
             f"this sure; {len(guesses)} tune questions)"]
    for bar in BARS:
        coverage, risk = at_bar(guesses, bar)
        lines.append(f"{bar:<6}{coverage:>10.1%}{risk:>8.1%}")
    if results is not None:
        coverage, risk = operating_point(results)
        lines.append(f"\nthe assistant now: coverage {coverage:.1%}, risk {risk:.1%} "
                     "(its real first replies: topics and declines)")
    return "\n".join(lines)


def picture(guesses: list[Guess], results: list[Result] | None, path: Path) -> None:
    """Draw the curve, with the operating point, as an SVG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = curve(guesses)
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    axes.plot([c for _, c, _ in points], [r for _, _, r in points], color="#1d70b8",
              label="answer the best guess when at least this sure")
    for bar in (0.9, 0.7, 0.5, 0.3):
        coverage, risk = at_bar(guesses, bar)
        axes.plot([coverage], [risk], "o", color="#1d70b8", markersize=4)
        axes.annotate(f"{bar}", (coverage, risk), textcoords="offset points", xytext=(4, -10),
                      fontsize=8)
    if results is not None:
        coverage, risk = operating_point(results)
        axes.plot([coverage], [risk], "s", color="#d4351c", markersize=7,
                  label="the assistant now (its thresholds and word checks)")
    axes.set_xlabel("coverage: share of questions answered")
    axes.set_ylabel("risk: share of answers that are wrong")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, max(0.5, max((r for _, _, r in points), default=0.0)))
    axes.set_title(f"Risk and coverage on the tune parts ({len(guesses)} questions)",
                   fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def tune_questions(questions: list[Question]) -> list[Question]:
    """The questions one may tune on: those of sets with no parts, and the `tune` parts."""
    return [q for q in questions if q.part in (None, "tune")]
