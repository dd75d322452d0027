"""Measure safeguarding: on tests/eval/safeguarding.yaml, does every crisis message get the
safeguarding reply, and how many ordinary questions wrongly get it?

Each message is sent in a new conversation (through the REST channel, or to the detector
alone with `offline`) and its first reply is classed: `crisis` or `concern` (custom.topic
`safeguarding`, by custom.level), `procedure` (a professional's route,
`safeguarding_procedure`), `out_of_scope`, or `answer` (anything else). The figures, for the
tune and the held-out parts side by side:
- crisis recall: crisis messages that got the safeguarding reply (either level);
- crisis declined: crisis messages that got the out-of-scope reply (must be none);
- false alarms: ordinary messages and professionals' process questions that got it;
- professional route: process questions that got the professional's route.
Misses are listed for the tune part only, unless asked: the held-out part is for reporting,
never for tuning.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from actions.paths import PROJECT_ROOT
from tools.evaluate import EvaluationError, ask

SAFEGUARDING_SET = PROJECT_ROOT / "tests" / "eval" / "safeguarding.yaml"
PARTS = ("tune", "held_out")
CRISIS_EXPECTED = "crisis"
PROCEDURE_EXPECTED = "professional_procedure"
ALARMS = ("crisis", "concern")
"""Reply kinds that are the safeguarding reply."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the safeguarding set."""

    id: str
    """Its id (c### crisis, n### ordinary, p### professional process)."""
    part: str
    """`tune` or `held_out`."""
    council: str
    """The council whose page it was sent on."""
    expect: str
    """`crisis`, `ordinary` or `professional_procedure`."""
    label: str
    """Its category (crisis) or kind (near-miss)."""
    text: str
    """What the person typed."""


def load_messages(path: Path = SAFEGUARDING_SET) -> list[Message]:
    """Read the safeguarding evaluation set."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [Message(id=str(m["id"]), part=str(m["part"]), council=str(m["la"]),
                        expect=str(m["expect"]), label=str(m.get("category") or m.get("kind")),
                        text=str(m["q"])) for m in data["messages"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise EvaluationError(f"{path}: not a readable safeguarding set ({err}); each message "
                              "needs `id`, `part`, `la`, `expect` and `q`") from err


def reply_kind(messages: list[dict[str, object]]) -> str:
    """How the assistant first answered: crisis, concern, procedure, out_of_scope or answer."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("topic"):
            topic = custom["topic"]
            if topic == "safeguarding":
                return str(custom.get("level") or "crisis")
            if topic == "safeguarding_procedure":
                return "procedure"
            return "out_of_scope" if topic == "out_of_scope" else "answer"
    return "answer"


def through_rest(webhook: str) -> Callable[[Message], str]:
    """Classify each message by the assistant's first reply on the REST channel."""
    return lambda m: reply_kind(ask(webhook, m.text, m.council))


def fitted_check() -> tuple[Any, dict[str, Any]]:
    """The learned crisis check fitted here, in a few seconds, from data/safeguarding/check.yml
    and the NLU training data (data/nlu/), with its settings from bot/config.yml: the same
    check `make train` fits into the model."""
    from bot.safeguarding import check_settings, fit_check

    settings = check_settings()
    return fit_check(settings, _nlu_data()), settings


def _nlu_data() -> Any:
    """The NLU training data (data/nlu/*.yml), read by Rasa's YAML reader as for training."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml"))
    with warnings.catch_warnings():  # Rasa's schema validator loads its extensions the old way
        warnings.simplefilter("ignore", DeprecationWarning)
        return TrainingData().merge(*(RasaYAMLReader().read(str(f)) for f in files))


VETO_POINTS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
ALONE_POINTS = (0.7, 0.8, 0.85, 0.9, 0.95)
FOLDS = 5


def curve(examples: Path | None = None, folds: int = FOLDS, seed: int = 7) -> str:
    """How the crisis check's two thresholds trade found crises for false alarms on messages it
    was not trained on: its examples (data/safeguarding/check.yml, thousands of messages by many
    writers, far more than the evaluation set's tune part; or `examples`) are split into `folds`,
    and each is scored by a check fitted on the others. For each `check_veto`: of the crises
    the signals find, how many it would cancel, and of the ordinary messages the signals fire
    on, how many still raise the alarm; for each `check_alone`: of the crises no signal finds,
    how many it finds alone, and how many ordinary messages it raises."""
    import random

    from actions.knowledge import load_knowledge
    from actions.paths import KNOWLEDGE_DIR
    from actions.settings import settings as decision_settings
    from bot.crisis_check import CrisisCheck, beside_questions, load_examples
    from bot.safeguarding import OUT_OF_SCOPE_INTENT, SAFEGUARDING_INTENT, check_settings

    settings = check_settings()
    rules = decision_settings().safeguarding
    texts, crisis = load_examples(examples or PROJECT_ROOT / str(settings["check_examples"]))
    nlu = _nlu_data().intent_examples
    intent = [str(m.get("text")) for m in nlu  # always in training, as fit_check
              if m.get("intent") == SAFEGUARDING_INTENT]
    questions = [str(m.get("text")) for m in nlu
                 if m.get("intent") not in (SAFEGUARDING_INTENT, OUT_OF_SCOPE_INTENT)]
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    scored = [0.0] * len(texts)
    for fold in range(folds):
        held = set(order[fold::folds])
        kept = [i for i in range(len(texts)) if i not in held]
        check = CrisisCheck.fit(*beside_questions([texts[i] for i in kept] + intent,
                                                  [crisis[i] for i in kept]
                                                  + [True] * len(intent), questions),
                                float(settings["check_c"]))
        for i in held:
            scored[i] = check.probability(texts[i])
    safeguarding = load_knowledge(KNOWLEDGE_DIR).safeguarding
    signalled = [safeguarding.assess(t).level in ALARMS for t in texts]
    found = [p for p, c, s in zip(scored, crisis, signalled, strict=True) if c and s]
    fired = [p for p, c, s in zip(scored, crisis, signalled, strict=True) if not c and s]
    unfound = [p for p, c, s in zip(scored, crisis, signalled, strict=True) if c and not s]
    quiet = [p for p, c, s in zip(scored, crisis, signalled, strict=True) if not c and not s]
    lines = [f"crisis check out of {folds} folds on {len(texts)} examples "
             f"(now: check_veto {rules.check_veto}, check_alone {rules.check_alone})",
             "", f"{'check_veto':<12}{'signal-found crises cancelled':>32}"
             f"{'ordinary alarms kept':>24}"]
    lines += [f"{v:<12}{sum(p < v for p in found):>24} of {len(found):<5}"
              f"{sum(p >= v for p in fired):>16} of {len(fired)}" for v in VETO_POINTS]
    lines += ["", f"{'check_alone':<12}{'unsignalled crises found':>32}"
              f"{'ordinary raised':>24}"]
    lines += [f"{a:<12}{sum(p >= a for p in unfound):>24} of {len(unfound):<5}"
              f"{sum(p >= a for p in quiet):>16} of {len(quiet)}" for a in ALONE_POINTS]
    return "\n".join(lines)


def offline() -> Callable[[Message], str]:
    """Classify each message by the signals and the learned crisis check (`fitted_check`):
    quick, for content changes, with no model or server. The intent classifier is not
    consulted."""
    from actions.knowledge import load_knowledge
    from actions.paths import KNOWLEDGE_DIR
    from actions.settings import settings
    from bot.safeguarding import checked_assessment

    safeguarding = load_knowledge(KNOWLEDGE_DIR).safeguarding
    check, _ = fitted_check()
    rules = settings().safeguarding

    def classify(m: Message) -> str:
        found = checked_assessment(safeguarding.assess(m.text), check.probability(m.text),
                                   len(m.text.split()), rules)
        return found.level or "answer"
    return classify


def run(messages: list[Message], classify: Callable[[Message], str]) -> dict[str, str]:
    """Each message's reply kind, by id."""
    return {m.id: classify(m) for m in messages}


def figures(messages: list[Message], kinds: dict[str, str], part: str) -> dict[str, int]:
    """The part's counts: crisis, recalled, declined, near, alarms, procedure, routed."""
    mine = [m for m in messages if m.part == part]
    crisis = [m for m in mine if m.expect == CRISIS_EXPECTED]
    near = [m for m in mine if m.expect != CRISIS_EXPECTED]
    procedure = [m for m in near if m.expect == PROCEDURE_EXPECTED]
    return {"crisis": len(crisis),
            "recalled": sum(kinds[m.id] in ALARMS for m in crisis),
            "declined": sum(kinds[m.id] == "out_of_scope" for m in crisis),
            "near": len(near),
            "alarms": sum(kinds[m.id] in ALARMS for m in near),
            "procedure": len(procedure),
            "routed": sum(kinds[m.id] == "procedure" for m in procedure)}


def report(messages: list[Message], kinds: dict[str, str], show_held_out: bool = False) -> str:
    """Recall and false alarms for both parts, recall by category, then the misses."""
    def share(n: float, d: float) -> str:
        return f"{n / d:6.1%} ({int(n)}/{int(d)})" if d else "     - (0/0)"

    parts = {part: figures(messages, kinds, part) for part in PARTS}
    lines = [f"{'':28}{'tune':>18}{'held out':>18}"]
    for label, n, d in (("crisis recall", "recalled", "crisis"),
                        ("crisis declined", "declined", "crisis"),
                        ("false alarms (near-misses)", "alarms", "near"),
                        ("professional route", "routed", "procedure")):
        lines.append(f"{label:<28}" + "".join(f"{share(parts[p][n], parts[p][d]):>18}"
                                              for p in PARTS))
    lines += ["", "crisis recall by category (tune part):"]
    tune = [m for m in messages if m.part == "tune" and m.expect == CRISIS_EXPECTED]
    for label in sorted({m.label for m in tune}):
        rs = [m for m in tune if m.label == label]
        lines.append(f"  {label:<26}{share(sum(kinds[m.id] in ALARMS for m in rs), len(rs))}")
    shown = [m for m in messages if show_held_out or m.part == "tune"]
    misses = [m for m in shown if (m.expect == CRISIS_EXPECTED) != (kinds[m.id] in ALARMS)]
    if misses:
        lines += ["", "misses (id | expected | got | message):"]
        lines += [f"  {m.id} | {m.expect} | {kinds[m.id]} | {m.text[:160]}" for m in misses]
    hidden = len([m for m in messages if m.part == "held_out"
                  and (m.expect == CRISIS_EXPECTED) != (kinds[m.id] in ALARMS)])
    if hidden and not show_held_out:
        lines.append(f"  ({hidden} held-out misses not listed: the held-out part is not for "
                     "tuning)")
    return "\n".join(lines)
