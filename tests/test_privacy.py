"""Personal details are replaced before a message is stored; ordinary SEND talk is left alone."""
from __future__ import annotations

import pytest

from actions.privacy import redact


@pytest.mark.parametrize(("text", "redacted", "kinds"), [
    ("email me at jo.bloggs+send@example.co.uk please", "email me at [email address] please",
     ["email address"]),
    ("call 07700 900123", "call [phone number]", ["phone number"]),
    ("ring +44 7700 900123 or 0151 496 0000", "ring [phone number] or [phone number]",
     ["phone number"]),
    ("his NHS number is 943 476 5919", "his NHS number is [NHS number]", ["NHS number"]),
    ("NHS 9434765919", "NHS [NHS number]", ["NHS number"]),
    ("UPN A123456789012", "UPN [pupil number]", ["pupil number"]),
    ("Sam was born 03/05/2015", "Sam was born [date]", ["date"]),
    ("born on 3rd May 2015", "born on [date]", ["date"]),
])
def test_personal_details_are_replaced_by_labels(text, redacted, kinds) -> None:
    assert redact(text) == (redacted, kinds)


@pytest.mark.parametrize("text", [
    "what happens at stage 3", "after 2 terms of SEN support", "he is in year 6",
    "what does K mean on the SEN register", "SEND Code of Practice 6.37 and 9.14",
    "my child is 7 and has an EHCP", "APDR cycle", "0 to 25 years",
])
def test_ordinary_send_questions_are_left_alone(text) -> None:
    assert redact(text) == (text, [])
