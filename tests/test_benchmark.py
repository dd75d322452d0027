"""The benchmark command's arithmetic and table (the measuring itself is `send-assistant
benchmark`, not a test: speed is measured by a command that prints figures)."""
from __future__ import annotations

from tools.benchmark import Figures, percentile, table


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 95, 99)] == [50.0, 95.0, 99.0]
    assert percentile([], 50) == 0.0
    assert percentile([7.0], 99) == 7.0


def test_the_table_shows_both_assistants_and_the_ratio() -> None:
    mine = Figures("this assistant", train_s=60.0, cold_start_s=10.0, single_ms=[10.0] * 5,
                   concurrent_ms=[20.0] * 5, concurrent_rate=50.0, rasa_peak_mb=500.0,
                   action_peak_mb=200.0, first_turns_ms=[10.0], late_turns_ms=[12.0],
                   edit_served_s=1.0)
    base = Figures("plain rasa init", train_s=120.0, cold_start_s=40.0, single_ms=[20.0] * 5,
                   concurrent_ms=[40.0] * 5, concurrent_rate=25.0, rasa_peak_mb=1000.0,
                   first_turns_ms=[20.0], late_turns_ms=[30.0])
    text = table(mine, base)
    assert "| full training | 60.0 s | 120.0 s | 0.50 |" in text
    assert "| cold start to first answer | 10.0 s | 40.0 s | 0.25 |" in text
    assert "| latency p95, 20 users | 20 ms | 40 ms | 0.50 |" in text
    assert "| answer edit to served | 1.0 s | - | - |" in text
