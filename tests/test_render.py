"""Rendering knowledge Markdown to plain text and to safe HTML."""
from __future__ import annotations

import pytest

from actions.render import to_html, to_text

TEXT_CASES = [
    ("**Bold** and *em* words.", "Bold and em words."),
    ("First line\nsame paragraph.", "First line same paragraph."),
    ("One.\n\nTwo.", "One.\n\nTwo."),
    ("Intro:\n\n- a\n- b\n\nAfter.", "Intro:\n\n- a\n- b\n\nAfter."),
    ("1. first\n2. second", "1. first\n2. second"),
    ("- outer\n  - inner", "- outer\n  - inner"),
    ("See [the page](https://example.org/page).", "See the page (https://example.org/page)."),
    ("A page [with no address](#).", "A page with no address."),
    ("### Heading\n\nText", "Heading\n\nText"),
    ("<b>raw</b> html", "<b>raw</b> html"),
]


@pytest.mark.parametrize(("markdown", "text"), TEXT_CASES)
def test_markdown_becomes_plain_text(markdown: str, text: str) -> None:
    assert to_text(markdown) == text


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "text <a href='javascript:alert(1)'>x</a>",
])
def test_raw_html_is_escaped_never_passed_through(hostile: str) -> None:
    html = to_html(hostile)
    assert "<script" not in html and "<img" not in html and "<a href='javascript" not in html
    assert "&lt;" in html


def test_javascript_links_are_not_rendered_as_links() -> None:
    assert 'href="javascript' not in to_html("[click](javascript:alert(1))")


def test_markdown_structure_becomes_html() -> None:
    html = to_html("**Bold**\n\n- one\n- two")
    assert "<strong>Bold</strong>" in html and "<ul>" in html and "<li>one</li>" in html


def test_the_plain_text_of_a_list_is_still_a_list_to_a_markdown_client(kb) -> None:
    from markdown_it import MarkdownIt

    from actions.answers import compose_answer

    text = compose_answer(kb, "stages_of_support", "havering").text
    tokens = [t.type for t in MarkdownIt("commonmark").parse(text)]
    assert "bullet_list_open" in tokens and "list_item_open" in tokens
