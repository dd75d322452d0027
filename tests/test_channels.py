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
    body(sender="eval-1", message="hi", message_id="0b6f6b8e93a44d1e"),
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
    (body(sender="x", message="hi", message_id=7), "`message_id`"),
    (body(sender="x", message="hi", message_id="<script>"), "`message_id`"),
])
def test_anything_else_is_refused_with_the_reason(bad: bytes, says: str) -> None:
    problem = rest_body_problem(bad)
    assert problem is not None and says in problem


def test_the_channel_and_the_domain_say_the_same_when_a_part_is_down() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "bot" / "domain" / "_shared.yml").read_text())
    response, = domain["responses"]["utter_try_again_shortly"]
    assert response["text"] == UNAVAILABLE_TEXT
    assert response["custom"] == {"topic": "unavailable"}


@pytest.mark.parametrize(("origin", "allowed"), [
    (None, True),                                   # not a browser page
    ("http://assistant.example:5005", True),        # the assistant's own demo page
    ("https://www.council.example", True),          # listed in SEND_ALLOWED_ORIGINS
    ("https://www.council.example/", True),
    ("https://elsewhere.example", False),           # any other site's page
    ("http://assistant.example:5006", False),
])
def test_socketio_takes_pages_only_from_its_own_and_the_allowed_origins(
        monkeypatch: pytest.MonkeyPatch, origin: str | None, allowed: bool) -> None:
    from bot.channels import allowed_origin

    monkeypatch.setenv("SEND_ALLOWED_ORIGINS", "https://www.council.example, https://other.example")
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "assistant.example:5005"}
    assert allowed_origin(origin, environ) is allowed
