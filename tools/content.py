"""Content work for the Local Offer team: scaffold a new topic file, preview an answer."""
from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from actions import answers, respond
from actions.errors import SendAssistantError
from actions.knowledge import COMMON, ID_PATTERN, KnowledgeBase


class ContentError(SendAssistantError):
    """A content command was asked for something that cannot be done."""


def scaffold(kb: KnowledgeBase, council: str, topic_id: str,
             today: dt.date | None = None) -> Path:
    """Write knowledge/<council>/<topic_id>.md with every field present and TODO where the
    editor must write; return its path. `check` reports each TODO left."""
    if council != COMMON and council not in kb.councils:
        known = ", ".join([*sorted(kb.councils), COMMON])
        raise ContentError(f"no council {council!r}; use one of: {known}")
    if not ID_PATTERN.match(topic_id):
        raise ContentError(f"{topic_id!r} is not a topic id: use lower case letters, digits "
                           "and underscores, starting with a letter (e.g. home_to_school)")
    path = kb.root / council / f"{topic_id}.md"
    if path.exists():
        raise ContentError(f"{path} already exists; edit it instead")
    documents = (kb.councils[council].documents if council != COMMON
                 else [d for c in sorted(kb.councils) for d in kb.councils[c].documents])
    choices = "".join(f"#   {d.title}: {s}\n" for d in documents for s in d.sections)
    first = documents[0].title if documents else "TODO the document's short title"
    title = kb.title(topic_id, council) if topic_id in kb.topics else \
        "TODO the question this answers, in a parent's words"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""---
id: {topic_id}
title: {title}
council: {council}
# Cite every section the answer's facts come from. The sections you can cite:
{choices}sources:
  - document: {first}
    section: TODO a section from the list above, exactly as written there
    url: null
questions:
  - TODO how a parent or carer would ask about this
  - TODO another way of asking it, in different words
  - TODO how a social worker or early help worker might ask it
aliases:
  - TODO a term or abbreviation people use for this
related: []
last_reviewed: {(today or dt.date.today()).isoformat()}
---
TODO the answer, in plain English, saying only what the cited sections say.
""", encoding="utf-8")
    return path


def preview(kb: KnowledgeBase, topic_id: str, council: str | None,
            question: str = "") -> list[answers.Reply]:
    """The replies a person would get to this topic from this council's page: the same code
    as the assistant's action (actions.respond), so an answer, or a flow's first step; with a
    typed `question`, the part of a sectioned answer it gets (actions.decision.section_of)."""
    if topic_id not in kb.topics:
        raise ContentError(f"no topic {topic_id!r}; the topics are: "
                           f"{', '.join(kb.topic_ids())}")
    if council is not None and council not in kb.councils:
        raise ContentError(f"no council {council!r}; use one of: {', '.join(sorted(kb.councils))}")
    from actions.decision import section_of
    from actions.settings import settings

    section = section_of(kb, topic_id, council, question, settings().answer)
    return respond.topic_response(kb, topic_id, council, text=question, section=section).replies


def as_text(replies: list[answers.Reply]) -> str:
    """The replies as a text channel shows them: each text, then its buttons."""
    shown = []
    for reply in replies:
        buttons = "".join(f"\n  [{b['title']}]" for b in reply.buttons)
        shown.append(reply.text + ("\n\nButtons:" + buttons if buttons else ""))
    return "\n\n".join(shown)


def as_html_page(replies: list[answers.Reply]) -> str:
    """The replies' HTML (as the widget renders them) in a page of their own, to open in a
    browser: each reply's title, text, sources and buttons."""
    title = next((str(r.custom["title"]) for r in replies if r.custom and r.custom.get("title")),
                 "Preview")
    body = ""
    for reply in replies:
        custom = reply.custom or {}
        sources = "".join(f"<li>{escape(s['document'])}: {escape(s['section'])}</li>"
                          for s in custom.get("sources", []))
        buttons = "".join(f"<li>{escape(b['title'])}</li>" for b in reply.buttons)
        body += (f"<h1>{escape(str(custom.get('title', '')))}</h1>"
                 f"{custom.get('html') or '<p>' + escape(reply.text) + '</p>'}"
                 + (f"<h2>Where this comes from</h2><ul>{sources}</ul>" if sources else "")
                 + (f"<h2>Buttons</h2><ul>{buttons}</ul>" if buttons else ""))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title></head><body>{body}</body></html>\n")
