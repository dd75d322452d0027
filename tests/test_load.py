"""The load generator's guard and arithmetic (the load itself is `send-assistant load`)."""
from __future__ import annotations

import pytest

from tools.load import LoadError, Results, require_loopback


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost/x",
                                 "http://[::1]:8080/x", "http://127.0.0.2/x"])
def test_loopback_addresses_are_allowed(url: str) -> None:
    require_loopback(url)


@pytest.mark.parametrize("url", ["http://example.com/x", "http://10.0.0.1/x",
                                 "https://www.sefton.gov.uk/x", "http://0.0.0.0/x", "nonsense"])
def test_anywhere_else_is_refused(url: str) -> None:
    with pytest.raises(LoadError, match="loopback"):
        require_loopback(url)


def test_the_summary_gives_throughput_percentiles_and_errors() -> None:
    results = Results(users=2, seconds=10.0, latencies_ms=[float(v) for v in range(1, 101)],
                      errors=["URLError: refused", "LoadError: silence", "URLError: refused"])
    assert results.summary() == ("2 conversations for 10 s: 100 replies, 10.0 messages/second, "
                                 "p50 50 ms, p95 95 ms, p99 99 ms, errors 3 "
                                 "(LoadError, URLError)")
