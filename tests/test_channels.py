"""bot/channels.py: which REST bodies reach Rasa, and the reply when a part is down."""
from __future__ import annotations

import json

import pytest
import yaml

from actions.paths import PROJECT_ROOT
from bot.channels import UNAVAILABLE_TEXT, rest_body_problem


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("good", [
    body(sender="widget-0b6f6b8e-93a4-4d1e-9a0e-0d3c6f4d8e21", message="what is SEN support?"),
    body(sender="me", message="", metadata={"local_authority": "sefton"}),
    body(sender="eval-1", message="hi", metadata=None),
])
def test_a_message_rasa_can_take_passes(good: bytes) -> None:
    assert rest_body_problem(good) is None


@pytest.mark.parametrize(("bad", "says"), [
    (b"", "not JSON"), (b"  ", "not JSON"), (b'{"sender": ', "not JSON"),
    (b'{"sender": "x", "message": "\xff"}', "not UTF-8"), (b"[]", "JSON object"),
    (body(message="hi"), "`sender`"), (body(sender="", message="hi"), "`sender`"),
    (body(sender="a" * 129, message="hi"), "`sender`"),
    (body(sender="<script>", message="hi"), "`sender`"), (body(sender=5, message="hi"), "`sender`"),
    (body(sender="x"), "`message`"), (body(sender="x", message=["hi"]), "`message`"),
    (body(sender="x", message="hi", metadata="sefton"), "`metadata`"),
])
def test_anything_else_is_refused_with_the_reason(bad: bytes, says: str) -> None:
    problem = rest_body_problem(bad)
    assert problem is not None and says in problem


def test_the_channel_and_the_domain_say_the_same_when_a_part_is_down() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "bot" / "domain" / "_shared.yml").read_text())
    response, = domain["responses"]["utter_try_again_shortly"]
    assert response["text"] == UNAVAILABLE_TEXT
    assert response["custom"] == {"topic": "unavailable"}
