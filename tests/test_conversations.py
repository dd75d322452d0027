"""bot/conversations.py: ids the server issues, and only those, are taken."""
from __future__ import annotations

import pytest

from bot.channels import SENDER
from bot.conversations import is_issued, issue

KEY = b"a test secret"


def test_an_issued_id_is_recognised_and_is_a_valid_conversation_id() -> None:
    conversation_id = issue(KEY)
    assert is_issued(KEY, conversation_id)
    assert SENDER.match(conversation_id)


def test_every_id_is_new() -> None:
    assert len({issue(KEY) for _ in range(1000)}) == 1000


@pytest.mark.parametrize("forged", [
    "widget-0b6f6b8e-93a4-4d1e-9a0e-0d3c6f4d8e21", "c123.abc", ".", "", "c.",
    issue(b"another server's secret")])
def test_ids_it_did_not_issue_are_refused(forged: str) -> None:
    assert not is_issued(KEY, forged)


def test_changing_the_random_part_breaks_the_signature() -> None:
    token, signature = issue(KEY).split(".")
    assert not is_issued(KEY, f"{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.{signature}")
