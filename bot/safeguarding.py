"""NLU components that read every message for safeguarding signals before any policy or
action sees it.

SafeguardingReader runs first; SafeguardingClassifier runs last in the pipeline (after the
FallbackClassifier). Together they ask the detector built from
knowledge/safeguarding.yml (actions.safeguarding) what the message shows, and combines that
with the intent the classifier learnt from examples (`safeguarding`):
- a crisis (or a learned `safeguarding` guess of at least `learned_crisis`): the intent becomes
  `safeguarding` with full confidence, so the rule for it answers first, whatever else the
  message seemed to be about; the classifier's ranking stays behind it, so the action can still
  answer a SEND question asked in the same message;
- a concern (an ambiguous signal, a learned guess of at least `learned_concern`, or of at least
  `learned_lean` when the message would otherwise be declined or unsure), or a
  professional's safeguarding procedure question: the intent becomes `safeguarding` too, and
  the action gives the softer signpost or the professional's route before any answer;
- otherwise a learned guess of `safeguarding` too weak to trust becomes `nlu_fallback`.
Then the learned crisis check (bot/crisis_check.py), which reads the whole message, has its say:
a crisis or concern it thinks less likely than `check_veto` is not one (an everyday use of the
words: the signal is recorded as cancelled by `check`), unless a signal marked `sure` fired;
where nothing fired, a message it is at least `check_alone` sure of gets the softer signpost;
and a professional's case it is that sure of ("disclosed today...", with the procedure's
words) is a crisis, in the professional's wording, not just their route. The check is trained
with the model, from data/safeguarding/check.yml and the `safeguarding` intent's examples.
Every message with any signal, even one cancelled as a figure of speech, carries
`safeguarding` in its parse data (level, signal ids, categories, who is at risk: never text),
so no decline, "Did you mean" or error reply leaves out the one-line signpost.
Every threshold named here is the decision's, in actions/settings.yml (`safeguarding`).
The signals and the thresholds are read when the server starts; restart it after changing them
(no retraining).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.errors import KnowledgeError, Problem
from actions.paths import KNOWLEDGE_DIR, PROJECT_ROOT
from actions.safeguarding import (
    CHECK_CANCELLED,
    CONCERN,
    CRISIS,
    PROCEDURE,
    SAFEGUARDING_FILE,
    Assessment,
    Safeguarding,
    load_safeguarding,
)
from actions.settings import SafeguardingSettings, settings
from bot.crisis_check import CrisisCheck, beside_questions, load_examples

log = logging.getLogger(__name__)

SAFEGUARDING_INTENT = "safeguarding"
OUT_OF_SCOPE_INTENT = "out_of_scope"
PARSE_KEY = "safeguarding"
"""The parse-data key that carries the assessment (see Assessment.record)."""
WRITER_KEY = "writer"
"""The parse-data key set to `professional` when the message reads as a professional's ("SENCO
here", "my caseload": the `professional` context words), so that answers need not read it
again."""
CHECK_EXAMPLES = "data/safeguarding/check.yml"
"""The crisis check's examples, relative to the project."""
CHECK_C = 10.0
"""The check's inverse regularisation strength."""
CHECK_LEANED = "check_unsure"
"""The signal recorded when the check brought the softer signpost to a message the assistant
was otherwise unsure of (`check_lean`)."""
CHECK_FILE = "crisis_check.npz"
"""The fitted check, in the component's model storage."""


@lru_cache(maxsize=1)
def load() -> Safeguarding:
    """The safeguarding file of the knowledge folder, loaded once per Rasa process and shared
    by the NLU component and the replies sent when a part of the assistant is down."""
    problems: list[Problem] = []
    result = load_safeguarding(KNOWLEDGE_DIR, problems, str(KNOWLEDGE_DIR / SAFEGUARDING_FILE))
    if result is None:
        raise KnowledgeError(problems)
    result.assess("")  # compile the signals now, at start-up, not on the first person's message
    return result


def loaded() -> Safeguarding | None:
    """As `load`, or None (logged) when the file cannot be loaded."""
    try:
        return load()
    except KnowledgeError as err:
        log.error("knowledge/safeguarding.yml could not be loaded: %s", err)
        return None


def signpost_line(text: str) -> str | None:
    """The one-line signpost for a message with a safeguarding signal that the assistant could
    not handle (the database is down), or None."""
    safeguarding = loaded()
    if safeguarding is None or not safeguarding.assess(text).present:
        return None
    return safeguarding.signpost_line


ASSESSMENT_KEY = "safeguarding_assessment"
"""Where SafeguardingReader leaves its Assessment for SafeguardingClassifier (not output)."""
ORIGINAL_TEXT_KEY = "safeguarding_text"
"""The message as typed, while the classifier reads only the words beside a crisis."""
MIN_REST_WORDS = 3
"""The fewest words beside a crisis that the classifier reads on their own."""


def _role(message: Message) -> str | None:
    role = (message.get("metadata") or {}).get("role")
    return role if isinstance(role, str) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafeguardingReader(GraphComponent, IntentClassifier):
    """First in the pipeline: reads each message for safeguarding signals. Beside a crisis the
    intent classifier then reads only the other words ("...can she get an EHCP?"), so a SEND
    question asked in the same message is understood on its own; SafeguardingClassifier, last,
    puts the message back as typed."""

    def __init__(self, safeguarding: Safeguarding) -> None:
        self.safeguarding = safeguarding

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafeguardingReader:
        return cls(load())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):  # a button's payload, not words
                continue
            found = self.safeguarding.assess(text, _role(message))
            message.set(ASSESSMENT_KEY, found)
            rest = found.rest(text) if found.level == CRISIS else ""
            if len(rest.split()) >= MIN_REST_WORDS:
                message.set(ORIGINAL_TEXT_KEY, text)
                message.set(TEXT, rest)
        return messages


def checked_assessment(found: Assessment, checked: float, words: int,
                       rules: SafeguardingSettings, unsure: bool = False) -> Assessment:
    """The assessment once the crisis check, `checked` sure of a crisis in a message of
    `words` words, has had its say (the thresholds: actions/settings.yml `safeguarding`);
    `unsure`: the message would otherwise be declined or met with "Did you mean", where a check
    of at least `check_lean` is enough for the softer signpost."""
    veto, alone, lean = rules.check_veto, rules.check_alone, rules.check_lean
    if found.level in (CRISIS, CONCERN) and checked < veto and not found.sure:
        # Harm words in a message the check reads as ordinary: recorded as cancelled, so a
        # decline or "Did you mean" still carries the one-line signpost.
        return replace(found, level=None, cancelled=(*found.cancelled, CHECK_CANCELLED),
                       spans=())
    if found.level is None and words >= rules.check_alone_words and (
            checked >= alone or (unsure and checked >= lean)):
        return Assessment(level=CONCERN,
                          signals=("check",) if checked >= alone else (CHECK_LEANED,),
                          categories=("unspecified",), at_risk=("child",),
                          cancelled=found.cancelled, professional=found.professional)
    harm = any(c != PROCEDURE for c in found.categories)
    if found.level == PROCEDURE and checked >= (alone if harm else max(alone, rules.check_case)):
        # A professional who names the procedure and whose message the check is sure of is
        # reporting a case ("a young person on my caseload disclosed today...", "he told me he
        # does it most nights, our DSL has gone home"), not asking about the process: the crisis
        # reply comes first, worded for a professional. With no harm signal beside the
        # procedure's words, the check must be surer (`case`).
        return replace(found, level=CRISIS, signals=(*found.signals, "check"))
    return found


def check_settings(config_path: Path = PROJECT_ROOT / "bot" / "config.yml") -> dict[str, Any]:
    """SafeguardingClassifier's settings in the Rasa config, over the defaults."""
    import yaml

    pipeline = (yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}).get("pipeline")
    mine = [c for c in pipeline or [] if str(c.get("name", "")).endswith(".SafeguardingClassifier")]
    return {**SafeguardingClassifier.get_default_config(), **(mine[0] if mine else {})}


def fit_check(config: dict[str, Any], training_data: TrainingData) -> CrisisCheck:
    """The crisis check fitted on its examples file and the `safeguarding` intent's examples in
    the NLU training data, the short ones also beside the other intents' questions
    (bot.crisis_check.beside_questions)."""
    texts, crisis = load_examples(PROJECT_ROOT / str(config["check_examples"]))
    intent = [e.get(TEXT) for e in training_data.intent_examples
              if e.get(INTENT) == SAFEGUARDING_INTENT]
    questions = [str(e.get(TEXT)) for e in training_data.intent_examples
                 if e.get(INTENT) not in (SAFEGUARDING_INTENT, OUT_OF_SCOPE_INTENT)]
    return CrisisCheck.fit(*beside_questions([*texts, *intent],
                                             [*crisis, *[True] * len(intent)], questions),
                           float(config["check_c"]))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafeguardingClassifier(GraphComponent, IntentClassifier):
    """Marks safeguarding messages (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Its training settings; its thresholds are the decision's (actions/settings.yml)."""
        return {"check_examples": CHECK_EXAMPLES, "check_c": CHECK_C}

    def __init__(self, safeguarding: Safeguarding, rules: SafeguardingSettings | None = None,
                 check: CrisisCheck | None = None, config: dict[str, Any] | None = None,
                 model_storage: ModelStorage | None = None,
                 resource: Resource | None = None, unsure_below: float | None = None) -> None:
        self.safeguarding = safeguarding
        self.rules = rules or settings().safeguarding
        """The thresholds (actions/settings.yml `safeguarding`)."""
        self.unsure_below = settings().nlu.unsure_below if unsure_below is None else unsure_below
        """Below this no intent is sure (actions/settings.yml `nlu`)."""
        self.check = check
        self._config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext,
               check: CrisisCheck | None = None) -> SafeguardingClassifier:
        return cls(load(), settings().safeguarding, check, {**cls.get_default_config(), **config},
                   model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SafeguardingClassifier:
        check = None
        try:
            with model_storage.read_from(resource) as directory:
                check = CrisisCheck.load(directory / CHECK_FILE)
        except (ValueError, OSError, KeyError) as err:
            log.warning("The model has no crisis check (%s): retrain it (`make train`); "
                        "until then only the signals and the learned intent decide", err)
        return cls.create(config, model_storage, resource, execution_context, check)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The examples file is not part of Rasa's training data: its content goes into the
        fingerprint, so that editing it retrains the check."""
        path = PROJECT_ROOT / str(config.get("check_examples", CHECK_EXAMPLES))
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the crisis check on its examples and the `safeguarding` intent's examples."""
        self.check = fit_check(self._config, training_data)
        if self._model_storage is not None and self._resource is not None:
            with self._model_storage.write_to(self._resource) as directory:
                self.check.save(Path(directory) / CHECK_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _unsure(self, message: Message) -> bool:
        """Whether the assistant would otherwise decline the message or be unsure of it: no
        intent but `safeguarding` reaches `unsure_below`, or out_of_scope leads."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        others = [r for r in ranking if r.get("name") not in (SAFEGUARDING_INTENT, "nlu_fallback")]
        return (not others or others[0].get("name") == OUT_OF_SCOPE_INTENT
                or float(others[0].get("confidence") or 0.0) < self.unsure_below)

    def _lean_to_signpost(self, message: Message) -> bool:
        """Whether a learned safeguarding guess of at least `learned_lean` meets a message the
        assistant would otherwise decline or be unsure of."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        guess = next((float(r.get("confidence") or 0.0) for r in ranking
                      if r.get("name") == SAFEGUARDING_INTENT), 0.0)
        return guess >= self.rules.learned_lean and self._unsure(message)

    def _process(self, message: Message) -> None:
        original = message.get(ORIGINAL_TEXT_KEY)
        if original is not None:
            message.set(TEXT, original)
        text = message.get(TEXT) or ""
        if text.startswith("/"):  # a button's payload, not words
            return
        found = message.get(ASSESSMENT_KEY)
        if not isinstance(found, Assessment):  # no SafeguardingReader earlier in the pipeline
            found = self.safeguarding.assess(text, _role(message))
        intent = message.get(INTENT) or {}
        learned = (float(intent.get("confidence") or 0.0)
                   if intent.get("name") == SAFEGUARDING_INTENT else 0.0)
        # The learned intent speaks only where the signals saw nothing at all: a signal the file
        # cancelled (a figure of speech, a past harm that is over) is not overruled by it.
        if not found.present and (learned >= self.rules.learned_concern
                                  or self._lean_to_signpost(message)):
            level = CRISIS if learned >= self.rules.learned_crisis else CONCERN
            found = Assessment(level=level, signals=("learned",), categories=("unspecified",),
                               at_risk=("child",), cancelled=found.cancelled,
                               professional=found.professional)
        if found.professional:
            message.set(WRITER_KEY, "professional", add_to_output=True)
        words = len(text.split())
        # The check changes nothing for a short message with no signal (a flow answer, "yes"):
        # it is not asked there, on the path every message takes.
        asked = self.check is not None and (found.level is not None
                                            or words >= self.rules.check_alone_words)
        checked = self.check.probability(text) if asked and self.check is not None else None
        if checked is not None:
            found = checked_assessment(found, checked, words, self.rules, self._unsure(message))
        if found.present:
            message.set(PARSE_KEY, {**found.record(), "learned": round(learned, 3),
                                    "check": None if checked is None else round(checked, 3),
                                    "spans": [list(s) for s in found.spans]},
                        add_to_output=True)
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                   if r.get("name") != SAFEGUARDING_INTENT]
        if found.level is not None:
            marked = {"name": SAFEGUARDING_INTENT, "confidence": 1.0}
            message.set(INTENT, marked, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [marked, *ranking], add_to_output=True)
        elif learned:  # a weak guess of safeguarding: unsure, not a safeguarding reply
            unsure = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": learned}
            message.set(INTENT, unsure, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [unsure, *ranking], add_to_output=True)
