"""Find personal details in a message and replace them before it is stored or logged.

What counts: email addresses, UK phone numbers, NHS numbers, unique pupil numbers (UPN) and
dates (a date of birth is the usual one in a message about a child). Each is replaced by a
label in brackets, e.g. "[email address]", so the conversation still reads sensibly.
"""
from __future__ import annotations

import re

# Most specific first: a UPN or NHS number must not be half-eaten by the phone pattern.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("pupil number", re.compile(r"\b[A-Z]\d{11}[A-Z0-9]\b")),
    ("NHS number", re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")),
    ("phone number", re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0)\d(?:[\s-]?\d){8,9}\b")),
    ("date", re.compile(
        r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
        r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
        r"[a-z]*\.?,?\s+\d{4}\b", re.IGNORECASE)),
)


def redact(text: str) -> tuple[str, list[str]]:
    """The text with personal details replaced by labels, and the kinds that were found."""
    found: list[str] = []
    for kind, pattern in PATTERNS:
        text, count = pattern.subn(f"[{kind}]", text)
        if count and kind not in found:
            found.append(kind)
    return text, found
