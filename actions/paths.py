"""Where the project's files live, from one root, so nothing depends on the current folder."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository's top folder."""

KNOWLEDGE_DIR = Path(os.environ.get("SEND_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge"))
"""The knowledge packs; `SEND_KNOWLEDGE_DIR` points elsewhere (tests, another deployment)."""
