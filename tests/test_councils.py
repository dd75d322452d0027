"""Choosing which council's guidance answers."""
from __future__ import annotations

import pytest

from actions.councils import choose_council, match_council


@pytest.mark.parametrize(("name", "council"), [
    ("havering", "havering"), ("Havering", "havering"), ("HAVERING COUNCIL", "havering"),
    ("London Borough of Havering", "havering"), ("havring", "havering"),
    ("Sefton", "sefton"), ("sefton council", "sefton"), ("seftn", "sefton"),
    ("camden", None), ("", None), (None, None),
])
def test_a_council_name_is_matched_allowing_small_misspellings(kb, name, council) -> None:
    assert match_council(kb, name) == council


@pytest.mark.parametrize(("mentioned", "metadata", "current", "default", "expected"), [
    (["Havering"], "sefton", "sefton", "sefton", "havering"),   # named in the message wins
    ([], "havering", "sefton", "sefton", "havering"),           # then this message's metadata
    ([], None, "havering", "sefton", "havering"),               # then the conversation's council
    ([], None, None, "sefton", "sefton"),                       # then the deployment default
    ([], None, None, None, None),                               # else unknown
    (["nowhere"], None, "havering", None, "havering"),          # an unknown name is ignored
    ([], "Camden", None, None, "camden"),                       # a council with no pack is kept
])
def test_the_most_specific_council_wins(kb, mentioned, metadata, current, default,
                                        expected) -> None:
    assert choose_council(kb, mentioned=mentioned, metadata=metadata, current=current,
                          default=default) == expected


def test_a_council_with_its_own_pack_is_offered_only_its_own_flows(kb) -> None:
    assert kb.flow_offered_after("when_to_request_assessment", "havering") is None
    assert kb.flow_offered_after("when_to_request_assessment", "sefton").id == (
        "assessment_readiness")
    assert kb.flow_offered_after("stages_of_support", "sefton") is None
    assert kb.flow_starting_from("next_steps", "havering").id == "havering_pathway"
    # a council with no pack of its own may still be walked through one, with a note
    assert kb.flow_offered_after("when_to_request_assessment", "wirral") is not None


def test_a_council_chosen_in_the_conversation_comes_after_one_named_now(kb) -> None:
    assert choose_council(kb, mentioned=[], metadata="sefton", current="havering", default=None,
                          chosen="havering") == "havering"
    assert choose_council(kb, mentioned=["sefton"], metadata="sefton", current="havering",
                          default=None, chosen="havering") == "sefton"
    assert choose_council(kb, mentioned=[], metadata="sefton", current=None, default=None,
                          chosen="nowhere") == "sefton"
