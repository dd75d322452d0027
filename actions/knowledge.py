"""Load and validate the knowledge packs: councils, their source documents, topic files, phrases.

Layout (all under `knowledge/`):
- `<council>/council.yml`: the council's name, aliases and source documents with their sections;
- `<council>/sources/*.txt`: the guidance as published, the only text answers may draw on;
- `<council>/<topic>.md` and `common/<topic>.md`: one topic each, YAML front matter + Markdown;
- `england/law.yml` and `england/<topic>.md`: the national layer, what the law for England says;
  `law.yml` is a citation index (each Act section, regulation and Code paragraph the layer cites,
  with its heading, never its text), and a national topic may add a "What the law says" note
  (`note`) to local topics (`adds_to`);
- `phrases.yml`: the assistant's own short sentences around answers.

`load_knowledge` reads everything, reports every problem at once and returns nothing on error,
so a running assistant never serves a half-loaded pack.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

from actions.errors import KnowledgeError, Problem
from actions.flows import Flow, load_flows
from actions.safeguarding import SAFEGUARDING_FILE, Safeguarding, load_safeguarding
from actions.scope import OUT_OF_SCOPE_FILE, OutOfScope, load_out_of_scope
from actions.sources import SourceRef, is_web_address, load_sources

COMMON = "common"
"""The folder (and `council` value) of topics whose text is the same for every council."""
NATIONAL = "england"
"""The folder (and `council` value) of the national layer: the law every council works under."""
NATIONAL_INDEX = "law.yml"
"""The national layer's citation index, in its folder."""
CHECKED = ("primary", "official notes", "secondary", "not yet")
"""How a national citation was checked: in the law itself, its Explanatory Notes, a page quoting
it, or not yet."""
NATIONAL_FIELDS = {"adds_to", "note", "law_as_of", "claims"}
"""Fields only national topic files take."""

TOPIC_FIELDS = {"id", "title", "council", "sources", "questions", "aliases", "related",
                "last_reviewed", "reading_grade_note", "sections"}
MIN_SECTION_QUESTIONS = 3
"""The fewest example questions a section takes: fewer cannot tell its narrow question apart."""
REQUIRED_TOPIC_FIELDS = ("id", "title", "council", "sources", "last_reviewed")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED_PHRASES = ("source_one", "source_many", "other_council_note", "owner_note",
                    "choose_council", "council_chosen", "unknown_council", "menu_intro",
                    "suggestions_intro", "something_else", "out_of_scope", "error",
                    "flow_offer", "flow_resume", "flow_owner", "flow_other_council",
                    "flow_choose_role",
                    "role_parent", "role_professional", "flow_back", "flow_restart", "flow_stop",
                    "flow_stopped", "flow_none", "flow_not_understood", "flow_why_heading",
                    "flow_why_line", "flow_record_heading", "flow_record_answers",
                    "flow_record_in_place", "flow_record_missing", "flow_record_unknown",
                    "flow_record_explain",
                    "flow_record_next", "role_professional_words", "law_question_words",
                    "privacy_reminder",
                    "out_of_scope_subject", "contact", "follow_up_more", "follow_up_none",
                    "long_message", "feedback_thanks", "law_heading", "national_note",
                    "section_part", "whole_answer",
                    "menu_law_button", "menu_law_intro")

_html_detector = MarkdownIt("commonmark", {"html": True})
"""Parses raw HTML as HTML, only to refuse it; rendering (actions.render) never passes it on."""


@dataclass(frozen=True, slots=True)
class Document:
    """A guidance document shipped with a council's pack."""

    title: str
    """Short title that knowledge files cite."""
    full_title: str
    """The title as published."""
    council: str
    """The council that publishes it."""
    path: Path
    """The shipped text copy."""
    url: str | None
    """The published address, where known."""
    sections: tuple[str, ...]
    """Every section of the document, spelled as in its text."""
    text: str = field(repr=False)
    """The document's full text; empty for a national document, which ships only its index."""
    headings: dict[str, str] = field(default_factory=dict, repr=False)
    """A national document's headings by section (`section 36`: its heading)."""
    checked: dict[str, str] = field(default_factory=dict, repr=False)
    """A national document's sections by how they were last checked (CHECKED)."""


@dataclass(frozen=True, slots=True)
class Council:
    """A council with a knowledge pack."""

    id: str
    """Folder name and `metadata.local_authority` value, e.g. `sefton`."""
    name: str
    """How the assistant names it to people, e.g. `Sefton`."""
    aliases: tuple[str, ...]
    """Other ways people write its name."""
    documents: tuple[Document, ...]
    """Its guidance documents."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement a national answer makes, with the sections that support it: a row of the
    review table (docs/national-review.md) a council's SEND lead checks."""

    text: str
    """The statement, as the answer makes it."""
    cites: tuple[SourceRef, ...]
    """The file's sources that support it."""
    unconfirmed: bool = False
    """`checked: not yet`: nobody has yet confirmed that the cited sources say this."""


@dataclass(frozen=True, slots=True)
class Section:
    """A part of a topic's answer under its own `## heading`, with its own example questions:
    a narrow question ("how long do I get to comment?") gets this part, not the whole answer."""

    id: str
    """The heading in lower case with `_` for spaces and punctuation left out."""
    heading: str
    """The heading as written after `## ` in the answer."""
    questions: tuple[str, ...]
    """Example phrasings of the narrow question this part answers."""
    body: str
    """The part's Markdown, below its heading and up to the next `## ` heading."""


@dataclass(frozen=True, slots=True)
class TopicFile:
    """One topic as one council (or `common`) words it."""

    id: str
    """Topic id, shared by the NLU intent, the rule and the domain."""
    council: str
    """Council id, or `common`."""
    title: str
    """Plain-English title, used on buttons and menus."""
    sources: tuple[SourceRef, ...]
    """Where the body's facts come from."""
    questions: tuple[str, ...]
    """Example phrasings that train the NLU for this topic."""
    aliases: tuple[str, ...]
    """Terms and abbreviations for the topic's key ideas."""
    related: tuple[str, ...]
    """Ids of topics worth offering next."""
    last_reviewed: dt.date
    """When the content team last checked the text against its sources."""
    body: str
    """The answer, in Markdown."""
    path: Path
    """The file it was read from."""
    adds_to: tuple[str, ...] = ()
    """National files only: local topic ids whose answers this file's `note` follows."""
    note: str = ""
    """National files only: the "What the law says" note shown under those local answers."""
    law_as_of: dt.date | None = None
    """National files only: the date of the law the file describes."""
    reading_grade_note: str = ""
    """Why the answer cannot read at grade 9 or below, where it cannot."""
    claims: tuple[Claim, ...] = ()
    """National files: each statement the answer makes, with the sources that support it."""
    sections: tuple[Section, ...] = ()
    """Parts of the answer under `## ` headings that narrow questions get on their own."""

    @property
    def every_question(self) -> tuple[str, ...]:
        """Its example questions and its sections' ones, each kept to one file. Only the first
        train the NLU: 70 more narrow questions for four law topics moved the development set
        from 94.3% right and 1.1% wrong to 93.1% and 2.2%."""
        return (*self.questions, *(q for s in self.sections for q in s.questions))

    def section(self, section_id: str | None) -> Section | None:
        """The section with this id, if the file has one."""
        return next((s for s in self.sections if s.id == section_id), None)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Everything loaded from a knowledge folder, validated."""

    root: Path
    """The knowledge folder."""
    councils: dict[str, Council]
    """Councils by id."""
    topics: dict[str, dict[str, TopicFile]]
    """Topic files by topic id, then by council id (or `common`)."""
    phrases: dict[str, str]
    """The assistant's own sentences, by name."""
    flows: dict[str, dict[str, Flow]]
    """Decision flows by council id, then flow id."""
    safeguarding: Safeguarding
    """The fixed reply to a child at risk or a person in crisis, and what triggers it."""
    out_of_scope: OutOfScope
    """Subjects the guidance does not cover, which get a kind decline."""
    national: tuple[Document, ...] = ()
    """The national layer's documents (the Act, the Regulations, the Code), as indexed."""

    def topic_ids(self) -> list[str]:
        """All topic ids, sorted."""
        return sorted(self.topics)

    def title(self, topic_id: str, council: str | None = None) -> str:
        """A topic's title, as the given council words it where it has its own file."""
        files = self.topics[topic_id]
        chosen = (files.get(council or "") or files.get(COMMON)
                  or files[sorted(files)[0]])
        return chosen.title

    def questions(self, topic_id: str) -> list[str]:
        """Every example question of a topic, across councils, in file order: what trains the
        NLU (its sections' questions only choose the part, see TopicFile.every_question)."""
        return [q for council in sorted(self.topics[topic_id])
                for q in self.topics[topic_id][council].questions]

    def aliases(self, topic_id: str) -> list[str]:
        """Every alias of a topic, across councils, without repeats."""
        seen: dict[str, None] = {}
        for council in sorted(self.topics[topic_id]):
            for alias in self.topics[topic_id][council].aliases:
                seen.setdefault(alias, None)
        return list(seen)

    def document(self, title: str) -> Document | None:
        """The document with this short title, from any council or the national layer."""
        for doc in self.documents():
            if doc.title == title:
                return doc
        return None

    def documents(self) -> list[Document]:
        """Every document: each council's, then the national layer's."""
        return [d for c in sorted(self.councils) for d in self.councils[c].documents] + [
            *self.national]

    def national_only(self, topic_id: str) -> bool:
        """Whether only the national layer answers this topic (no council or common file)."""
        return set(self.topics[topic_id]) == {NATIONAL}

    def law_notes(self, topic_id: str) -> list[TopicFile]:
        """The national files whose "What the law says" note follows this topic's answer."""
        return [by_council[NATIONAL] for tid, by_council in sorted(self.topics.items())
                if NATIONAL in by_council and topic_id in by_council[NATIONAL].adds_to]

    def flow_starting_from(self, topic_id: str, council: str | None) -> Flow | None:
        """The flow a topic's question starts: the council's own; for a council without a
        pack (or none known), any council's."""
        return self._flow_for(topic_id, council, lambda f: f.starts_from)

    def flow_offered_after(self, topic_id: str, council: str | None) -> Flow | None:
        """The flow to offer as a button after a topic's answer, as flow_starting_from."""
        return self._flow_for(topic_id, council, lambda f: f.offer_after)

    def find_flow(self, flow_id: str, council: str | None = None) -> Flow | None:
        """A flow by id: the council's own if it has one by that id, else any council's."""
        own = self.flows.get(council or "", {}).get(flow_id)
        return own or next((fs[flow_id] for c, fs in sorted(self.flows.items())
                            if flow_id in fs), None)

    def _flow_for(self, topic_id: str, council: str | None, topics: Any) -> Flow | None:
        # A council with its own pack is offered only its own flows (Havering's users are not
        # walked through Sefton's readiness checklist); others may use any council's.
        if council in self.councils:
            councils = [council] if council in self.flows else []
        else:
            councils = sorted(self.flows)
        for c in councils:
            for flow in self.flows[c].values():
                if topic_id in topics(flow):
                    return flow
        return None

    def council_name(self, council_id: str | None) -> str:
        """How to name a council in a sentence, known or not."""
        if council_id in self.councils:
            return self.councils[council_id].name
        return (council_id or "your council").replace("_", " ").title()


def normalise_question(text: str) -> str:
    """Lower case, ASCII letters and digits only, single spaces: for spotting repeats."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def section_in_text(section: str, text: str) -> bool:
    """Whether a line of `text` starts with `section` as a heading or a lead-in label.

    "Targeted Support" matches the line "Targeted Support: A child is recorded as K..." but
    "... (EHCP) can" does not match "... (EHCP) can't:".
    """
    wanted = _fold_quotes(section.strip())
    for line in text.splitlines():
        line = _fold_quotes(line.strip())
        if not line.startswith(wanted):
            continue
        rest = line[len(wanted):]
        if not rest or not (rest[0].isalnum() or rest[0] == "'"):
            return True
    return False


def _fold_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")


def split_front_matter(text: str) -> tuple[str, str] | None:
    """Split a knowledge file into its YAML front matter and Markdown body, or None."""
    if not text.startswith("---"):
        return None
    parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.MULTILINE)
    if len(parts) < 3 or parts[0].strip():
        return None
    return parts[1], parts[2].strip()


def load_knowledge(root: Path) -> KnowledgeBase:
    """Read and validate a knowledge folder; raise KnowledgeError listing every problem."""
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeError([Problem(root, None, "the knowledge folder does not exist",
                                      "create it or set SEND_KNOWLEDGE_DIR to the right folder")])
    councils = {c.id: c for c in (_load_council(d, root, problems) for d in _council_dirs(root))
                if c is not None}
    national = _load_national(root / NATIONAL, root, problems)
    documents = {doc.title: doc for c in councils.values() for doc in c.documents}
    documents.update((doc.title, doc) for doc in national)
    topics: dict[str, dict[str, TopicFile]] = {}
    for folder in [root / COMMON, root / NATIONAL, *(root / cid for cid in sorted(councils))]:
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            topic = _load_topic(path, root, folder.name, documents, problems)
            if topic is not None:
                topics.setdefault(topic.id, {})[topic.council] = topic
    _check_across_topics(topics, root, problems)
    flows = {cid: load_flows(root / cid / "flows", cid, documents,
                             lambda p: _rel(p, root), problems) for cid in sorted(councils)}
    _check_flow_topics(flows, topics, root, problems)
    phrases = _load_phrases(root, problems)
    safeguarding = load_safeguarding(root, problems, _rel(root / SAFEGUARDING_FILE, root))
    out_of_scope = load_out_of_scope(root, problems, _rel(root / OUT_OF_SCOPE_FILE, root))
    if problems or safeguarding is None or out_of_scope is None:
        for problem in problems:
            problem.locate(root.parent)
        raise KnowledgeError(problems)
    return KnowledgeBase(root=root, councils=councils, topics=topics, phrases=phrases,
                         flows={c: fs for c, fs in flows.items() if fs},
                         safeguarding=safeguarding, out_of_scope=out_of_scope,
                         national=tuple(national))


def _check_flow_topics(flows: dict[str, dict[str, Flow]], topics: dict[str, Any], root: Path,
                       problems: list[Problem]) -> None:
    for council_flows in flows.values():
        for flow in council_flows.values():
            for node in flow.nodes.values():
                for topic_id in node.law:
                    national = topics.get(topic_id, {}).get(NATIONAL)
                    if national is None or not national.note:
                        problems.append(Problem(_rel(flow.path, root), f"nodes.{node.id}.law",
                                                f"{topic_id!r} is not a national topic with a "
                                                "`note`", "name a file in england/ that has one"))
            for name, ids in (("starts_from", flow.starts_from), ("offer_after", flow.offer_after)):
                for topic_id in ids:
                    if topic_id not in topics:
                        problems.append(Problem(_rel(flow.path, root), name, f"{topic_id!r} is "
                                                "not a topic id", "use an existing topic's id"))


def _council_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name not in (COMMON, NATIONAL)
                  and not p.name.startswith((".", "_")))


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(_rel(path, root), None, f"cannot be read ({err})",
                                "save it as UTF-8 text"))
    except yaml.YAMLError as err:
        problems.append(Problem(_rel(path, root), None, f"is not valid YAML ({err})",
                                "check indentation and quote values that contain a colon"))
    return None


def _load_council(folder: Path, root: Path, problems: list[Problem]) -> Council | None:
    path = folder / "council.yml"
    where = _rel(path, root)
    if not path.is_file():
        problems.append(Problem(_rel(folder, root), None, "has no council.yml",
                                "add council.yml with id, name, aliases and documents "
                                "(see knowledge/sefton/council.yml)"))
        return None
    data = _read_yaml(path, root, problems)
    if not isinstance(data, dict):
        if data is not None:
            problems.append(Problem(where, None, "is not a mapping of fields",
                                    "write `id:`, `name:`, `aliases:` and `documents:` fields"))
        return None
    before = len(problems)
    if data.get("id") != folder.name:
        problems.append(Problem(where, "id", f"is {data.get('id')!r}, not the folder's name",
                                f"set `id: {folder.name}`"))
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        problems.append(Problem(where, "name", "is missing", "add the council's name, e.g. "
                                "`name: Sefton`"))
    aliases = data.get("aliases") or []
    if not _is_str_list(aliases):
        problems.append(Problem(where, "aliases", "is not a list of names",
                                "write a list such as `[sefton, sefton council]`"))
        aliases = []
    documents: list[Document] = []
    raw_docs = data.get("documents")
    if not isinstance(raw_docs, list) or not raw_docs:
        problems.append(Problem(where, "documents", "is missing or empty",
                                "list the council's guidance documents with title, file and "
                                "sections"))
        raw_docs = []
    for i, raw in enumerate(raw_docs):
        doc = _load_document(raw, folder, root, f"documents[{i}]", where, problems)
        if doc is not None:
            documents.append(doc)
    if len(problems) > before:
        return None
    return Council(id=folder.name, name=data["name"].strip(), aliases=tuple(aliases),
                   documents=tuple(documents))


def _load_national(folder: Path, root: Path, problems: list[Problem]) -> list[Document]:
    """The national layer's documents from its citation index; none if there is no layer."""
    path = folder / NATIONAL_INDEX
    if not folder.is_dir():
        return []
    where = _rel(path, root)
    if not path.is_file():
        problems.append(Problem(_rel(folder, root), None, f"has no {NATIONAL_INDEX}",
                                "add the citation index: each document with its `sections`"))
        return []
    data = _read_yaml(path, root, problems)
    raw_docs = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(raw_docs, list) or not raw_docs:
        problems.append(Problem(where, "documents", "is missing or empty",
                                "list each Act, regulations and code the layer cites, with "
                                "title, url and sections"))
        return []
    documents = []
    for i, raw in enumerate(raw_docs):
        label = f"documents[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
            problems.append(Problem(where, label, "has no title",
                                    "give each document `title`, `url` and `sections`"))
            continue
        url = raw.get("url")
        if url is not None and not is_web_address(url):
            problems.append(Problem(where, f"{label}.url", f"{url!r} is not a web address",
                                    "give the published https:// address, or null"))
        headings: dict[str, str] = {}
        checked: dict[str, str] = {}
        for j, entry in enumerate(raw.get("sections") or []):
            section = entry.get("section") if isinstance(entry, dict) else None
            heading = entry.get("heading") if isinstance(entry, dict) else None
            if not isinstance(section, str) or not isinstance(heading, str) or not heading:
                problems.append(Problem(where, f"{label}.sections[{j}]", "needs `section` and "
                                        "`heading`", "write `- {section: section 36, heading: "
                                        "...}` with the heading the source gives it"))
            elif section in headings:
                problems.append(Problem(where, f"{label}.sections[{j}]", f"{section!r} is "
                                        "listed twice", "keep one entry"))
            else:
                headings[section] = heading.strip()
                checked[section] = str(entry.get("checked", CHECKED[-1]))
                if checked[section] not in CHECKED:
                    problems.append(Problem(where, f"{label}.sections[{j}].checked",
                                            f"{checked[section]!r} is not one of the ways",
                                            f"use one of: {', '.join(CHECKED)}"))
        if not headings:
            problems.append(Problem(where, f"{label}.sections", "is missing or empty",
                                    "list every section or paragraph the layer cites"))
            continue
        title = raw["title"].strip()
        documents.append(Document(title=title, full_title=str(raw.get("full_title") or title)
                                  .strip(), council=NATIONAL, path=path, url=url,
                                  sections=tuple(headings), text="", headings=headings,
                                  checked=checked))
    return documents


def _load_document(raw: Any, folder: Path, root: Path, label: str, where: str,
                   problems: list[Problem]) -> Document | None:
    if not isinstance(raw, dict):
        problems.append(Problem(where, label, "is not a mapping",
                                "give each document `title`, `file` and `sections`"))
        return None
    title, file = raw.get("title"), raw.get("file")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem(where, f"{label}.title", "is missing",
                                "add the short title that knowledge files cite"))
        return None
    if not isinstance(file, str) or not (folder / file).is_file():
        problems.append(Problem(where, f"{label}.file", f"{file!r} is not a file in "
                                f"{_rel(folder, root)}", "ship the document's text under "
                                "sources/ and name it here"))
        return None
    text = (folder / file).read_text(encoding="utf-8")
    url = raw.get("url")
    if url is not None and not is_web_address(url):
        problems.append(Problem(where, f"{label}.url", f"{url!r} is not a web address",
                                "give the published https:// address, or null"))
    sections = raw.get("sections")
    if not _is_str_list(sections) or not sections:
        problems.append(Problem(where, f"{label}.sections", "is missing or not a list of "
                                "headings", "list every section heading of the document as "
                                "spelled in it, in quotes if it contains a colon"))
        return None
    for section in sections:
        if not section_in_text(section, text):
            problems.append(Problem(where, f"{label}.sections", f"{section!r} is not a line of "
                                    f"{file}", "copy the heading exactly as the text spells it"))
    return Document(title=title.strip(), full_title=str(raw.get("full_title") or title).strip(),
                    council=folder.name, path=folder / file, url=url,
                    sections=tuple(sections), text=text)


def _load_topic(path: Path, root: Path, folder_name: str, documents: dict[str, Document],
                problems: list[Problem]) -> TopicFile | None:
    where = _rel(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(where, None, f"cannot be read ({err})", "save it as UTF-8 text"))
        return None
    split = split_front_matter(text)
    if split is None:
        problems.append(Problem(where, None, "has no front matter",
                                "start the file with a `---` line, the fields, and another `---`"))
        return None
    try:
        meta = yaml.safe_load(split[0])
    except yaml.YAMLError as err:
        problems.append(Problem(where, None, f"front matter is not valid YAML ({err})",
                                "check indentation and quote values that contain a colon"))
        return None
    if not isinstance(meta, dict):
        problems.append(Problem(where, None, "front matter is not a mapping of fields",
                                "write one `field: value` per line between the `---` lines"))
        return None
    body = split[1]
    before = len(problems)
    national = folder_name == NATIONAL
    known = TOPIC_FIELDS | NATIONAL_FIELDS if national else TOPIC_FIELDS
    for name in sorted(set(meta) - known):
        fix = (f"only files in {NATIONAL}/ take it" if name in NATIONAL_FIELDS
               else f"use only {', '.join(sorted(known))}")
        problems.append(Problem(where, name, "is not a known field", fix))
    if national and meta.get("law_as_of") in (None, ""):
        problems.append(Problem(where, "law_as_of", "is missing", "add `law_as_of: YYYY-MM-DD`, "
                                "the date of the law the answer describes"))
    for name in REQUIRED_TOPIC_FIELDS:
        if meta.get(name) in (None, "", []):
            problems.append(Problem(where, name, "is missing", _FIELD_FIXES[name]))
    if len(problems) > before:
        return None
    if meta["id"] != path.stem or not ID_PATTERN.match(str(meta["id"])):
        problems.append(Problem(where, "id", f"is {meta['id']!r}, not the file's name",
                                f"set `id: {path.stem}` (lower case, digits and _ only), or "
                                "rename the file"))
    if meta["council"] != folder_name:
        problems.append(Problem(where, "council", f"is {meta['council']!r} but the file is in "
                                f"{folder_name}/",
                                f"set `council: {folder_name}` or move the file"))
    for name in ("questions", "aliases", "related"):
        if not _is_str_list(meta.get(name) or []):
            problems.append(Problem(where, name, "is not a list of strings",
                                    "write one `- item` per line, in quotes if it contains "
                                    "a colon"))
    for name in ("last_reviewed", "law_as_of"):
        if name in meta and not isinstance(meta[name], dt.date):
            problems.append(Problem(where, name, f"{meta[name]!r} is not a date",
                                    "write it as YYYY-MM-DD"))
    if not _is_str_list(meta.get("adds_to") or []):
        problems.append(Problem(where, "adds_to", "is not a list of topic ids",
                                "write a list such as `[requesting_an_assessment]`"))
    elif meta.get("adds_to") and not str(meta.get("note") or "").strip():
        problems.append(Problem(where, "note", "is missing: `adds_to` needs the note shown "
                                "under those local answers", "write the note, or remove "
                                "`adds_to`"))
    sources = load_sources(meta["sources"], documents, where, "sources", problems)
    if not body:
        problems.append(Problem(where, None, "has no answer text after the front matter",
                                "write the answer in Markdown below the closing `---`"))
    elif any(t.type in ("html_block", "html_inline") or
             any(c.type == "html_inline" for c in t.children or [])
             for t in _html_detector.parse(body)):
        problems.append(Problem(where, None, "contains raw HTML",
                                "use Markdown only (**bold**, - lists); HTML is never shown"))
    claims = _load_claims(meta.get("claims"), sources, where, problems)
    sections = _load_sections(meta.get("sections"), body, where, problems)
    if len(problems) > before:
        return None
    return TopicFile(id=meta["id"], council=folder_name, title=str(meta["title"]).strip(),
                     sources=sources,
                     questions=tuple(q.strip() for q in meta.get("questions") or []),
                     aliases=tuple(meta.get("aliases") or []),
                     related=tuple(meta.get("related") or []),
                     last_reviewed=meta["last_reviewed"], body=body, path=path,
                     adds_to=tuple(meta.get("adds_to") or []),
                     note=" ".join(str(meta.get("note") or "").split()),
                     law_as_of=meta.get("law_as_of"),
                     reading_grade_note=str(meta.get("reading_grade_note") or "").strip(),
                     claims=claims, sections=sections)


_HEADING = re.compile(r"^## +(.+?) *$", re.MULTILINE)


def _load_sections(raw: Any, body: str, where: str,
                   problems: list[Problem]) -> tuple[Section, ...]:
    """A topic's `sections`: each `heading` (written as `## heading` in the answer) with the
    `questions` its part answers on its own."""
    if raw is None:
        return ()
    fix = ("write `- heading: ...` items, each with `questions:` (at least "
           f"{MIN_SECTION_QUESTIONS}), and the same heading as `## heading` in the answer")
    if not isinstance(raw, list):
        problems.append(Problem(where, "sections", "is not a list", fix))
        return ()
    found = list(_HEADING.finditer(body))
    parts = {m.group(1): body[m.end():found[i + 1].start() if i + 1 < len(found) else None]
             .strip() for i, m in enumerate(found)}
    sections: list[Section] = []
    for i, item in enumerate(raw):
        at = f"sections[{i}]"
        heading = item.get("heading") if isinstance(item, dict) else None
        questions = item.get("questions") if isinstance(item, dict) else None
        if (not isinstance(heading, str) or not heading.strip() or not _is_str_list(questions)
                or len(questions or []) < MIN_SECTION_QUESTIONS
                or set(item) - {"heading", "questions"}):
            problems.append(Problem(where, at, "needs `heading` and `questions`", fix))
            continue
        heading = heading.strip()
        if heading not in parts:
            problems.append(Problem(where, f"{at}.heading", f"{heading!r} is not a `## ` "
                                    "heading of the answer", "write `## " + heading +
                                    "` above its part of the answer, or correct the heading"))
            continue
        section_id = re.sub(r"[^a-z0-9]+", "_", heading.lower()).strip("_")
        if any(s.id == section_id for s in sections) or not parts[heading]:
            problems.append(Problem(where, f"{at}.heading", f"{heading!r} is used twice or has "
                                    "no text under it", "give each part its own heading and "
                                    "text"))
            continue
        sections.append(Section(id=section_id, heading=heading,
                                questions=tuple(q.strip() for q in questions or []),
                                body=parts[heading]))
    return tuple(sections)


def _load_claims(raw: Any, sources: tuple[SourceRef, ...], where: str,
                 problems: list[Problem]) -> tuple[Claim, ...]:
    """A national file's `claims`: each `claim` with the `cites` (its sources' sections) that
    support it."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem(where, "claims", "is not a list", "write `- claim: ...` items, "
                                "each with `cites: [section 36, ...]`"))
        return ()
    claims = []
    for i, item in enumerate(raw):
        at = f"claims[{i}]"
        text = item.get("claim") if isinstance(item, dict) else None
        cites = item.get("cites") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip() or not _is_str_list(cites) or not cites:
            problems.append(Problem(where, at, "needs `claim` and `cites`", "write the statement "
                                    "and the sections of `sources` that support it"))
            continue
        refs = []
        for cite in cites:
            found = [ref for ref in sources if cite in (ref.section,
                                                         f"{ref.document}, {ref.section}")]
            if len(found) != 1:
                problems.append(Problem(where, f"{at}.cites", f"{cite!r} is "
                                        f"{'not one' if not found else 'more than one'} of the "
                                        "file's sources", "name a section listed under `sources` "
                                        "(as `Document, section` where two share a number)"))
                continue
            refs.append(found[0])
        checked = item.get("checked")
        if checked not in (None, "not yet"):
            problems.append(Problem(where, f"{at}.checked", f"{checked!r} is not `not yet`",
                                    "remove `checked` once the sources are confirmed to say it"))
        claims.append(Claim(text=" ".join(text.split()), cites=tuple(refs),
                            unconfirmed=checked == "not yet"))
    return tuple(claims)


_FIELD_FIXES = {
    "id": "add `id:` with the topic id, the same as the file name",
    "title": "add a plain-English `title:`",
    "council": "add `council:` with the folder name",
    "sources": "list the guidance sections the answer comes from under `sources:`",
    "last_reviewed": "add `last_reviewed: YYYY-MM-DD`",
}


def _check_across_topics(topics: dict[str, dict[str, TopicFile]], root: Path,
                         problems: list[Problem]) -> None:
    seen: dict[str, TopicFile] = {}
    for topic_id in sorted(topics):
        files = topics[topic_id]
        if not any(f.questions for f in files.values()):
            f = next(iter(files.values()))
            problems.append(Problem(_rel(f.path, root), "questions", "no file of this topic has "
                                    "example questions", "add a few ways people ask about it"))
        for council in sorted(files):
            f = files[council]
            for rel in f.related:
                if rel not in topics:
                    problems.append(Problem(_rel(f.path, root), "related", f"{rel!r} is not a "
                                            "topic id", "use the id of an existing topic file"))
            for local in f.adds_to:
                if local not in topics or set(topics[local]) == {NATIONAL}:
                    problems.append(Problem(_rel(f.path, root), "adds_to", f"{local!r} is not "
                                            "a council's or common topic id", "name a local "
                                            "topic whose answer this law note follows"))
            for question in f.every_question:
                key = normalise_question(question)
                other = seen.get(key)
                if other is not None and other is not f:
                    problems.append(Problem(_rel(f.path, root), "questions", f"{question!r} is "
                                            f"already a question of {_rel(other.path, root)}",
                                            "keep each phrasing in one file only"))
                seen.setdefault(key, f)


def _load_phrases(root: Path, problems: list[Problem]) -> dict[str, str]:
    path = root / "phrases.yml"
    if not path.is_file():
        problems.append(Problem(_rel(path, root), None, "is missing",
                                "add phrases.yml with the assistant's own sentences"))
        return {}
    data = _read_yaml(path, root, problems)
    if not isinstance(data, dict):
        return {}
    for name in REQUIRED_PHRASES:
        if not isinstance(data.get(name), str) or not data[name].strip():
            problems.append(Problem(_rel(path, root), name, "is missing",
                                    "add the sentence (see the comments in phrases.yml)"))
    return {k: str(v).strip() for k, v in data.items()}


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
