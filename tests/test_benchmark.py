"""The benchmark command's arithmetic and table (the measuring itself is `send-assistant
benchmark`, not a test: speed is measured by a command that prints figures)."""
from __future__ import annotations

import dataclasses

from tools.benchmark import Figures, percentile, table, targets


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 95, 99)] == [50.0, 95.0, 99.0]
    assert percentile([], 50) == 0.0
    assert percentile([7.0], 99) == 7.0


def figures() -> tuple[Figures, Figures]:
    mine = Figures("this assistant", train_s=60.0, cold_start_s=10.0, single_ms=[10.0] * 5,
                   concurrent_ms=[20.0] * 5, concurrent_rate=50.0, rasa_peak_mb=500.0,
                   action_peak_mb=200.0, first_turns_ms=[10.0], late_turns_ms=[12.0],
                   edit_served_s=1.0)
    base = Figures("plain rasa init", train_s=120.0, cold_start_s=40.0, single_ms=[20.0] * 5,
                   concurrent_ms=[40.0] * 5, concurrent_rate=25.0, rasa_peak_mb=1000.0,
                   first_turns_ms=[20.0], late_turns_ms=[30.0])
    return mine, base


def test_the_table_shows_both_assistants_and_the_ratio() -> None:
    text = table(*figures())
    assert "| full training | 60.0 s | 120.0 s | 0.50 |" in text
    assert "| cold start to first answer | 10.0 s | 40.0 s | 0.25 |" in text
    assert "| latency p95, 20 users | 20 ms | 40 ms | 0.50 |" in text
    assert "| answer edit to served | 1.0 s | - | - |" in text


def test_every_target_is_judged_against_its_limit() -> None:
    mine, base = figures()
    text = targets(mine, base)
    assert "| cold start | at most 0.4 of the baseline's | 0.25 | yes |" in text
    assert "| p95 latency, 20 conversations, zero errors | at most 0.7 of the baseline's " \
           "| 0.50, 0 errors | yes |" in text
    assert "| full training | at most 2 minutes | 60 s | yes |" in text
    assert "| answer edit served, no retraining | within 2 s | 1.0 s | yes |" in text
    assert "| Rasa server peak memory | no more than the baseline's | 0.50 | yes |" in text
    assert "| latency at turn 100 | at most 1.5 times turn 1's | 1.20 | yes |" in text


def test_a_missed_target_says_no() -> None:
    mine, base = figures()
    slow = dataclasses.replace(mine, cold_start_s=20.0, train_s=121.0, late_turns_ms=[16.0],
                               edit_served_s=None)
    text = targets(slow, base)
    assert "| cold start | at most 0.4 of the baseline's | 0.50 | no |" in text
    assert "| full training | at most 2 minutes | 121 s | no |" in text
    assert "| latency at turn 100 | at most 1.5 times turn 1's | 1.60 | no |" in text
    assert "| answer edit served, no retraining | within 2 s | inf s | no |" in text


def test_errors_under_load_miss_the_latency_target_however_fast() -> None:
    mine, base = figures()
    assert "| 0.50, 3 errors | no |" in targets(dataclasses.replace(mine, errors=3), base)
