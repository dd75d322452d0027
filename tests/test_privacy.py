"""Personal details are replaced before a message is stored; ordinary SEND talk is left alone.

"""
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
    ("we live at 12 Oak Road, L20 3AB", "we live at [address], [postcode]",
     ["postcode", "address"]),
    ("postcode rm1 3bd", "postcode [postcode]", ["postcode"]),
    ("my son Jack is in year 4 at St Mary's Primary School",
     "my son [name] is in year 4 at [school name]", ["school name", "name"]),
    ("our DS Tom-Lee goes to Oakwood High", "our DS [name] goes to [school name]",
     ["school name", "name"]),
    ("she's called Poppy and she is 6", "she's called [name] and she is 6", ["name"]),
    ("Hi, I'm Sarah, mum of two", "Hi, I'm [name], mum of two", ["name"]),
])
def test_personal_details_are_replaced_by_labels(text, redacted, kinds) -> None:
    assert redact(text) == (redacted, kinds)


@pytest.mark.parametrize("text", [
    "what happens at stage 3", "after 2 terms of SEN support", "he is in year 6",
    "what does K mean on the SEN register", "SEND Code of Practice 6.37 and 9.14",
    "my child is 7 and has an EHCP", "APDR cycle", "0 to 25 years",
    "he goes to a Special School", "is the High School allowed to refuse", "my son Is struggling",
    "hi, I am Worried about my son", "my daughter has ADHD and goes to nursery",
    "he is 7 years old and way behind", "he has 25 hours a week of support",
])
def test_ordinary_send_questions_are_left_alone(text) -> None:
    assert redact(text) == (text, [])


def test_the_evaluation_sets_real_questions_keep_their_words(project_root) -> None:
    """1,300 questions modelled on real ones (none names a person, school or address) reach the
    assistant as typed: the new kinds do not eat ordinary SEND words."""
    import yaml

    changed = []
    for name in ("dev_questions", "extended_questions", "realistic_questions",
                 "national_questions", "safeguarding"):
        data = yaml.safe_load((project_root / "tests" / "eval" / f"{name}.yaml").read_text())
        for item in data.get("questions") or data.get("messages"):
            text, kinds = redact(item["q"])
            if {"name", "school name", "address", "postcode"} & set(kinds):
                changed.append(text)
    assert changed == []
