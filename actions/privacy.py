"""Find personal details in a message and replace them before it is stored or logged.

What counts: email addresses, UK phone numbers, NHS numbers, unique pupil numbers (UPN), dates
(a date of birth is the usual one in a message about a child), postcodes, street addresses,
school names, and people's names where the message shows a word is one ("my son Jack", "she's
called Amelia", "I'm Sarah"). Each is replaced by a label in brackets, e.g. "[email address]",
so the conversation still reads sensibly and the question can still be understood.

Names are found by how they are introduced, not from a list of names: a capitalised word
after "my son", "called" or "I'm" that is not a word the sentence would otherwise use there
("my son Is struggling" keeps "Is"). A name typed in lower case, or mentioned without such an
introduction ("Jack's teacher says..."), is not found; the privacy reminder asks people not to
share names.
"""
from __future__ import annotations

import re
from collections.abc import Callable

_KIN = (r"son|daughter|child|kid|boy|girl|grandson|granddaughter|nephew|niece|stepson|"
        r"stepdaughter|brother|sister|twin|twins|foster son|foster daughter|ds|dd|ds\d|dd\d|"
        r"eldest|youngest|husband|wife|partner")
_NOT_NAMES = frozenset((
    "i", "he", "she", "they", "it", "we", "you", "is", "was", "has", "had", "and", "but", "or",
    "so", "the", "a", "an", "who", "with", "in", "at", "on", "of", "to", "for", "from", "by",
    "as", "if", "when", "because", "year", "y", "yr", "reception", "nursery", "primary",
    "secondary", "school", "college", "is's", "isn't", "wasn't", "has", "hasn't", "can",
    "can't", "could", "couldn't", "will", "won't", "would", "wouldn't", "does", "doesn't",
    "did", "didn't", "do", "don't", "just", "still", "also", "now", "then", "only", "really",
    "sen", "send", "ehcp", "ehc", "ehcna", "ehcps", "sen's", "asd", "adhd", "pda", "add",
    "odd", "spd", "spld", "ocd", "semh", "slcn", "mld", "sld", "pmld", "camhs", "salt", "ot",
    "ep", "senco", "sendco", "tribunal", "council", "la", "mum", "dad", "mummy", "daddy",
))
_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_SCHOOL_WORDS = (r"Primary|Infants?|Juniors?|Academy|High|Secondary|School|College|Nursery|"
                 r"Pre-?school|Grammar|Church of England|C of E|CE|CofE|RC")
_GENERIC = frozenset((
    "special", "primary", "secondary", "mainstream", "high", "independent", "free", "state",
    "catholic", "church", "local", "new", "the", "a", "an", "his", "her", "my", "our", "their",
    "this", "that", "residential", "alternative", "sen", "semh", "resource", "infant",
    "junior", "private", "grammar", "sixth", "any", "every", "which", "what", "our", "your",
    "another",
))


def _name(match: re.Match[str]) -> str:
    word = match.group("name")
    if word.lower() in _NOT_NAMES:
        return match.group(0)
    return match.group(0)[: match.start("name") - match.start()] + "[name]"


def _school(match: re.Match[str]) -> str:
    words = match.group("names").split()
    if all(w.lower() in _GENERIC for w in words):
        return match.group(0)  # "a Special School", "the High School": no school named
    return "[school name]"


# Most specific first: a UPN or NHS number must not be half-eaten by the phone pattern.
Replace = Callable[[re.Match[str]], str] | None
PATTERNS: tuple[tuple[str, re.Pattern[str], Replace], ...] = (
    ("email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), None),
    ("pupil number", re.compile(r"\b[A-Z]\d{11}[A-Z0-9]\b"), None),
    ("NHS number", re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"), None),
    ("phone number", re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0)\d(?:[\s-]?\d){8,9}\b"),
     None),
    ("date", re.compile(
        r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
        r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
        r"[a-z]*\.?,?\s+\d{4}\b", re.IGNORECASE), None),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", re.IGNORECASE), None),
    ("address", re.compile(
        r"\b\d{1,4}[a-z]?,?\s+(?:(?!(?:and|at|in|on|the|of|to|for|with|is|was|years?|weeks?|"
        r"months?|days?|times?|hours?)\b)[A-Za-z'’]+\s+){1,3}(?:road|rd|street|avenue|ave|lane|"
        r"close|drive|way|crescent|court|place|grove|gardens|terrace|walk|mews|square|rise|"
        r"parade|row|vale)\b\.?", re.IGNORECASE), None),
    ("school name", re.compile(
        rf"\b(?P<names>(?:(?:St\.?|Saint)\s+)?{_NAME}(?:['’]s)?(?:\s+{_NAME}(?:['’]s)?){{0,3}})"
        rf"\s+(?:(?:{_SCHOOL_WORDS})\b\s*)+"), _school),
    ("name", re.compile(
        rf"\b(?:(?i:my|our|his|her)\s+(?i:{_KIN})|(?i:called|named|name is|name's))\s*,?\s+"
        rf"(?P<name>{_NAME})\b"), _name),
    # "I'm Sarah, mum of two": an introduction, so a comma, stop, dash or "and" follows
    ("name", re.compile(
        rf"\b(?i:i'm|i am|this is)\s+(?P<name>{_NAME})(?=\s*(?:[,.!;:-]|$|\s+(?i:and|mum|dad|"
        rf"here|from)\b))"), _name),
)


def redact(text: str) -> tuple[str, list[str]]:
    """The text with personal details replaced by labels, and the kinds that were found."""
    found: list[str] = []
    for kind, pattern, replace in PATTERNS:
        text, count = pattern.subn(replace or f"[{kind}]", text)
        if count and kind not in found and f"[{kind}]" in text:
            found.append(kind)
    return text, found
