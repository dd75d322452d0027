"""Rasa's own checks: the training data validates, and the test conversations are predicted."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actions.paths import PROJECT_ROOT

RASA = str(Path(sys.executable).parent / "rasa")


def rasa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RASA, *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=900)


@pytest.mark.integration
def test_the_training_data_and_domain_validate() -> None:
    result = rasa("data", "validate", "--config", "bot/config.yml", "--domain", "bot/domain",
                  "--data", "data", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.integration
def test_the_test_conversations_are_predicted_without_error(model: Path, tmp_path: Path) -> None:
    result = rasa("test", "core", "--model", str(model), "--stories", "tests/conversations",
                  "--endpoints", "bot/endpoints.yml", "--out", str(tmp_path),
                  "--e2e", "--fail-on-prediction-errors")
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text() if failed.is_file() else ""
    assert result.returncode == 0, detail + result.stdout[-3000:] + result.stderr[-3000:]
