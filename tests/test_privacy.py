"""Personal details are replaced before a message is stored; ordinary SEND talk is left alone.

The labelled set tests/eval/privacy.yaml measures the filter as a whole (`python -m
tools.privacy_eval` prints the figures); the tables here pin single behaviours.
"""
from __future__ import annotations

import re

import pytest

from actions.paths import PROJECT_ROOT
from actions.privacy import redact
from tools.privacy_eval import MAX_OTHER_WORDS_REMOVED, load_messages, measure, report


@pytest.mark.parametrize(("text", "redacted", "kinds"), [
    ("email me at jo.bloggs+send@example.co.uk please", "email me at [email address] please",
     ["email address"]),
    ("call 07700 900123", "call [phone number]", ["phone number"]),
    ("ring +44 7700 900123 or 0151 496 0000", "ring [phone number] or [phone number]",
     ["phone number"]),
    ("his NHS number is 943 476 5919", "his NHS number is [NHS number]", ["NHS number"]),
    ("NHS 9434765919", "NHS [NHS number]", ["NHS number"]),
    ("UPN A123456789012", "UPN [pupil number]", ["pupil number"]),
    ("Sam was born 03/05/2015", "[name] was born [date]", ["date", "name"]),
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
    ("email mark dot jones at hotmail dot com", "email [email address]", ["email address"]),
    ("born 2015-07-23", "born [date]", ["date"]),
    ("his birthday is 12th October", "his birthday is [date]", ["date"]),
    ("I live on Harebell Drive", "I live on [address]", ["address"]),
    ("Mrs Patel said no", "Mrs [name] said no", ["name"]),
    ("I emailed mr. jones", "I emailed mr. [name]", ["name"]),
    ("Dr Lucy Chen saw him", "Dr [name] saw him", ["name"]),
    ("Mrs Van der Berg won't", "Mrs [name] won't", ["name"]),
    ("my son jack is 7", "my son [name] is 7", ["name"]),
    ("dd2 (Maisie) is 4", "dd2 ([name]) is 4", ["name"]),
    ("my name's bex", "my name's [name]", ["name"]),
    ("jack's TA is off", "[name]'s TA is off", ["name"]),
    ("Grace's EHCP is late", "[name]'s EHCP is late", ["name"]),
    ("I told Oliver today", "I told [name] today", ["name"]),
    ("Ruby-Mai won't eat", "[name] won't eat", ["name"]),
    ("our social worker, Danielle Fox, says", "our social worker, [name], says", ["name"]),
    ("reece has been on stage 2", "[name] has been on stage 2", ["name"]),
    ("me and darren have split up", "me and [name] have split up", ["name"]),
    ("Chidi is 12", "[name] is 12", ["name"]),
    ("the head at Hillside told me", "the head at [name] told me", ["name"]),
    ("he is at oakfield academy", "he is at [school name]", ["school name"]),
    ("Kingsmead School said no", "[school name] said no", ["school name"]),
    ("she goes to Our Lady of Lourdes", "she goes to [school name]", ["school name"]),
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
    "Will the school have to follow the EHCP?", "May I ask what Stage 3 means?",
    "The annual review is in May", "they gave him a grace period", "Grace period for a reply?",
    "Is Down's syndrome a disability?", "He has Asperger's and Tourette's",
    "What is Early Help and the Local Offer?", "CAMHS discharged him in March",
    "Ofsted said the SENCO was good", "We moved from Liverpool to Havering in August",
    "we live in Sefton", "My Mum is his carer on Mondays", "Paediatrician said it's ADHD",
    "Caseworker told me to wait", "we moved from Kent to Surrey", "he met someone on Roblox",
    "hope someone can help", "my son will be 6 in june", "I'm Muslim and school won't help",
    "Does he need an EHCP to go to Forest School?", "we go to mainstream school",
    "English is his second language", "He hates Christmas at school",
    "is the 15 February deadline for us?",
])
def test_ordinary_send_questions_are_left_alone(text) -> None:
    assert redact(text) == (text, [])


NAMED_IN_THE_SETS = ("Archie", "Charlie")
"""Two of the realistic questions name a child ("Everyone involved with Archie...", "Charlie
hasn't been..."); the filter must replace those names and nothing else in them."""


def test_the_evaluation_sets_real_questions_keep_their_words(project_root) -> None:
    """1,300 questions modelled on real ones (none names a school or address, and only two a
    person) reach the assistant as typed: the new kinds do not eat ordinary SEND words."""
    import yaml

    changed = []
    for name in ("dev_questions", "extended_questions", "realistic_questions",
                 "national_questions", "safeguarding"):
        data = yaml.safe_load((project_root / "tests" / "eval" / f"{name}.yaml").read_text())
        for item in data.get("questions") or data.get("messages"):
            text, kinds = redact(item["q"])
            if {"name", "school name", "address", "postcode"} & set(kinds):
                expected = item["q"]
                for child in NAMED_IN_THE_SETS:
                    expected = re.sub(rf"\b{child}\b", "[name]", expected)
                if text != expected:
                    changed.append(text)
    assert changed == []


def test_every_labelled_detail_of_the_privacy_set_is_removed() -> None:
    figures = measure(load_messages())
    assert figures.identifiers >= 150
    assert figures.misses == (), report(figures)


def test_the_privacy_set_loses_few_other_words() -> None:
    figures = measure(load_messages())
    assert figures.other_words >= 1500
    assert figures.share_removed <= MAX_OTHER_WORDS_REMOVED, report(figures, show_removed=True)


def test_a_second_writers_set_does_not_get_worse() -> None:
    # tests/eval/privacy_second.yaml: 174/214 caught when first measured, untouched; 200/214
    # after the filter was made to generalise from it (see its header)
    figures = measure(load_messages(PROJECT_ROOT / "tests" / "eval" / "privacy_second.yaml"))
    assert figures.identifiers == 214
    assert figures.caught >= 200, report(figures)
    assert figures.share_removed <= MAX_OTHER_WORDS_REMOVED, report(figures, show_removed=True)


def test_the_privacy_sets_messages_without_details_are_unchanged() -> None:
    clean = [m.text for m in load_messages() if not m.identifiers]
    assert len(clean) >= 30
    assert [t for t in clean if redact(t) != (t, [])] == []


def test_send_terms_and_council_names_always_survive(kb) -> None:
    """Every alias of every topic and every council's name and aliases, at the start of a
    sentence and inside one, in capitals as the knowledge writes them."""
    terms = {a for topic in kb.topic_ids() for a in kb.aliases(topic)}
    terms |= {n for c in kb.councils.values() for n in (c.name, *c.aliases)}
    lost = []
    for term in sorted(terms):
        for text in (f"{term[0].upper()}{term[1:]} has been mentioned to us",
                     f"what does {term} mean for my son?"):
            if redact(text)[0] != text:
                lost.append(redact(text)[0])
    assert lost == []
