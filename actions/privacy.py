"""Find personal details in a message and replace them before it is stored or logged.

What counts: email addresses (also spelt out, "jo dot bloggs at gmail"), UK phone numbers, NHS
numbers, unique pupil numbers (UPN), dates (a date of birth is the usual one in a message about
a child; a day and month without a year only after "born", "birthday" or "DOB"), postcodes,
street addresses, school names, and people's names. Each is replaced by a label in brackets,
e.g. "[email address]", so the conversation still reads sensibly and the question can still be
understood.

Names are found from what the sentence shows and from a list of first names, never from the
sentence's shape alone:
- after a title: "Mrs Patel", "mr. jones", "Dr Lucy Chen", "Mrs Van der Berg";
- where the message introduces one: "my son jack", "our little girl Ava-Mae", "dd2 (Maisie)",
  "she's called Poppy", "my name's bex", "I'm Sarah, mum of two";
- a possessive: "Grace's EHCP", "jack's TA", "Nguyen's family";
- a first name written in capitals ("told Oliver", "Ruby-Mai won't", "Danielle Fox", with the
  surname after it), or in lower case where the sentence uses it as one ("reece has been...",
  "me and darren have"); and a capitalised word English does not know where the sentence uses
  it as a name ("Chidi is 12", "the head at Hillside told me").
A first name is one of the first names of every locale of the Faker package (about 16,000, from
many cultures). An everyday word is an English word at least as frequent as EVERYDAY_LOG_PROB
(spacy-lookups-data's table, as actions.search reads it): a first name that is also one ("Will",
"May", "Grace" as in "grace period", "Jack") is taken as a name only where the sentence shows it
is one (a title, "my son jack", "Grace's", "Jack has"). An unknown word is one that neither that
table (down to its rarest kept words), the knowledge files nor the first names hold. Never
names: SEND terms and roles (SEND_WORDS), the councils' names and aliases
(knowledge/*/council.yml), months, days and holidays, family words ("nan", "mum"), and words in
capitals (acronyms). A first name after "in", or a county or country after "from" or "to", is a
place ("we live in Brooklyn", "moved from Kent").

Not caught (docs/privacy.md lists more): a lower-case name in no name position ("thanks to
kwabena"); a surname alone without a title, unless used as a name ("Patel said" is caught,
"spoke to patel" is not); a school named without a type word and not used as a name ("applied
for Kingsmead"), and a Catholic school's other names ("Holy Cross"); an initial ("Mr K"); a town,
or a street without a number or street word. Some words are taken as names wrongly: an
everyday word that is also a first name, used as a name ("Amber is her RAG rating"), and an
unknown capitalised word before a verb ("Elvanse has helped"). The privacy reminder asks people
not to share names; docs/privacy.md says what is kept.
"""
from __future__ import annotations

import difflib
import importlib
import json
import pkgutil
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import yaml

from actions.paths import KNOWLEDGE_DIR, PROJECT_ROOT

EVERYDAY_LOG_PROB = -12.0
"""A first name at least this frequent in English (log probability; "jack" -11.3, "grace" -12.1,
"sam" -13.3) is also an everyday word, a name only where the sentence shows it is one."""
COMMON_LOG_PROB = -10.0
"""A first name this frequent ("will", "may", "hope") is a word even after "my son" or before
"'s", unless written in capitals."""

SEND_WORDS = frozenset((
    "send", "sen", "senco", "sencos", "sendco", "sendcos", "ehcp", "ehcps", "ehc", "ehcna",
    "echp", "sendiass", "iass", "ipsea", "sendist", "camhs", "cahms", "salt", "slt", "ot", "ep",
    "eps", "apdr", "ofsted", "dfe", "la", "lea", "makaton", "pecs", "asd", "asc", "adhd", "add",
    "pda", "odd", "spd", "ocd", "semh", "slcn", "mld", "sld", "pmld", "spld", "dcd", "dld",
    "gdd", "eal", "eotas", "ehe", "pfa", "qft", "lgsco", "nhs", "gp", "tac", "lac", "cin",
    "cla", "sendias", "kooth", "mencap", "nspcc", "barnardo", "barnardos", "covid",
    "asperger", "aspergers", "tourette", "tourettes", "crohn", "crohns", "duchenne", "perthes",
    "ehlers", "danlos", "rett", "dravet", "angelman", "noonan", "marfan", "down", "downs",
    "paed", "paeds", "paediatrician", "caseworker", "keyworker", "carer", "carers", "physio",
    "psych", "dsl", "ta", "tas", "lsa", "hlta", "inco",
))
"""SEND terms, roles, services and conditions named after people: never names (British words
such as "carer" and "paediatrician" are too rare in the English table to count as words)."""
CALENDAR = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "mondays", "tuesdays", "wednesdays", "thursdays", "fridays",
    "saturdays", "sundays", "easter", "christmas", "xmas", "halloween", "eid", "diwali",
    "ramadan", "hanukkah", "whitsun",
))
"""Months, days and holidays: never names ("since Easter", "in May")."""
FAMILY = frozenset((
    "mum", "mam", "mom", "mummy", "mommy", "dad", "daddy", "nan", "nana", "nanna", "nanny",
    "gran", "granny", "grandma", "grandad", "grandpa", "son", "daughter", "brother", "sister",
    "baby", "child", "kid", "boy", "girl", "lad", "lass", "uncle", "aunt", "auntie", "aunty",
    "cousin", "husband", "wife", "partner", "friend", "mate", "pal", "buddy", "bestie",
    "neighbour", "teacher", "sir", "miss",
))
"""Family, friends and classroom words: never names ("Nan's house", "his mate's", "Miss said")."""
TITLES = frozenset(("mr", "mrs", "ms", "mx", "miss", "dr", "prof"))
_NOT_NAMES = frozenset((
    "i", "he", "she", "they", "it", "we", "you", "is", "was", "has", "had", "and", "but", "or",
    "so", "the", "a", "an", "who", "with", "in", "at", "on", "of", "to", "for", "from", "by",
    "as", "if", "when", "because", "year", "y", "yr", "reception", "nursery", "primary",
    "secondary", "school", "college", "isn't", "wasn't", "hasn't", "can", "can't", "could",
    "couldn't", "will", "won't", "would", "wouldn't", "does", "doesn't", "did", "didn't", "do",
    "don't", "just", "still", "also", "now", "then", "only", "really", "tribunal", "council",
    "here", "there", "this", "that", "hi", "hello", "thanks", "thank", "please", "yes", "no",
    "not", "all", "both", "me", "my", "our", "his", "her", "their", "your", "its", "it's", "am",
))
"""Words a name position often holds instead of a name ("my son Is struggling")."""
DETERMINERS = frozenset((
    "the", "a", "an", "this", "these", "those", "every", "each", "any", "some", "no",
    "my", "our", "his", "her", "their", "your", "its", "one", "another", "which", "what",
))
PLACE_WORDS = frozenset(("in", "near", "around", "outside", "across", "towards", "within"))
"""A capitalised first name after these is a place ("we live in Brooklyn")."""
NOT_PERSON_BEFORE = PLACE_WORDS | frozenset(("on", "from", "to", "via", "using"))
"""After these an unknown capitalised word is a place or a thing ("on Roblox", "from Leeds")."""
NAME_VERBS = frozenset((
    "has", "had", "have", "is", "was", "are", "were", "keeps", "kept", "gets", "got", "goes",
    "went", "says", "said", "told", "tells", "thinks", "wants", "needs", "hates", "loves",
    "likes", "won't", "wont", "will", "would", "can", "can't", "cant", "could", "couldn't",
    "does", "did", "doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "wasn't", "hasn't",
    "hadn't", "struggles", "refused", "refuses", "attends", "started", "starts", "lives",
    "seems", "hit", "hits", "finds", "found", "came", "comes", "left", "may", "might",
))
"""Verbs after a word that show it is someone ("Chidi is 12", "Hillside have refused")."""
PERSON_WORDS = frozenset((
    "told", "asked", "tell", "ask", "and", "with", "emailed", "phoned", "rang", "texted", "met",
    "saw", "thank", "thanks",
))
"""Words before a lower-case first name that show it is someone ("told oliver", "me and
darren")."""

_UP = "A-ZÀ-ÖØ-Þ\u0100-\u017f"
_LOW = "a-zß-öø-ÿ\u0100-\u017f"
"""Capital and small letters, with the accented ones of European names ("Siobhán", "Łukasz")."""
_WORD = rf"[{_UP}{_LOW}]+(?:-[{_UP}{_LOW}]+)*(?:['’](?!s\b)[{_UP}{_LOW}]+)?"
"""A word that may be a name: "jack", "Ava-Mae", "O'Brien" ("Jack's" is "Jack")."""
_CAP = rf"(?:O['’]|Mc|Mac)?[{_UP}][{_LOW}]+(?:-[{_UP}]?[{_LOW}]+)*"
"""A capitalised word: "Oliver", "Ruby-Mai", "O'Neill", "McDonald"."""
_FREE = r"(?<![\w\[\]'’@.-])"
"""Not inside another word, an email address or a label already put in."""
_MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?")
_SCHOOL_WORDS = (r"Primary|Infants?|Juniors?|Academy|High|Secondary|School|College|Nursery|"
                 r"Pre-?school|Grammar|Church of England|C of E|CE|CofE|RC|Lodge|Grange")
_GENERIC = frozenset((
    "special", "primary", "secondary", "mainstream", "high", "independent", "free", "state",
    "catholic", "church", "local", "new", "the", "a", "an", "his", "her", "my", "our", "their",
    "this", "that", "residential", "alternative", "sen", "semh", "resource", "infant",
    "junior", "private", "grammar", "sixth", "any", "every", "which", "what", "your",
    "another", "forest", "sunday", "summer", "boarding", "hospital", "nursery", "middle",
    "upper", "lower", "village", "big", "main", "home", "faith", "day", "comprehensive",
    "specialist", "form", "further", "education", "community", "infants", "juniors", "academy",
    "school", "college", "send",
))
"""Words of a school's type, not its name: "a Special School" names no school."""


@lru_cache(maxsize=8192)
def _fold(word: str) -> str:
    """Lower case without accents: "Zoë" and "zoe" are one name."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower())
                   if not unicodedata.combining(c))


FIRST_NAMES_FILE = PROJECT_ROOT / "build" / "first_names.json"
"""The first names `first_names` reads, written by `send-assistant build` (as build/english.json
is): reading Faker's hundred locales takes a server about 0.3 s, the file a few milliseconds."""


def first_names_from_faker() -> frozenset[str]:
    """Every first name of every Faker locale written in letters, folded (about 16,000)."""
    import faker.providers.person as person

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female",
                          "first_names_nonbinary"):
            value = getattr(provider, attribute, ())
            if isinstance(value, dict):
                value = list(value)  # some locales weight their names
            if isinstance(value, tuple | list | set | frozenset):
                names.update(_fold(n) for n in value
                             if isinstance(n, str) and re.fullmatch(r"[a-z]+(?:[-'][a-z]+)*",
                                                                    _fold(n)))
    return frozenset(names)


def write_first_names(path: Path = FIRST_NAMES_FILE) -> Path:
    """Save the first names for `first_names`, marked with the Faker version."""
    from importlib.metadata import version

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"faker": version("faker"),
                                "names": sorted(first_names_from_faker()),
                                "places": sorted(places_from_faker())}), encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def _saved() -> dict[str, frozenset[str]] | None:
    """FIRST_NAMES_FILE's names and places, if it was written from the installed Faker."""
    from importlib.metadata import version

    try:
        saved = json.loads(FIRST_NAMES_FILE.read_text(encoding="utf-8"))
        if saved.get("faker") == version("faker"):
            return {key: frozenset(str(w) for w in saved[key]) for key in ("names", "places")}
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    return None


def first_names() -> frozenset[str]:
    """The first names: from FIRST_NAMES_FILE when it was written from the installed Faker,
    else from Faker itself."""
    saved = _saved()
    return saved["names"] if saved else _first_names_from_faker_once()


@lru_cache(maxsize=1)
def _first_names_from_faker_once() -> frozenset[str]:
    return first_names_from_faker()


def places_from_faker() -> frozenset[str]:
    """The words of Faker's British counties and the world's countries ("Kent", "Jordan")."""
    from faker.providers.address.en_GB import Provider

    return frozenset(w for n in (*Provider.counties, *Provider.countries) for w in _fold(n).split())


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """Place words (places_from_faker): a first name after "from" or "to" that is one of these
    is the place."""
    saved = _saved()
    return saved["places"] if saved else places_from_faker()


def _english() -> dict[str, float]:
    """English words and their log probabilities: the search's table (build/english.json),
    loaded once per process and shared with it."""
    from actions.search import _english as english  # cached there

    return english()


@lru_cache(maxsize=1)
def council_words() -> frozenset[str]:
    """The words of every council's id, name and aliases in the knowledge (never names)."""
    words: set[str] = set()
    for path in sorted(KNOWLEDGE_DIR.glob("*/council.yml")):
        try:
            council = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue  # the knowledge check reports it; a name is still caught by the rest
        names = [council.get("id"), council.get("name"), *(council.get("aliases") or [])]
        words.update(w for n in names if isinstance(n, str) for w in _fold(n).split())
    return frozenset(words)


@lru_cache(maxsize=1)
def knowledge_words() -> frozenset[str]:
    """Every word of the knowledge files and guidance texts, lower case: words the guidance
    uses ("ombudsman", "statemented", its towns) are never unknown words."""
    words: set[str] = set()
    for path in sorted(KNOWLEDGE_DIR.rglob("*")):
        if path.suffix in {".md", ".yml", ".yaml", ".txt"}:
            try:
                words.update(re.findall(r"[a-z]+", _fold(path.read_text(encoding="utf-8"))))
            except OSError:
                continue
    return frozenset(words)


@lru_cache(maxsize=8192)
def _parts(word: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[-'’]", _fold(word)) if p)


@lru_cache(maxsize=1)
def _never_names() -> frozenset[str]:
    return SEND_WORDS | CALENDAR | FAMILY | TITLES | council_words()


def _protected(word: str) -> bool:
    """A SEND term, council, month, day, family word or acronym: never a name."""
    if len(word) > 1 and word.isupper():  # an acronym, unless a first name ("TUNDE")
        return len(word) < 4 or not _first_name(word, EVERYDAY_LOG_PROB) or _fold(
            word) in _never_names()
    never = _never_names()
    return _fold(word) in never or any(p in never for p in _parts(word))


def _log_prob(word: str) -> float | None:
    return _english().get(_fold(word))


def _first_name(word: str, rarer_than: float) -> bool:
    """Whether a part of the word is a first name rarer in English than `rarer_than`."""
    names, english = first_names(), _english()
    return any(p in names and english.get(p, -99.0) < rarer_than for p in _parts(word))


@lru_cache(maxsize=8192)
def _name_like(word: str) -> bool:
    """A first name that is not an everyday word ("Oliver", "priya", "Ruby-Mai")."""
    return not _protected(word) and _first_name(word, EVERYDAY_LOG_PROB)


def _unknown(word: str) -> bool:
    """A word that English, the knowledge, the SEND terms and the first names do not know
    ("Chidi", "Hillside")."""
    return (len(word) >= 3 and not _protected(word) and not _first_name(word, 0.0)
            and all(p not in _english() and p not in knowledge_words() for p in _parts(word)))


def _introduced_name(word: str, unknown_too: bool) -> bool:
    """Whether a word in a name's place ("my son ...", "called ...") is a name: in capitals,
    unless it is a common word ("my son Is struggling"); in lower case, a first name that is not
    a common word, or (with `unknown_too`) a word English does not know ("my name's bex")."""
    if _fold(word) in _NOT_NAMES or _protected(word):
        return False
    if word[0].isupper():
        return _first_name(word, 0.0) or (_log_prob(word) or -99.0) < COMMON_LOG_PROB
    return _first_name(word, COMMON_LOG_PROB) or unknown_too and _unknown(word)


def _words_before(text: str, index: int, count: int = 1) -> list[str]:
    return [w.lower() for w in re.findall(r"[\w'’\[\]]+", text[max(0, index - 60):index])][-count:]


def _word_after(text: str, index: int) -> str:
    found = re.match(r"\s*(\[name\]|[\w'’]+|[(,])", text[index:])
    return found.group(1).lower() if found else ""


def _starts_sentence(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \t\"'“‘(*•-")
    return not before or before[-1] in ".!?:;\n"


def _labelled(match: re.Match[str], group: str, label: str, keep: bool) -> str:
    """The match with `group` replaced by the label, or unchanged when `keep`."""
    if keep:
        return match.group(0)
    start, end = match.start(group) - match.start(), match.end(group) - match.start()
    return match.group(0)[:start] + label + match.group(0)[end:]


# --- replacements, one per kind of name ---------------------------------------------------

def _school(match: re.Match[str]) -> str:
    words = match.group("names").split()
    if all(w.lower() in _GENERIC for w in words):
        return match.group(0)  # "a Special School", "the High School": no school named
    return "[school name]"


_PREPOSITIONS = frozenset(("at", "in", "on", "to", "for", "with", "from", "into", "by"))


def _school_before_lower_type(match: re.Match[str]) -> str:
    """"at Brambles preschool", "Little Acorns nursery": capitalised names before a school word
    in lower case; not "In primary", "Can college", "a Sefton primary", "Catholic primary"."""
    words = match.group("names").split()
    ordinary = any(_fold(w) in _NOT_NAMES or _protected(w) for w in words) or all(
        _fold(w) in _GENERIC for w in words) or (
        len(words) == 1 and _starts_sentence(match.string, match.start()))
    return match.group(0) if ordinary else "[school name]"


def _school_in_lower_case(match: re.Match[str]) -> str:
    """"at oakfield academy", "to king's park academy", "from st anne's rc primary": a school
    word after a name with no article, one of whose words is a possessive, "st" or unknown."""
    words = match.group("names").split()
    if words[0] in DETERMINERS or set(words) & _PREPOSITIONS:
        return match.group(0)  # "for whittling at forest school": not one name
    evidence = any(w == "st" or _unknown(w) or _name_like(w) or w.endswith(("'s", "’s")) and (
        _first_name(w[:-2], 0.0) or _unknown(w[:-2])) for w in words)
    return _labelled(match, "school", "[school name]", not evidence)


def _titled(match: re.Match[str]) -> str:
    first = match.group("first")
    keep = (_fold(first) in _NOT_NAMES or _protected(first) and not first[0].isupper()
            or first.islower() and (_log_prob(first) or -99.0) >= EVERYDAY_LOG_PROB
            and not _first_name(first, COMMON_LOG_PROB))
    return _labelled(match, "name", "[name]", keep)


def _introduced(match: re.Match[str]) -> str:
    return _labelled(match, "name", "[name]", not _introduced_name(match.group("name"), False))


def _called(match: re.Match[str]) -> str:
    return _labelled(match, "name", "[name]", not _introduced_name(match.group("name"), True))


def _introducing(match: re.Match[str]) -> str:
    """"I'm Sarah, mum of two": a first name or unknown word in capitals; an everyday first
    name only before a comma or stop ("I'm Jack, dad of two", not "I'm Muslim and...")."""
    word = match.group("name")
    punctuated = _word_after(match.string, match.end()) in {",", ""}
    is_name = _name_like(word) or word[0].isupper() and (
        _unknown(word) or punctuated and _first_name(word, COMMON_LOG_PROB))
    return _labelled(match, "name", "[name]", not is_name or _protected(word))


def _paired(text: str, end: int) -> bool:
    """Whether "and" and a first name follow: "Jack and Harry", "jack and harry"."""
    pair = re.match(r"\s+and\s+([A-Za-z]+)", text[end:])
    return pair is not None and _name_like(pair.group(1))


def _possessive(match: re.Match[str]) -> str:
    word, text = match.group("name"), match.string
    before = _words_before(text, match.start())
    keep = (_protected(word) or _fold(word) in _NOT_NAMES | DETERMINERS
            or bool(before) and before[0] in DETERMINERS
            or not (_first_name(word, COMMON_LOG_PROB) or _unknown(word)))
    return _labelled(match, "name", "[name]", keep)


def _capitalised(match: re.Match[str]) -> str:
    """A run of capitalised words: from its first name to its end ("Danielle Fox")."""
    text, words = match.string, match.group(0).split()
    before = _words_before(text, match.start())
    previous = before[0] if before else ""
    for i, word in enumerate(words):
        following = words[i + 1].lower() if i + 1 < len(words) else _word_after(text, match.end())
        if i == 0 and text[:match.start()].endswith("[name] ") and not _protected(word) \
                and _fold(word) not in _NOT_NAMES:
            return "[name]"  # a surname after a name found already
        if _protected(word) or _fold(word) in _NOT_NAMES:
            continue
        start = i == 0 and _starts_sentence(text, match.start())
        after_place = i == 0 and (previous in DETERMINERS | PLACE_WORDS or previous in {
            "from", "to"} and _fold(word) in places())
        if _name_like(word):
            is_name = not after_place and (
                not start or following in NAME_VERBS | {"and", ",", "[name]"}
                or i + 1 < len(words))
        elif _unknown(word):
            is_name = following in NAME_VERBS and not (
                i == 0 and previous in DETERMINERS | NOT_PERSON_BEFORE)
        else:  # a first name that is an everyday word: "Jack has", not "Grace period"
            is_name = _first_name(word, COMMON_LOG_PROB) and not after_place and (
                not start and following in NAME_VERBS
                or i + 1 == len(words) and _paired(text, match.end()))
        if is_name:
            head = " ".join(words[:i])
            return f"{head} [name]" if head else "[name]"
    return match.group(0)


def _lower_case(match: re.Match[str]) -> str:
    """A lower-case first name used as one: "reece has been", "me and darren have", "jack and
    harry"."""
    word, text = match.group(0), match.string
    if not _name_like(word):
        paired = not _protected(word) and _first_name(word, COMMON_LOG_PROB) \
            and _paired(text, match.end())
        return "[name]" if paired else word
    before = _words_before(text, match.start(), 2)
    if before and before[-1] in DETERMINERS:
        return word
    following = _word_after(text, match.end())
    named = (following in NAME_VERBS or bool(before) and before[-1] in PERSON_WORDS)
    return "[name]" if named else word


# Most specific first: a UPN or NHS number must not be half-eaten by the phone pattern, a
# school's name is taken whole before its words are read as names, and a title's name before a
# capitalised word is.
Replace = Callable[[re.Match[str]], str] | None
PATTERNS: tuple[tuple[str, re.Pattern[str], Replace], ...] = (
    ("email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), None),
    # spelt out: "mark dot jones at hotmail", "jo at gmail dot com"
    ("email address", re.compile(
        r"\b\w+(?:\s+dot\s+\w+)*\s+at\s+(?:gmail|googlemail|hotmail|outlook|yahoo|icloud|"
        r"btinternet|aol|virginmedia)\b(?:\s+dot\s+\w+)*", re.IGNORECASE), None),
    ("pupil number", re.compile(r"\b[A-Z]\d{11}[A-Z0-9]\b"), None),
    ("NHS number", re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"), None),
    ("phone number", re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0)\d(?:[\s-]?\d){8,9}\b"),
     None),
    ("date", re.compile(
        r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b"
        rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.IGNORECASE), None),
    # a date of birth without its year: "his birthday is 12th October", "born in March 2015"
    ("date", re.compile(
        r"\b(?:born|birthday|b'?day|dob|d\.o\.b\.?|date of birth)(?:['’]s)?"
        r"(?:\s+(?:is|was|on|in|:|-))*\s*:?\s*(?:the\s+)?"
        rf"(?P<date>\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?![a-z])"
        rf"|{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?|\d{{4}})\b)", re.IGNORECASE),
     lambda m: _labelled(m, "date", "[date]", False)),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", re.IGNORECASE), None),
    ("address", re.compile(
        r"\b\d{1,4}[a-z]?,?\s+(?:(?!(?:and|at|in|on|the|of|to|for|with|is|was|years?|weeks?|"
        r"months?|days?|times?|hours?|minutes?|mins?|miles?)\b)[A-Za-z'’]+\s+){1,3}(?:road|rd|street|avenue|ave|lane|"
        r"close|drive|way|crescent|court|place|grove|gardens|terrace|walk|mews|square|rise|"
        r"parade|row|vale|view|hill|green|croft|park)\b\.?", re.IGNORECASE), None),
    # a street named without its number: "I live on Harebell Drive"
    ("address", re.compile(
        rf"{_FREE}(?!(?:The|A|An|My|Our|Local|Early)\b){_CAP}(?:\s+{_CAP})?\s+(?:Road|Street|"
        r"Avenue|Lane|Close|Drive|Crescent|Grove|Gardens|Terrace|Mews|Rise|Parade|View)\b"),
     None),
    ("school name", re.compile(
        rf"\b(?P<names>(?:(?:St\.?|Saint)\s+)?{_CAP}(?:['’]s)?(?:\s+{_CAP}(?:['’]s)?){{0,3}})"
        rf"(?:\s+(?:{_SCHOOL_WORDS})(?:\s+(?:{_SCHOOL_WORDS}))*\b"
        rf"|(?:\s+(?:special|community|catholic|church|free|infant|junior|primary))+"
        rf"\s+(?:school|academy|primary)\b)"), _school),
    # capitalised names, then a school word in lower case: "Little Acorns nursery", "Brambles
    # preschool", "Parkside academy"
    ("school name", re.compile(
        rf"\b(?P<names>{_CAP}(?:\s+{_CAP}){{0,2}})\s+(?:nursery|pre-?school|academy|primary|"
        rf"infants|juniors|college)\b"), _school_before_lower_type),
    # a saint's name, with or without the apostrophe: "st cuthberts", "St Brigid's"
    ("school name", re.compile(rf"\b(?i:st\.?|saint)\s+[{_UP}{_LOW}]+['’]?s\b"), None),
    # a church or saint's name is a school's or a church's: "Our Lady of Walsingham", "St Bede's"
    ("school name", re.compile(
        rf"\bOur Lady(?:\s+of)?(?:\s+{_CAP}){{1,2}}|\b(?:St\.?|Saint)\s+{_CAP}['’]s\b"), None),
    ("school name", re.compile(
        r"\b(?:at|to|from|attends|attend|attending|into|joined|left|leaving|for|school,|"
        r"school is|school's)\s+"
        r"(?P<school>(?P<names>(?:[a-z]+(?:['’]s)?\s+){1,3}?)"
        r"(?:academy|primary|infants?|juniors?|high|school|college|nursery)"
        r"(?:\s+(?:primary|school|academy|infants?|juniors?))*)\b"), _school_in_lower_case),
    # after a title, with the surname's particles and up to two more capitalised words:
    # "Mrs Patel", "mr. jones", "Dr Lucy Chen", "Mrs Van der Berg"; not "Mr and Mrs", "dr said"
    ("name", re.compile(
        rf"\b(?:(?i:mrs|mr|ms|mx|dr|prof)\.?|Miss)\s+(?!(?i:and|or|the|is|was|has|had|said|"
        rf"says|to|at|in|on|of|for|from|who|with|will|would|can|could|&)\b)"
        rf"(?P<name>(?:(?i:van|von|der|den|de|du|da|di|la|le|al|el|bin|ibn)\s+)*"
        rf"(?P<first>(?=[A-Za-z]{{2}}){_WORD})(?:\s+(?!(?:Mr|Mrs|Ms|Miss|Dr)\b){_CAP}){{0,2}})"),
     _titled),
    # introduced by who they are: "my son jack", "our little girl Ava-Mae", "his dad Gary",
    # "my youngest, Wojtek", "dd2 (Maisie)"; not "my son Is struggling", "my son will be"
    ("name", re.compile(
        rf"\b(?:(?i:my|our|his|her|their|your)\s+(?:(?i:little|eldest|oldest|youngest|middle|"
        rf"baby|foster|step|adopted|twin|teenage|autistic)\s*-?\s*)*(?i:son|daughter|child|kid|"
        rf"boy|girl|lad|grandson|granddaughter|nephew|niece|stepson|stepdaughter|brother|sister|"
        rf"twins?|ds\d?|dd\d?|dh|eldest|youngest|husband|wife|partner|ex|dad|mum|mother|father|"
        rf"stepdad|stepmum|friend|ta|teacher|carer|key ?worker|social worker)"
        rf"|\b(?i:ds|dd)\d)\b\s*[,(]?\s*(?P<name>{_WORD})\b"), _introduced),
    # introduced by the writer's relation to them: "parent of Maksym", "mum of Ellie",
    # "supporting Siobhán", "daughter is Precious"
    ("name", re.compile(
        rf"\b(?i:(?:parent|mum|mam|mom|dad|mother|father|carer|guardian|grandparent|nan|nanna|"
        rf"grandma|grandad|auntie|aunt|uncle|foster carer)\s+(?:to|of)|supporting|working with|"
        rf"(?:daughter|son|child|nephew|niece|grandson|granddaughter|pupil)\s+is)\s+"
        rf"(?P<name>{_WORD})\b"), _introduced),
    # named: "she's called Poppy", "a boy named Ibrahim", "my name's bex"; not "I called back"
    ("name", re.compile(
        rf"\b(?i:called|named|name is|name's|name’s|name was)\s*[,:]?\s*(?P<name>{_WORD})\b"),
     _called),
    # "I'm Sarah, mum of two", "its Jade here": an introduction, so a comma, stop, dash or
    # "and" follows
    ("name", re.compile(
        rf"\b(?i:i'm|i’m|im|i am|this is|it's|it’s|its)\s+(?P<name>{_WORD})(?=\s*(?:[,.!;:-]|$|"
        r"\s+(?i:and|mum|dad|here|from)\b))"), _introducing),
    # a possessive first name or unknown word: "Grace's EHCP", "jack's TA", "Nguyen's family";
    # not "Down's syndrome", "the Council's", "my son's", "it's"
    ("name", re.compile(rf"{_FREE}(?P<name>[A-Za-z]+(?:-[A-Za-z]+)*)['’]s\b"), _possessive),
    # capitalised: "told Oliver", "Ruby-Mai won't", "Danielle Fox", "Chidi is 12", "Jack has";
    # not "Will the school", "in May", "Grace period", "we live in Brooklyn", "on Roblox"
    ("name", re.compile(rf"{_FREE}{_CAP}(?:[ \t]+{_CAP}){{0,3}}(?![\w'’-])"), _capitalised),
    # lower case, used as a name: "reece has been", "me and darren have", "jack and harry";
    # not "a grace period", "hope someone can help", "he's on amber"
    ("name", re.compile(rf"{_FREE}[a-z]+(?:-[a-z]+)*(?![\w'’@-])"), _lower_case),
)


def _beside_a_name(match: re.Match[str]) -> str:
    """A word next to a name already found, that is a name too: "Wei [name]'s mum", "[name]
    hassan (13)", "Mei [name] in Year 5"; not "[name] has", "Mrs [name]", "[name] and"."""
    word = match.group("name")
    if word.isupper() and len(word) >= 4 and _fold(word) not in _never_names():
        word_as_written = word.title()  # "[name] OKAFOR": a surname in capitals
        if _unknown(word_as_written) or _first_name(word_as_written, COMMON_LOG_PROB):
            return match.group(0).replace(word, "[name]")
    if _fold(word) in _NOT_NAMES or _protected(word) or _fold(word) in TITLES:
        return match.group(0)
    named = _first_name(word, COMMON_LOG_PROB) or _unknown(word) or (
        word[0].isupper() and (_log_prob(word) or -99.0) < COMMON_LOG_PROB)
    return match.group(0).replace(word, "[name]") if named else match.group(0)


BESIDE_A_NAME = (re.compile(rf"{_FREE}(?P<name>{_CAP})(?=[ \t]+\[name\])"),
                 re.compile(rf"\[name\][ \t]+(?P<name>{_WORD})(?![\w'’-])"))
"""A first name before a surname found, and a surname after a first name found."""


def _shouting(text: str) -> bool:
    """Whether a message is written in capitals ("MY SON FINLEY HAS BEEN EXCLUDED")."""
    words = re.findall(rf"[{_UP}{_LOW}]{{2,}}", text)
    return len(words) >= 4 and sum(w.isupper() for w in words) >= 0.7 * len(words)


def redact(text: str) -> tuple[str, list[str]]:
    """The text with personal details replaced by labels, and the kinds that were found. A
    message in capitals is read in title case (so "FINLEY" reads as a name, not an acronym),
    and the words left keep their capitals."""
    if not _shouting(text):
        return _redact(text)
    original = re.split(r"(\s+)", text)
    cased = "".join(_as_written(w) for w in original)
    redacted, found = _redact(cased)
    # back to the writer's capitals wherever the words are the same
    titled = re.split(r"(\s+)", cased)
    after = re.split(r"(\s+)", redacted)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, titled, after,
                                                      autojunk=False).get_opcodes():
        out.extend(original[i1:i2] if op == "equal" else after[j1:j2])
    return "".join(out), found


def _as_written(word: str) -> str:
    """A word of a message in capitals as it would be written in ordinary case: a SEND term or
    council stays in capitals ("EHCP"), an everyday word goes to lower case ("HAS"), and the
    rest, names most likely, get a capital ("FINLEY", "O'NEILL", "PARKSIDE")."""
    bare = re.sub(rf"[^{_UP}{_LOW}'’-]", "", word)
    if not bare or _fold(bare) in _never_names():
        return word
    if (_log_prob(bare) or -99.0) >= EVERYDAY_LOG_PROB or len(bare) == 1:
        return word.lower() if len(bare) > 1 else word
    return word.title()


def _redact(text: str) -> tuple[str, list[str]]:
    found: list[str] = []
    for kind, pattern, replace in PATTERNS:
        text, count = pattern.subn(replace or f"[{kind}]", text)
        if count and kind not in found and f"[{kind}]" in text:
            found.append(kind)
    for _ in range(2):  # "Ravinder Kaur Sandhu": each pass reaches one word further
        for pattern in BESIDE_A_NAME:
            text = pattern.sub(_beside_a_name, text)
    return re.sub(r"\[name\](?:\s+\[name\])+", "[name]", text), found  # "[name] [name]": one
