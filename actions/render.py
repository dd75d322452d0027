"""Render knowledge Markdown safely: plain text for text channels, escaped HTML for the web.

Raw HTML in the Markdown is never passed through (markdown-it's `html` option is off), so
whatever an editor or a user writes is shown as text, never run.
"""
from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_markdown = MarkdownIt("commonmark", {"html": False})

BULLET = "-"


@lru_cache(maxsize=1024)  # answers are rendered on every message; bodies rarely change
def to_html(markdown: str) -> str:
    """The Markdown as HTML, with any raw HTML escaped."""
    return _markdown.render(markdown)


@lru_cache(maxsize=1024)
def to_text(markdown: str) -> str:
    """The Markdown as plain text: paragraphs, `-` bullets and numbered items, no other markup.
    Lists are Markdown lists (a blank line before, `- ` items), so a client that renders
    Markdown (the standard Rasa web client does) shows a list, and one that does not shows
    readable lines."""
    lines: list[str] = []
    lists: list[list[int]] = []  # one [counter] per open list; counter < 0 for bullets
    prefix: str | None = None
    for token in _markdown.parse(markdown):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            ordered = token.type == "ordered_list_open"
            lists.append([int(token.attrGet("start") or 1) if ordered else -1])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                lines.append("")
        elif token.type == "list_item_open":
            counter = lists[-1]
            marker = BULLET if counter[0] < 0 else f"{counter[0]}."
            if counter[0] >= 0:
                counter[0] += 1
            prefix = "  " * (len(lists) - 1) + marker + " "
        elif token.type == "inline":
            text = _inline_text(token)
            if prefix is not None:
                lines.append(prefix + text)
                prefix = None
            elif lists:
                lines.append("  " * len(lists) + text)
            else:
                lines.append(text)
        elif token.type in ("paragraph_close", "heading_close") and not lists:
            lines.append("")
        elif token.type in ("fence", "code_block"):
            lines.extend(token.content.rstrip("\n").splitlines() + [""])
    return "\n".join(_squeeze(lines)).strip()


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    link_href: list[str | None] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            href = child.attrGet("href")
            link_href.append(str(href) if href and str(href).startswith("http") else None)
        elif child.type == "link_close":
            href = link_href.pop() if link_href else None
            if href:
                parts.append(f" ({href})")
    return "".join(parts).strip()


def _squeeze(lines: list[str]) -> list[str]:
    """Collapse runs of blank lines into one."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return out
