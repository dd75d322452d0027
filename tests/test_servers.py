"""How the servers are started: settings that become `rasa run` arguments."""
from __future__ import annotations

import pytest

from tools.servers import ServerError, cors_arguments


def test_no_allowed_origins_means_no_other_site_may_call_the_assistant() -> None:
    assert cors_arguments("") == []


def test_allowed_origins_become_rasas_cors_setting() -> None:
    assert cors_arguments("https://a.gov.uk, https://b.gov.uk/") == [
        "--cors", "https://a.gov.uk", "https://b.gov.uk"]


@pytest.mark.parametrize("origin", ["*", "a.gov.uk", "https://*.gov.uk"])
def test_a_wildcard_or_bare_name_is_refused_with_a_clear_message(origin: str) -> None:
    with pytest.raises(ServerError, match="not a web origin"):
        cors_arguments(origin)
