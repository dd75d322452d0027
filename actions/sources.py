"""References from knowledge and flows to sections of the shipped guidance, and their checks."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from actions.errors import Problem


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A place in a source document that a text comes from."""

    document: str
    """The document's short title, as in its council's `council.yml`."""
    section: str
    """The section heading, spelled as in the document's text."""
    url: str | None
    """A real address for the section, or None where none is known."""

    def as_payload(self) -> dict[str, str | None]:
        """The form clients receive in `custom.sources` (see CONTRACT.md)."""
        return {"document": self.document, "section": self.section, "url": self.url}


def load_sources(raw: Any, documents: dict[str, Any], where: str, label: str,
                 problems: list[Problem]) -> tuple[SourceRef, ...]:
    """Check a `sources` list against the shipped documents (title -> Document); append a
    Problem for each bad entry and return the good ones."""
    if not isinstance(raw, list):
        problems.append(Problem(where, label, "is not a list",
                                "write `- document: ...` items with `section` and `url`"))
        return ()
    refs = []
    for i, item in enumerate(raw):
        at = f"{label}[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, at, "is not a mapping",
                                    "give `document`, `section` and `url`"))
            continue
        title, section, url = item.get("document"), item.get("section"), item.get("url")
        doc = documents.get(title) if isinstance(title, str) else None
        if doc is None:
            known = "; ".join(sorted(documents)) or "none"
            problems.append(Problem(where, f"{at}.document", f"{title!r} is not a shipped "
                                    "document", f"use one of: {known}"))
            continue
        if section not in doc.sections:
            index = "law.yml" if doc.headings else "council.yml"
            problems.append(Problem(where, f"{at}.section", f"{section!r} is not a section of "
                                    f"{title!r}", "use a section listed under `sections` in "
                                    f"{doc.council}/{index}"))
            continue
        if url is not None and not is_web_address(url):
            problems.append(Problem(where, f"{at}.url", f"{url!r} is not a web address",
                                    "give a real https:// address, or null where none is known"))
            continue
        refs.append(SourceRef(document=doc.title, section=str(section), url=url))
    return tuple(refs)


def is_web_address(value: Any) -> bool:
    """Whether a value is an https:// address."""
    return isinstance(value, str) and re.match(r"^https://[^\s/$.?#][^\s]*$", value) is not None
