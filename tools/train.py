"""Train the Rasa model only when what it is trained on has changed.

The fingerprint covers the Rasa config, the domain, the training data and the spaCy pipeline
(which `build` regenerates from knowledge only when questions, aliases or topics change), so
editing an answer's text never retrains.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from actions.errors import SendAssistantError
from actions.paths import PROJECT_ROOT

MODEL_DIR = PROJECT_ROOT / "models"
MODEL_NAME = "send-assistant"
MODEL_PATH = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
FINGERPRINT_PATH = MODEL_DIR / f"{MODEL_NAME}.fingerprint"
INPUTS = ("bot/config.yml", "bot/domain", "data", "build/spacy_send_en", "bot/classifier.py",
          "bot/crisis_check.py", "bot/safeguarding.py")
"""What the model is trained on, relative to the project: the spaCy pipeline too, since its
lemmas and spelling corrections are the classifier's features, and the code of the components
that learn (how the intent classifier and the crisis check are fitted)."""


class TrainingError(SendAssistantError):
    """`rasa train` failed."""


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A hash of every training input's path and content."""
    digest = hashlib.sha256()
    for name in INPUTS:
        path = root / name
        files = (sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir()
                 else [path] if path.exists() else [])
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def needs_training() -> bool:
    """Whether there is no model, or its inputs changed since it was trained."""
    return not (MODEL_PATH.is_file() and FINGERPRINT_PATH.is_file()
                and FINGERPRINT_PATH.read_text() == fingerprint())


def train(force: bool = False) -> bool:
    """Train if needed (or forced); return whether it trained."""
    if not force and not needs_training():
        return False
    trained_on = fingerprint()  # before training: an edit made meanwhile must retrain
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run([str(rasa), "train", "--config", "bot/config.yml", "--domain",
                             "bot/domain", "--data", "data", "--out", str(MODEL_DIR),
                             "--fixed-model-name", MODEL_NAME], cwd=PROJECT_ROOT)
    if result.returncode != 0:
        raise TrainingError(f"rasa train failed with exit code {result.returncode}; see above")
    FINGERPRINT_PATH.write_text(trained_on)
    return True
