"""Which council's guidance a conversation should use."""
from __future__ import annotations

from rapidfuzz import fuzz, process

from actions.knowledge import KnowledgeBase, normalise_question

FUZZY_CUTOFF = 85
"""How close (0-100) a misspelt council name must be to count ("havring" -> havering)."""


def match_council(kb: KnowledgeBase, name: str | None) -> str | None:
    """The id of the council a name refers to, allowing small misspellings, or None."""
    if not name:
        return None
    wanted = normalise_question(name)
    names = {normalise_question(alias): council.id
             for council in kb.councils.values()
             for alias in (council.id, council.name, *council.aliases)}
    if wanted in names:
        return names[wanted]
    best = process.extractOne(wanted, list(names), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return names[best[0]] if best else None


def choose_council(kb: KnowledgeBase, *, mentioned: list[str], metadata: str | None,
                   current: str | None, default: str | None,
                   chosen: str | None = None) -> str | None:
    """The council to answer for, most specific first.

    A council named in the message ("what about Havering?") wins; then one the person chose
    earlier in the conversation (it holds until they choose another); then the website's
    `metadata.local_authority`; then the council the conversation already uses; then the
    deployment's default. A metadata council with no knowledge pack is kept as it is, so the
    answer can say that council's guidance is not here yet.
    """
    named = mentioned_council(kb, mentioned)
    if named:
        return named
    if chosen in kb.councils:
        return chosen
    if metadata:
        return match_council(kb, metadata) or metadata.strip().lower()
    return current or (match_council(kb, default) if default else None)


def mentioned_council(kb: KnowledgeBase, mentioned: list[str]) -> str | None:
    """The first council a message names that has a knowledge pack, or None."""
    for name in mentioned:
        council = match_council(kb, name)
        if council:
            return council
    return None
