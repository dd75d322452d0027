"""One real assistant for the whole test run: the trained model, a real action server and a real
Rasa server on free loopback ports, with a SQLite tracker store in a temporary folder."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.evaluate import ask, new_conversation
from tools.servers import Assistant, free_port, running_assistant
from tools.train import MODEL_PATH, train


@pytest.fixture(scope="session")
def model() -> Path:
    """The trained model, up to date; `make test` trains it first, so this rarely trains."""
    train()
    return MODEL_PATH


@pytest.fixture(scope="session")
def assistant(model: Path, tmp_path_factory) -> Iterator[Assistant]:
    """A running assistant with no default council, taking only conversation ids it issued
    (as in production)."""
    with running_assistant(model=model, rasa_port=free_port(), action_port=free_port(),
                           work_dir=tmp_path_factory.mktemp("assistant"),
                           env={"SEND_DEFAULT_COUNCIL": "",
                                "SEND_CONVERSATION_SECRET": "a secret for the tests"}) as running:
        yield running


class Conversation:
    """One person's conversation with the running assistant over the REST channel."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.sender = new_conversation(assistant.webhook)

    def say(self, text: str, council: str | None = None) -> list[dict[str, Any]]:
        """Send a message (with `metadata.local_authority` if given); return the replies."""
        return ask(self.assistant.webhook, text, council, self.sender)


@pytest.fixture
def conversation(assistant: Assistant) -> Conversation:
    """A new conversation."""
    return Conversation(assistant)


def custom_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The first custom payload in a reply (CONTRACT.md: with the text or just after it)."""
    for message in messages:
        if isinstance(message.get("custom"), dict):
            return message["custom"]
    raise AssertionError(f"no custom payload in {messages}")



CHROMIUM = os.environ.get("SEND_CHROMIUM", "/usr/bin/chromium")
"""Debian's Chromium, which the browser tests drive (`make browser` installs it)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright) for a module of browser tests (the widget's,
    rasa-webchat's). Per module, not per session: Playwright's sync API keeps an event loop
    running while it is open, and later tests call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (or `make test`), or set "
                    "SEND_CHROMIUM to a Chromium executable")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()
