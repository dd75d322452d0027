"""The model is retrained only when what it is trained on changes."""
from __future__ import annotations

from pathlib import Path

from tools.train import fingerprint


def make_tree(root: Path) -> None:
    files = {"bot/config.yml": "pipeline: []", "bot/domain/_shared.yml": "intents: []",
             "data/nlu/topic.yml": "nlu: []", "knowledge/sefton/topic.md": "answer"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_editing_an_answer_does_not_change_the_training_fingerprint(tmp_path: Path) -> None:
    make_tree(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "knowledge/sefton/topic.md").write_text("a better answer")
    assert fingerprint(tmp_path) == before


def test_changing_training_data_config_or_domain_changes_the_fingerprint(tmp_path: Path) -> None:
    make_tree(tmp_path)
    seen = {fingerprint(tmp_path)}
    for rel in ("data/nlu/topic.yml", "bot/config.yml", "bot/domain/_shared.yml"):
        (tmp_path / rel).write_text((tmp_path / rel).read_text() + "\n# changed")
        seen.add(fingerprint(tmp_path))
    (tmp_path / "data/nlu/new_topic.yml").write_text("nlu: []")
    seen.add(fingerprint(tmp_path))
    assert len(seen) == 5
    # how a learning component is fitted is a training input too (bot/crisis_check.py)
    (tmp_path / "bot/crisis_check.py").write_text("# fitted differently")
    seen.add(fingerprint(tmp_path))
    assert len(seen) == 6


def test_an_edit_made_while_training_runs_is_trained_next_time(tmp_path: Path,
                                                               monkeypatch) -> None:
    import subprocess

    from tools import train as training

    make_tree(tmp_path)
    monkeypatch.setattr(training, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(training, "MODEL_PATH", tmp_path / "models/m.tar.gz")
    monkeypatch.setattr(training, "FINGERPRINT_PATH", tmp_path / "models/m.fingerprint")
    monkeypatch.setattr(training, "fingerprint", lambda root=tmp_path: fingerprint(root))

    def slow_training(*args, **kwargs) -> subprocess.CompletedProcess:
        (tmp_path / "models").mkdir(exist_ok=True)
        (tmp_path / "models/m.tar.gz").write_text("model")
        (tmp_path / "data/nlu/topic.yml").write_text("nlu: [edited meanwhile]")
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(subprocess, "run", slow_training)
    assert training.train() is True
    assert training.needs_training() is True

