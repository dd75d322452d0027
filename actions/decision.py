"""The one decision the assistant makes on each message: `understand`.

From a frozen view of the turn (`Turn`: the text, the NLU's ranking, what the safeguarding
component found, the council, the flow in progress), the knowledge and the settings
(actions/settings.yml), it returns a small `Decision`: give the safeguarding reply first (and
what follows it), answer a topic, ask for the council first, offer "Did you mean" choices,
decline with a signpost, or take the text as the answer a flow is waiting for. The NLU's
ranking is one input; the thresholds that turn it into an outcome are all in the settings.
Nothing here reads a tracker or sends a message: `actions.actions.ActionUnderstand` does.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from actions import answers, flow_runner, search
from actions.knowledge import NATIONAL, KnowledgeBase, TopicFile
from actions.safeguarding import CONCERN, CRISIS, PROCEDURE, Assessment
from actions.settings import AnswerSettings, Settings

SAFEGUARD, ANSWER, ASK_COUNCIL, CHOICES, DECLINE, FLOW_ANSWER = (
    "safeguard", "answer", "ask_council", "choices", "decline", "flow_answer")
"""The outcomes of `understand`."""
SAFEGUARDING_INTENT, OUT_OF_SCOPE_INTENT, UNSURE_INTENT = (
    "safeguarding", "out_of_scope", "nlu_fallback")
"""The NLU's intents for a safeguarding message, a subject the guidance does not cover, and a
message it is unsure of."""

NLU_OUT_OF_SCOPE = "nlu_out_of_scope"
SUBJECT_NOT_COVERED = "subject_not_covered"
FEW_GUIDANCE_WORDS = "few_guidance_words"
OUT_OF_SCOPE_LEADS = "out_of_scope_leads"
WORDS_DISAGREE = "words_disagree"
UNSURE_BETWEEN_TOPICS = "unsure_between_topics"
NO_DECISIVE_TOPIC = "no_decisive_topic"
REASON_CODES = (NLU_OUT_OF_SCOPE, SUBJECT_NOT_COVERED, FEW_GUIDANCE_WORDS, OUT_OF_SCOPE_LEADS,
                WORDS_DISAGREE, UNSURE_BETWEEN_TOPICS, NO_DECISIVE_TOPIC)
"""Why a message was declined or met with choices, as recorded for the content team's report
(tools/report.py says each in plain English): the NLU took it for out of scope; it names a
subject of knowledge/out_of_scope.yml; it uses too few of the guidance's words; out of scope
was the NLU's best guess; the words do not support the topic the NLU chose; the NLU was unsure
between topics; a short question naming a council had no clear topic."""

Ranking = tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class Turn:
    """What the decision reads of one message."""

    text: str
    """The message as the person sent it (redacted and cut by the channel); a button sends
    its payload, which starts with "/"."""
    intent: str | None = None
    """The NLU's intent (`nlu_fallback` when it is unsure of every intent)."""
    confidence: float = 1.0
    """How sure the NLU is of `intent`."""
    ranking: Ranking = ()
    """The NLU's intents and confidences, best first."""
    safeguarding: Mapping[str, Any] | None = None
    """What the NLU's safeguarding component found (its record, with the spans), if anything."""
    council: str | None = None
    """The council to answer for, when known."""
    flow_state: dict[str, Any] | None = None
    """The decision flow in progress, if any."""

    @property
    def typed(self) -> str:
        """What the person typed; "" for a button."""
        return "" if self.text.startswith("/") else self.text


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a message."""

    outcome: str
    """One of SAFEGUARD, ANSWER, ASK_COUNCIL, CHOICES, DECLINE, FLOW_ANSWER."""
    topic: str | None = None
    """ANSWER and ASK_COUNCIL: the topic to answer (once the council is known)."""
    section: str | None = None
    """ANSWER: the one section of the topic's answer a narrow question gets, if one."""
    choices: tuple[str, ...] = ()
    """CHOICES: the topics to offer, best first; DECLINE: topics the message also named."""
    subject: str | None = None
    """DECLINE: the subject of knowledge/out_of_scope.yml the message is about, if one."""
    signpost: bool = True
    """DECLINE and CHOICES: whether the one-line safeguarding signpost may come first (False
    right after the safeguarding reply, which has just given it)."""
    level: str | None = None
    """SAFEGUARD: the level (crisis, concern or procedure)."""
    then: Decision | None = None
    """SAFEGUARD: what follows the safeguarding reply (an answer to a SEND question in the same
    message, or, after the softer signpost, what an unsure message gets), if anything."""
    reason: str = ""
    """Why, in a few words (for a decline or choices, one of the codes above), for logs, tests
    and the content team's report; never the message's text."""


def understand(turn: Turn, kb: KnowledgeBase, settings: Settings) -> Decision:
    """The assistant's decision for one message (see the module docstring)."""
    if turn.intent == SAFEGUARDING_INTENT:
        return safeguard(turn, kb, settings)
    if turn.intent == OUT_OF_SCOPE_INTENT:
        return declined(turn, kb, kb.out_of_scope.subject_of(turn.typed), NLU_OUT_OF_SCOPE)
    if turn.intent in kb.topics:
        return topic_chosen(turn, kb, settings)
    if flow_runner.understands(kb, turn.flow_state, turn.text):  # an answer the NLU was unsure of
        return Decision(FLOW_ANSWER, reason="answers the flow's question")
    return unsure(turn, kb, settings)


def safeguard(turn: Turn, kb: KnowledgeBase, settings: Settings) -> Decision:
    """The safeguarding reply first, then an answer to a SEND question asked beside it, or,
    after the softer signpost with no such question, what an unsure message gets."""
    found = turn.safeguarding or {"level": CRISIS}
    level = str(found.get("level") or CRISIS)
    then: Decision | None = None
    if level != PROCEDURE:
        topic = question_beside(turn, kb, settings.answer)
        if topic is not None:
            then = (Decision(ASK_COUNCIL, topic=topic, reason="a question beside the signal")
                    if answers.needs_council(kb, topic, turn.council)
                    else Decision(ANSWER, topic=topic, reason="a question beside the signal"))
        elif level == CONCERN:
            # The softer signpost is not an answer: the question still gets what any message
            # the assistant is unsure of gets, without a second signpost.
            guess = best_guess(turn.ranking)
            then = (declined(turn, kb, kb.out_of_scope.subject_of(turn.typed),
                             OUT_OF_SCOPE_LEADS, signpost=False)
                    if guess is not None and guess[0] == OUT_OF_SCOPE_INTENT
                    else unsure(turn, kb, settings, signpost=False))
    return Decision(SAFEGUARD, level=level, then=then, reason="a safeguarding signal")


def topic_chosen(turn: Turn, kb: KnowledgeBase, settings: Settings) -> Decision:
    """The NLU chose a topic: answer it, or the local topic the law under it adds to
    (`family_choice`), when the checks of `verdict` agree; else "Did you mean" or a decline."""
    rules = settings.answer
    topic, confidence = str(turn.intent), turn.confidence
    text = turn.typed
    chosen = family_choice(kb, turn.ranking, rules, asks_about_law(kb, text))
    if text and chosen is not None and chosen[1] > confidence:
        topic, confidence = chosen
    # "is there school transport with an EHCP?": SEND words, but not this guidance, unless the
    # topic it was taken for speaks of that term itself
    subject = kb.out_of_scope.subject_of(text, covered_by(kb, topic))
    if subject is not None:
        return declined(turn, kb, subject, SUBJECT_NOT_COVERED)
    together = with_related_law(kb, topic, turn.ranking, rules)
    if together >= rules.sure_alone_national > confidence:
        topic = law_part_asked(kb, topic, turn.ranking, text, settings)
    judged = verdict(search.index(kb), topic, confidence, text, rules, family_members(kb, topic),
                     kb.national_only(topic), together)
    if judged == DECLINE:
        return declined(turn, kb, None, FEW_GUIDANCE_WORDS)
    if judged == CHOICES:
        return offered(turn, kb, text, settings, reason=WORDS_DISAGREE)
    if answers.needs_council(kb, topic, turn.council):
        return Decision(ASK_COUNCIL, topic=topic, reason="the answer depends on the council")
    return Decision(ANSWER, topic=topic, reason="the NLU chose it",
                    section=section_of(kb, topic, turn.council, text, rules))


def unsure(turn: Turn, kb: KnowledgeBase, settings: Settings, signpost: bool = True) -> Decision:
    """A message the NLU is unsure of: decline a subject the guidance does not cover, or a
    message with too few of its words, or one whose best guess is out of scope; answer a topic
    the NLU and the word search agree on; else offer the closest topics."""
    rules = settings.answer
    index = search.index(kb)
    # Unsure of any one topic, the NLU may still be sure of a local topic and the law under it
    # together (family_choice).
    chosen = family_choice(kb, turn.ranking, rules, asks_about_law(kb, turn.typed))
    subject = kb.out_of_scope.subject_of(
        turn.text, covered_by(kb, chosen[0]) if chosen is not None else ())
    if subject is not None:
        return declined(turn, kb, subject, SUBJECT_NOT_COVERED, signpost)
    if index.relevance(turn.typed) < rules.min_relevance:
        return declined(turn, kb, None, FEW_GUIDANCE_WORDS, signpost)
    if out_of_scope_leads(turn.ranking, chosen):
        return declined(turn, kb, None, OUT_OF_SCOPE_LEADS, signpost)
    if chosen is not None:
        topic, sure = chosen
        kin = family_members(kb, topic)
        others = [c for name, c in turn.ranking if name in kb.topics and name not in {topic, *kin}]
        tied = bool(others) and sure - max(others) < settings.nlu.tied_within
        together = with_related_law(kb, topic, turn.ranking, rules)
        answer = not tied and (
            sure >= rules.sure_alone and verdict(index, topic, sure, turn.typed, rules, kin,
                                                 kb.national_only(topic)) == ANSWER
            or sure >= rules.sure_with_top_words and top_words_agree(index, topic, turn.typed, kin)
        ) or together >= rules.sure_alone_national
        if together >= rules.sure_alone_national > sure:
            topic = law_part_asked(kb, topic, turn.ranking, turn.typed, settings)
        if answer and not answers.needs_council(kb, topic, turn.council):
            return Decision(ANSWER, topic=topic, reason="the NLU and the words agree",
                            section=section_of(kb, topic, turn.council, turn.typed, rules))
    return offered(turn, kb, turn.text, settings, signpost, UNSURE_BETWEEN_TOPICS)


def terse_question(turn: Turn, kb: KnowledgeBase, question: str,
                   settings: Settings) -> Decision | None:
    """A message that names a council and asks something of the guidance in few words ("EHCNA
    criteria sefton", the council names taken out as `question`): its topic from the word
    search alone when one is decisive, else "Did you mean"; None when it asks nothing of the
    guidance ("I'm in Sefton")."""
    rules = settings.answer
    index = search.index(kb)
    if index.relevance(question) < rules.min_relevance:
        return None
    matches = index.search(question)
    runner_up = matches[1].words if len(matches) > 1 else 0.0
    if matches[0].words >= max(rules.decisive_words, rules.decisive_ratio * runner_up):
        return Decision(ANSWER, topic=matches[0].topic, reason="decisive words")
    return offered(turn, kb, question, settings, reason=NO_DECISIVE_TOPIC)


def section_of(kb: KnowledgeBase, topic: str, council: str | None, text: str,
               rules: AnswerSettings) -> str | None:
    """The one section of the topic's answer (for this council) a typed question asks about,
    or None for the whole answer: the section whose own words (those of its heading and
    example questions that not every section of the answer uses) the question uses most, when
    they weigh at least `section_words` and `section_ratio` times the next section's, and the
    next section's words weigh less than `section_other_words` (else the question asks about
    two parts, and gets the whole answer, as a message asking two things does)."""
    chosen = answers.pick_file(kb, topic, council)
    if not text or len(chosen.sections) < 2 or questions_asked(text) > 1:
        return None
    index = search.index(kb)
    words = set(index.query_words(text))
    scored = sorted(((sum(index.weight.get(w, 0.0) for w in words & own), section.id)
                     for section, own in zip(chosen.sections, _own_words(index, chosen),
                                             strict=True)), reverse=True)
    (best, section_id), (runner_up, _) = scored[0], scored[1]
    if (best >= rules.section_words and best >= rules.section_ratio * runner_up
            and runner_up < rules.section_other_words):  # not two parts asked at once
        return section_id
    return None


_CLAUSES = re.compile(r"[.?!;\n]+|,? +(?:and|also|plus) +", re.IGNORECASE)
_ASKING = re.compile(r"^(?:what|how|when|where|who|whose|why|which|can|could|is|are|was|do|does|"
                     r"did|should|will|would|have|has|may|must|am|if)\b", re.IGNORECASE)


def questions_asked(text: str) -> int:
    """How many questions a message asks: its sentences and `and`-joined clauses that open
    with a question word ("what can we appeal, and how long have we got?" asks 2)."""
    return sum(bool(_ASKING.match(clause.strip(" ,:-'\"("))) and len(clause.split()) >= 2
               for clause in _CLAUSES.split(text))


@lru_cache(maxsize=256)
def _own_words(index: search.TopicIndex, topic_file: TopicFile) -> tuple[frozenset[str], ...]:
    """Each section's words (heading and example questions) that not every section uses;
    never a number ("under 5" is not "5 days")."""
    bags = [frozenset(w for w in index.query_words(" ".join((s.heading, *s.questions)))
                      if w.isalpha()) for s in topic_file.sections]
    shared = frozenset.intersection(*bags)
    return tuple(bag - shared for bag in bags)


def declined(turn: Turn, kb: KnowledgeBase, subject: str | None, reason: str,
             signpost: bool = True) -> Decision:
    """Decline, naming the out-of-scope `subject` if one, and offering any topics the message
    also named."""
    return Decision(DECLINE, subject=subject, signpost=signpost, reason=reason,
                    choices=tuple(search.index(kb).mentioned(turn.typed)))


def offered(turn: Turn, kb: KnowledgeBase, text: str, settings: Settings,
            signpost: bool = True, reason: str = "") -> Decision:
    """"Did you mean" the closest topics to `text`, ranked by the NLU and the word search
    together."""
    nlu = [(name, confidence) for name, confidence in turn.ranking if name in kb.topics]
    ranked = search.index(kb).search(text, nlu, settings.choices.nlu_weight)
    return Decision(CHOICES, choices=tuple(m.topic for m in ranked)[:settings.choices.max_choices],
                    signpost=signpost, reason=reason)


def verdict(index: search.TopicIndex, topic: str, confidence: float, text: str,
            rules: AnswerSettings, kin: frozenset[str] = frozenset(),
            national_only: bool = False, together: float = 0.0) -> str:
    """Whether to answer the topic the NLU chose for a typed message (ANSWER), offer "Did you
    mean" instead (CHOICES), or decline the message as not about the guidance (DECLINE).
    `kin`: topics layered with it (family_members), whose word matches agree with it too; a
    `national_only` topic (the law alone, no council's text) needs `sure_alone_national` to be
    answered without the words agreeing, alone or `together` with the law topics it names as
    related (with_related_law)."""
    if not text or confidence >= rules.sure_without_words:
        return ANSWER
    if index.relevance(text) < rules.min_relevance:
        return DECLINE
    if confidence >= (rules.sure_alone_national if national_only else rules.sure_alone):
        return ANSWER
    if national_only and together >= rules.sure_alone_national:
        return ANSWER
    if national_only and confidence < rules.sure_alone:  # the law alone, and unsure: the words
        # must put it (or its kin) first, untied
        return ANSWER if top_words_agree(index, topic, text, kin, alone=True) else CHOICES
    best = sorted(index.search(text), key=lambda m: -m.words)[:rules.word_agreement]
    return ANSWER if {topic, *kin} & {m.topic for m in best} else CHOICES


def top_words_agree(index: search.TopicIndex, topic: str, text: str,
                    kin: frozenset[str] = frozenset(), alone: bool = False) -> bool:
    """Whether the word search's best match (or one tied with it; with `alone`, none may tie
    with it) is the topic or one layered with it."""
    matches = index.search(text)
    top = max((m.words for m in matches), default=0.0)
    best = {m.topic for m in matches if m.words == top}
    return top > 0 and bool(best & {topic, *kin}) and (not alone or len(best) == 1)


def with_related_law(kb: KnowledgeBase, topic: str, ranking: Ranking,
                     rules: AnswerSettings) -> float:
    """For a topic only the law answers, the NLU's confidence in it together with the law topics
    it names as `related` among the NLU's `family_among` best guesses (0 for any other topic).
    "They assessed and said no plan: can we appeal?" splits the NLU between the decision not to
    issue a plan (0.7) and appeals (0.29): sure of that part of the law, unsure which half. The
    half the NLU and the word search rank first together is answered (`law_part_asked`), and
    its answer offers the other. Chosen on the tune parts (2026-11-30):
    with `sure_alone_national` as the bar, national questions answered right rose from 47 to 52
    of 66 and realistic ones from 88 to 90 of 151, with no more wrong answers on either or on
    the dev and extended sets."""
    if not kb.national_only(topic):
        return 0.0
    related = {t for t in kb.topics[topic][NATIONAL].related if kb.national_only(t)}
    guesses = [(name, c) for name, c in ranking if name in kb.topics][:rules.family_among]
    return sum(c for name, c in guesses if name == topic or name in related)


def law_part_asked(kb: KnowledgeBase, topic: str, ranking: Ranking, text: str,
                   settings: Settings) -> str:
    """Of a national topic and the law topics it names as related that the NLU guessed (sure of
    them together, not of one: `with_related_law`), the one the NLU and the word search rank
    first together, as "Did you mean" ranks its choices."""
    related = {topic, *kb.topics[topic][NATIONAL].related}
    guesses = [(name, c) for name, c in ranking[:settings.answer.family_among]
               if name in related and kb.national_only(name)]
    named = {name for name, _ in guesses}
    ranked = search.index(kb).search(text, guesses, settings.choices.nlu_weight)
    return next((m.topic for m in ranked if m.topic in named), topic)


def family_members(kb: KnowledgeBase, topic: str) -> frozenset[str]:
    """The topics layered with this one: the national topics whose notes follow it, or, for a
    national topic, the local topics its note follows."""
    national = kb.topics[topic].get(NATIONAL)
    own = set(national.adds_to) if national is not None else set()
    return frozenset(own | {f.id for f in kb.law_notes(topic)})


def asks_about_law(kb: KnowledgeBase, text: str) -> bool:
    """Whether a message asks about the law itself (phrases.yml `law_question_words`), a
    misspelt one ("is that leagal?") read as the guidance's word it stands for."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    law = _law_words(kb.phrases["law_question_words"])
    # the search's own reading of the message (spelling corrected, cached for the message)
    return bool(law & words or law & set(search.index(kb).query_words(text)))


@lru_cache(maxsize=4)
def _law_words(listed: str) -> frozenset[str]:
    return frozenset(w.strip().lower() for w in listed.split(",") if w.strip())


def family_choice(kb: KnowledgeBase, ranking: Ranking,
                  rules: AnswerSettings, asks_law: bool = False) -> tuple[str, float] | None:
    """The NLU's choice with the law layered under the council's guidance: a national topic
    whose "What the law says" note follows a local topic the NLU also guessed counts with that
    local topic, and the local topic is answered (its answer ends with the note and a button
    to the national answer). So the council's own guidance comes first, and a question the
    NLU splits between the two is not taken for one it is unsure of. A question about the law
    itself (`asks_law`: "is that legal?") is the other way round: the family counts with the
    national topic, which is answered. A topic the NLU is sure of by itself
    (`family_law_alone`) is answered either way, whatever small share its partner has: the
    law's topic alone, or the council's with the law's note. Returns the topic and its
    family's summed confidence, or None when the ranking names no topic."""
    confidence = {name: c for name, c in ranking[:rules.family_among] if name in kb.topics}
    family: dict[str, float] = {}
    for name, value in confidence.items():
        if asks_law:
            # A question about the law itself ("is that legal?", "what is the legal test?")
            # gets the law's answer: a local topic counts with the national topic over it.
            law = [f.id for f in kb.law_notes(name)
                   if confidence.get(f.id, 0.0) >= rules.family_floor
                   and value < rules.family_law_alone]
            target = max(law, key=confidence.__getitem__) if law else name
        else:
            local = ([t for t in kb.topics[name][NATIONAL].adds_to
                      if confidence.get(t, 0.0) >= rules.family_floor]
                     if kb.national_only(name) and value < rules.family_law_alone else [])
            target = max(local, key=confidence.__getitem__) if local else name
        family[target] = family.get(target, 0.0) + value
    if not family:
        return None
    return max(family.items(), key=lambda item: item[1])


def covered_by(kb: KnowledgeBase, topic: str) -> Iterator[str]:
    """The questions and aliases of a topic and the topics layered with it: the words it
    answers about, which an out-of-scope subject's term does not turn away. Lazy: they are
    read only when a message uses such a term."""
    for t in (topic, *sorted(family_members(kb, topic))):
        yield from kb.questions(t)
        yield from kb.aliases(t)


def best_guess(ranking: Ranking) -> tuple[str, float] | None:
    """The NLU's best guess at what a message is about: the first of its ranking that is
    neither `safeguarding` nor `nlu_fallback`."""
    return next((r for r in ranking if r[0] not in (SAFEGUARDING_INTENT, UNSURE_INTENT)), None)


def out_of_scope_leads(ranking: Ranking, chosen: tuple[str, float] | None) -> bool:
    """Whether, in a message the NLU is unsure of, its best guess is that the guidance does not
    cover it, ahead of any topic and of the best topic family (`family_choice`): then "Did you
    mean" would offer only topics less likely than a decline (chosen on the tune parts, where
    all 5 such messages were out of scope)."""
    guess = best_guess(ranking)
    if guess is None or guess[0] != OUT_OF_SCOPE_INTENT:
        return False
    return chosen is None or chosen[1] < guess[1]


def question_beside(turn: Turn, kb: KnowledgeBase, rules: AnswerSettings) -> str | None:
    """The topic of a SEND question asked in the same message as a safeguarding signal ("she's
    been cutting herself. can she get an EHCP?"): the NLU read only the rest of such a message
    (bot.safeguarding), so its best topic is answered when the NLU is sure of it alone
    (`sure_alone`), the rest is about the guidance and the usual checks (`verdict`) agree; else
    None."""
    found = turn.safeguarding or {}
    spans = tuple(tuple(s) for s in found.get("spans") or [] if len(s) == 2)
    rest = Assessment(level=found.get("level"), spans=spans).rest(turn.typed)  # type: ignore[arg-type]
    ranking = [(name, c) for name, c in turn.ranking if name in kb.topics]
    if not rest or not ranking:
        return None
    index = search.index(kb)
    if index.relevance(rest) < rules.min_relevance:
        return None
    topic, confidence = ranking[0]
    if confidence < rules.sure_alone:  # after a crisis reply, no guess: the person can ask again
        return None
    return topic if verdict(index, topic, confidence, rest, rules) == ANSWER else None


def ranking_of(intent_ranking: Sequence[Mapping[str, Any]]) -> Ranking:
    """Rasa's intent ranking (a list of {name, confidence}) as the decision reads it."""
    return tuple((str(r.get("name")), float(r.get("confidence") or 0.0)) for r in intent_ranking)
