"""Generate what Rasa trains on from the knowledge files, and the spaCy pipeline the NLU uses.

Generated (committed, so a reader sees what the model learns; `build --check` fails when stale):
- `data/nlu/<topic>.yml`: a topic's example questions, across councils, as its intent;
- `data/nlu/councils.yml`: ways of naming each council, as `inform_council`;
- `data/stories/knowledge.yml`: one rule a topic, intent -> `action_understand`;
- `bot/domain/knowledge.yml`: the topic intents;
- `docs/national-review.md`: the national layer's review table (tools/review.py).
Built (not committed): `build/spacy_send_en`, blank English + lookup lemmatizer + spelling
corrector + entity ruler.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from actions.knowledge import KnowledgeBase
from actions.paths import PROJECT_ROOT
from tools.review import REVIEW_FILE, review_table

GENERATED_HEADER = ("# Generated from knowledge/ by `send-assistant build`. Do not edit: change "
                    "the knowledge files and build again.\n")
SPACY_DIR = PROJECT_ROOT / "build" / "spacy_send_en"
"""Where the spaCy pipeline is written; bot/config.yml loads it by this path."""

COUNCIL_TEMPLATES = (
    "{name}", "I'm in {name}", "im in {name}", "I live in {name}", "we live in {name}",
    "my council is {name}", "{name} council", "I'm with {name} council", "we are in {name}",
    "use {name}", "change to {name}", "switch to {name} please", "I'm from {name}",
    "our local authority is {name}", "my child goes to school in {name}",
    "show me {name}'s guidance", "I meant {name}",
    # after an answer, asking for the same topic in another council's guidance
    "what about in {name}?", "what about {name}", "and in {name}?", "how about {name}",
    "what does {name} say", "same for {name} please",
)
"""Ways people name their council; each council's names fill them to train `inform_council`."""

NLU_DIR = Path("data/nlu")
RULES_FILE = Path("data/stories/knowledge.yml")
DOMAIN_FILE = Path("bot/domain/knowledge.yml")
COUNCILS_NLU_FILE = NLU_DIR / "councils.yml"


def generated_files(kb: KnowledgeBase) -> dict[Path, str]:
    """Every generated training file's path (relative to the project) and content."""
    files: dict[Path, str] = {}
    for topic in kb.topic_ids():
        files[NLU_DIR / f"{topic}.yml"] = _yaml_doc({
            "version": "3.1",
            "nlu": [{"intent": topic, "examples": _examples(kb.questions(topic))}],
        })
    council_examples = [template.format(name=name)
                        for council in sorted(kb.councils)
                        for name in _council_names(kb, council)
                        for template in COUNCIL_TEMPLATES]
    files[COUNCILS_NLU_FILE] = _yaml_doc({
        "version": "3.1",
        "nlu": [{"intent": "inform_council", "examples": _examples(council_examples)}],
    })
    files[RULES_FILE] = _yaml_doc({
        "version": "3.1",
        "rules": [{"rule": f"answer {topic}",
                   "steps": [{"intent": topic}, {"action": "action_understand"}]}
                  for topic in kb.topic_ids()],
    })
    files[DOMAIN_FILE] = _yaml_doc({"version": "3.1", "intents": kb.topic_ids()})
    if kb.national:
        files[REVIEW_FILE] = review_table(kb)
    return files


def write_generated(kb: KnowledgeBase, root: Path = PROJECT_ROOT) -> list[Path]:
    """Write the generated files that changed, remove ones no longer generated; return them."""
    changed = stale_files(kb, root)
    wanted = generated_files(kb)
    for rel in changed:
        path = root / rel
        if rel in wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[rel], encoding="utf-8")
        else:
            path.unlink()
    return changed


def stale_files(kb: KnowledgeBase, root: Path = PROJECT_ROOT) -> list[Path]:
    """Generated files that are missing, out of date, or left over from a removed topic."""
    wanted = generated_files(kb)
    stale = [rel for rel, content in wanted.items()
             if not (root / rel).is_file() or (root / rel).read_text(encoding="utf-8") != content]
    for path in sorted((root / NLU_DIR).glob("*.yml")):
        rel = path.relative_to(root)
        if rel not in wanted and path.read_text(encoding="utf-8").startswith(GENERATED_HEADER):
            stale.append(rel)
    return sorted(stale)


def entity_patterns(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """spaCy entity-ruler patterns: topic aliases as `send_term`, council names as `council`.

    Token patterns on lower case, so "SENCO", "Senco" and "senco" all match.
    """
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    patterns: dict[tuple[str, str, tuple[str, ...]], dict[str, Any]] = {}

    def add(label: str, ident: str, phrase: str) -> None:
        tokens = tuple(t.lower_ for t in tokenizer(phrase))
        if tokens:
            patterns[(label, ident, tokens)] = {
                "label": label, "id": ident, "pattern": [{"LOWER": t} for t in tokens]}

    for topic in kb.topic_ids():
        for alias in kb.aliases(topic):
            add("send_term", topic, alias)
    for council in sorted(kb.councils):
        for name in _council_names(kb, council):
            add("council", council, name)
    return [patterns[key] for key in sorted(patterns)]


def build_spacy_pipeline(kb: KnowledgeBase, out_dir: Path = SPACY_DIR) -> Path:
    """Save blank English with the lookup lemmatizer, the spelling corrector (bot.spelling)
    and the knowledge's entity ruler; and the English word table (actions.search)."""
    import spacy

    from actions.privacy import write_first_names
    from actions.search import english_words, index, write_english
    from bot.spelling import FACTORY

    write_english()  # the servers read English words from this, not the whole lookup table
    write_first_names()  # and first names (actions.privacy) from this, not Faker's locales

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    spelling = nlp.add_pipe(FACTORY)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()  # loads the lemma tables from spacy-lookups-data; empties the ruler
    spelling.set_words(index(kb).vocabulary, english_words())  # type: ignore[attr-defined]
    ruler.add_patterns(entity_patterns(kb))  # type: ignore[attr-defined]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    return out_dir


def _council_names(kb: KnowledgeBase, council_id: str) -> list[str]:
    council = kb.councils[council_id]
    names = {council.name: None}
    for alias in council.aliases:
        names.setdefault(alias, None)
    return list(names)


def _examples(lines: list[str]) -> str:
    seen: dict[str, None] = {}
    for line in lines:
        seen.setdefault(" ".join(line.split()), None)
    return "".join(f"- {line}\n" for line in seen)


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks, the form Rasa's examples use."""


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_LiteralDumper.add_representer(str, _str_presenter)


def _yaml_doc(data: dict[str, Any]) -> str:
    body = yaml.dump(data, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=100)
    return GENERATED_HEADER + body
