"""Serve the knowledge base to actions, reloading it when its files change.

An edit to an answer is live within `check_interval` seconds, with no restart and no retraining.
A broken edit is refused with a log line and the last good knowledge stays live.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from actions.errors import KnowledgeError
from actions.knowledge import KnowledgeBase, load_knowledge

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


class KnowledgeStore:
    """The current knowledge base of one folder, loaded on first use."""

    def __init__(self, root: Path, check_interval: float = 1.0) -> None:
        self.root = root
        self.check_interval = check_interval
        self._kb: KnowledgeBase | None = None
        self._signature: Signature | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> KnowledgeBase:
        """The knowledge base, reloaded first if a file changed since the last check."""
        with self._lock:
            now = time.monotonic()
            if self._kb is None or now - self._checked_at >= self.check_interval:
                self._checked_at = now
                self._reload_if_changed()
            assert self._kb is not None
            return self._kb

    def _reload_if_changed(self) -> None:
        signature = _signature(self.root)
        if signature == self._signature and self._kb is not None:
            return
        try:
            kb = load_knowledge(self.root)
        except KnowledgeError as err:
            self._signature = signature  # do not retry until the files change again
            if self._kb is None:
                raise
            log.error("Knowledge change refused; the last good version stays live.\n%s", err)
            return
        if self._kb is not None:
            log.info("Knowledge reloaded from %s", self.root)
        self._kb, self._signature = kb, signature


def _signature(root: Path) -> Signature:
    entries = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)
