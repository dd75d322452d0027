"""Compose the assistant's replies from knowledge: text, buttons and the CONTRACT.md payload."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

from actions.knowledge import COMMON, NATIONAL, KnowledgeBase, TopicFile
from actions.render import to_html, to_text
from actions.sources import SourceRef

MAX_RELATED_BUTTONS = 3
"""How many related topics to offer under an answer."""
CONTACT_TOPICS = ("senco_role", "local_offer")
"""The topics whose sources say who to talk to: the school's SENCO and the Local Offer."""


@dataclass(slots=True)
class Reply:
    """One message to send: text, optional buttons and optional custom payload."""

    text: str
    """Plain text, for every channel."""
    buttons: list[dict[str, str]] = field(default_factory=list)
    """Rasa buttons: `title` shown, `payload` sent back."""
    custom: dict[str, Any] | None = None
    """The `custom` payload of CONTRACT.md, or None for small talk."""


def topic_payload(topic_id: str) -> str:
    """The button payload that asks for a topic directly."""
    return f"/{topic_id}"


def council_payload(council_id: str) -> str:
    """The button payload that chooses a council."""
    return "/inform_council" + json.dumps({"council": council_id})


def needs_council(kb: KnowledgeBase, topic_id: str, council: str | None) -> bool:
    """Whether the answer differs between councils and the asker's council is not known."""
    files = kb.topics[topic_id]
    return (council is None and COMMON not in files and NATIONAL not in files
            and len(files) > 1)


def pick_file(kb: KnowledgeBase, topic_id: str, council: str | None) -> TopicFile:
    """The asker's council's file, else the common one, else the national layer's (the law
    every council works under), else another council's."""
    files = kb.topics[topic_id]
    for key in (council, COMMON, NATIONAL):
        if key in files:
            return files[key]
    return files[sorted(files)[0]]


def compose_answer(kb: KnowledgeBase, topic_id: str, council: str | None,
                   section: str | None = None) -> Reply:
    """The answer to a topic for a council, with its note, source line and payload; under a
    local answer, "What the law says" from each national file that adds to it. With a
    `section` of the council's file, only that part of the answer, under its heading, saying
    so, with a button to the whole answer first (`custom.section` is its id)."""
    chosen = pick_file(kb, topic_id, council)
    part = chosen.section(section)
    note = ""
    if chosen.council not in (COMMON, NATIONAL) and chosen.council != council:
        owner = kb.council_name(chosen.council)
        note = (kb.phrases["other_council_note"].format(asked=kb.council_name(council),
                                                        owner=owner)
                if council else kb.phrases["owner_note"].format(owner=owner))
    elif chosen.council == NATIONAL:
        note = kb.phrases["national_note"]
    elif chosen.council == COMMON and council:
        # a common answer worded from another council's guidance says so to this council's
        # readers, not only in its source line
        owners = {doc.council for ref in chosen.sources
                  if (doc := kb.document(ref.document)) is not None}
        if owners and council not in owners and NATIONAL not in owners:
            note = kb.phrases["owner_note"].format(
                owner=" and ".join(kb.council_name(c) for c in sorted(owners)))
    body = (f"## {part.heading}\n\n{part.body}\n\n"
            + kb.phrases["section_part"].format(title=chosen.title)) if part else chosen.body
    body_text, body_html = to_text(body), to_html(body)
    source = source_line(kb, chosen.sources)
    laws = kb.law_notes(topic_id) if chosen.council != NATIONAL else []
    text = "\n\n".join(part for part in (note, body_text, source) if part)
    html = (f"<p>{escape(note)}</p>" if note else "") + body_html
    html += f'<p class="source">{escape(source)}</p>'
    sources = list(chosen.sources)
    if laws:
        text += "\n\n" + kb.phrases["law_heading"]
        html += f'<section class="law"><h3>{escape(kb.phrases["law_heading"])}</h3>'
        for law in laws:
            law_source = source_line(kb, law.sources)
            text += f"\n\n{law.note}\n{law_source}"
            html += f'<p>{escape(law.note)}</p><p class="source">{escape(law_source)}</p>'
            sources += [ref for ref in law.sources if ref not in sources]
        html += "</section>"
    owner_id = chosen.council if chosen.council != COMMON else (council or COMMON)
    custom: dict[str, Any] = {
        "topic": topic_id,
        "local_authority": owner_id,
        "sources": [s.as_payload() for s in sources],
        "title": chosen.title,
        "html": html,
    }
    if laws:
        custom["law"] = [law.id for law in laws]
    offered = [law.id for law in laws] + [r for r in chosen.related
                                          if r not in {law.id for law in laws}]
    buttons = [{"title": kb.title(rel, council), "payload": topic_payload(rel)}
               for rel in offered[:MAX_RELATED_BUTTONS]]
    if part is not None:
        custom["section"] = part.id
        buttons.insert(0, {"title": kb.phrases["whole_answer"], "payload": topic_payload(topic_id)})
    return Reply(text=text, buttons=buttons, custom=custom)


def source_line(kb: KnowledgeBase, sources: tuple[SourceRef, ...]) -> str:
    """The short "Source:" line that ends every answer, grouping sections by document: a
    council's section headings in quotes, the law's numbers as they are ("section 36")."""
    by_document: dict[str, list[str]] = {}
    for ref in sources:
        doc = kb.document(ref.document)
        label = ref.section if doc is not None and doc.council == NATIONAL else f"“{ref.section}”"
        by_document.setdefault(ref.document, []).append(label)
    if len(by_document) == 1:
        (document, sections), = by_document.items()
        return kb.phrases["source_one"].format(document=document, sections=_join(sections))
    parts = [f"{document}, {_join(sections)}" for document, sections in by_document.items()]
    return kb.phrases["source_many"].format(sources="; ".join(parts))


def topic_buttons(kb: KnowledgeBase, topic_ids: list[str], council: str | None
                  ) -> list[dict[str, str]]:
    """One button a topic, titled as the council words it."""
    return [{"title": kb.title(t, council), "payload": topic_payload(t)} for t in topic_ids]


def contact(kb: KnowledgeBase, council: str | None) -> Reply:
    """Who to talk to, according to the guidance: the SENCO and the Local Offer topics, as
    buttons, with those topics' sources."""
    topics = [t for t in CONTACT_TOPICS if t in kb.topics]
    sources = [ref for t in topics for ref in pick_file(kb, t, council).sources]
    text = kb.phrases["contact"]
    if sources:
        text += "\n\n" + source_line(kb, tuple(sources))
    return Reply(text=text, buttons=topic_buttons(kb, topics, council), custom={
        "topic": "contact", "local_authority": council,
        "sources": [s.as_payload() for s in sources]})


def follow_up(kb: KnowledgeBase, topic_id: str, council: str | None) -> Reply:
    """"Tell me more" about a topic: its related topics as buttons."""
    chosen = pick_file(kb, topic_id, council)
    related = list(chosen.related) or [t for t in kb.topic_ids() if t != topic_id]
    return Reply(text=kb.phrases["follow_up_more"].format(title=chosen.title),
                 buttons=topic_buttons(kb, related, council),
                 custom={"topic": topic_id, "local_authority": council, "sources": [
                     s.as_payload() for s in chosen.sources], "follow_up": True})


def council_prompt(kb: KnowledgeBase, text_key: str = "choose_council") -> Reply:
    """Ask which council's guidance to use, with one button a council."""
    names = _join([kb.councils[c].name for c in sorted(kb.councils)])
    return Reply(text=kb.phrases[text_key].format(councils=names),
                 buttons=[{"title": kb.councils[c].name, "payload": council_payload(c)}
                          for c in sorted(kb.councils)])


LAW_MENU = "law"
"""The `menu` entity value that asks for the national topics' menu."""


def menu(kb: KnowledgeBase, council: str | None, part: str | None = None) -> Reply:
    """The "what can you help with?" menu: one button a local topic and one that opens the
    national layer's topics (what the law says), or, for `part="law"`, those topics."""
    national = [t for t in kb.topic_ids() if kb.national_only(t)]
    if part == LAW_MENU and national:
        return Reply(text=kb.phrases["menu_law_intro"], buttons=topic_buttons(kb, national,
                                                                             council))
    local = [t for t in kb.topic_ids() if t not in national]
    buttons = topic_buttons(kb, local, council)
    if national:
        buttons.append({"title": kb.phrases["menu_law_button"],
                        "payload": "/help" + json.dumps({"menu": LAW_MENU})})
    return Reply(text=kb.phrases["menu_intro"], buttons=buttons)


_YOUR_CHILD = re.compile(r"\b([Yy])our child\b")


def for_professional(text: str) -> str:
    """An answer written for parents, worded for a professional: "the child", never "your
    child" (a social worker is not told about "your child's SENCO")."""
    return _YOUR_CHILD.sub(lambda m: "The child" if m.group(1) == "Y" else "the child", text)


def suggestions(kb: KnowledgeBase, topic_ids: list[str], council: str | None) -> Reply:
    """"Did you mean" buttons for the closest topics, plus "Something else"."""
    buttons = [{"title": kb.title(t, council), "payload": topic_payload(t)} for t in topic_ids]
    buttons.append({"title": kb.phrases["something_else"], "payload": "/help"})
    return Reply(text=kb.phrases["suggestions_intro"], buttons=buttons,
                 custom={"topic": "suggestions", "suggested": topic_ids,
                         "local_authority": council, "sources": []})


def out_of_scope(kb: KnowledgeBase, council: str | None, subject: str | None = None,
                 mentioned: list[str] | None = None) -> Reply:
    """Decline kindly and signpost, for questions the guidance does not cover; name the
    subject when it is one of knowledge/out_of_scope.yml's, and offer any topics the message
    also mentioned."""
    text = (kb.phrases["out_of_scope_subject"].format(subject=subject) if subject
            else kb.phrases["out_of_scope"])
    topics = list(mentioned or [])[:MAX_RELATED_BUTTONS]
    buttons = [{"title": kb.title(t, council), "payload": topic_payload(t)} for t in topics]
    custom: dict[str, Any] = {"topic": "out_of_scope", "local_authority": council, "sources": []}
    if subject:
        custom["subject"] = subject
    return Reply(text=text, buttons=buttons, custom=custom)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
