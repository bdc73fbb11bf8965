"""Times normalised by the reference workload of their own process (fixed samples, no timing).

On this VM a benchmark process runs in one of two states about 1.5x apart for its whole life. The
samples below reproduce what a 10-round comparison drew on 2026-12-01: 7 slow base rounds against
3 slow head rounds, which turned a 25% regression into a median ratio of about 0.8.
"""
import numpy as np
import pandas as pd
import pytest

from benchmarks import compare

SLOW = 1.5
BASE_STATES = [SLOW] * 7 + [1.0] * 3
HEAD_STATES = [1.0] * 7 + [SLOW] * 3


def samples(base_time, head_time, base_states=BASE_STATES, head_states=HEAD_STATES, reference=True):
    """Rows of one benchmark: each round's time and reference slowed alike by its state, with 1%
    seeded noise of their own."""
    rng = np.random.default_rng(0)
    rows = []
    for side, time, states in (("base", base_time, base_states), ("head", head_time, head_states)):
        for i, state in enumerate(states):
            noise = np.exp(rng.normal(0.0, 0.01, size=2))
            rows.append({"benchmark": "b::step", "metric": "time_s", "side": side, "commit": "0" * 40,
                         "dirty": False, "round": i, "value": time * state * noise[0],
                         "reference_s": 5e-6 * state * noise[1] if reference else np.nan})
    return pd.DataFrame(rows, columns=list(compare.SAMPLE_COLUMNS))


def verdict(table, normalize="reference"):
    (c,), _, _ = compare.compare_samples(table, compare.Options(normalize=normalize))
    return c


def test_raw_medians_miss_a_25_percent_regression_that_the_states_hide():
    raw = verdict(samples(1e-3, 1.25e-3), normalize="none")
    assert raw.ratio < 1.0 and raw.verdict != "slower"


def test_normalised_times_report_the_25_percent_regression():
    c = verdict(samples(1e-3, 1.25e-3))
    assert c.verdict == "slower" and c.ratio == pytest.approx(1.25, rel=0.03)
    assert c.raw_ratio < 1.0          # the column that shows what normalising changed


def test_normalised_identical_code_in_mixed_states_is_the_same():
    c = verdict(samples(1e-3, 1e-3))
    assert c.verdict == "same" and c.ratio == pytest.approx(1.0, abs=0.03)


def test_normalised_times_keep_their_unit_the_median_reference_state():
    table = samples(1e-3, 1e-3, base_states=[1.0] * 10, head_states=[1.0] * 10)
    c = verdict(table)
    assert c.base_median == pytest.approx(1e-3, rel=0.03)


def test_rounds_without_a_reference_are_compared_raw():
    c = verdict(samples(1e-3, 1.25e-3, reference=False))
    assert c.ratio == pytest.approx(c.raw_ratio) and c.ratio < 1.0


def test_the_report_says_how_times_were_normalised():
    table = samples(1e-3, 1e-3)
    line = compare.normalization_line(table, "reference")
    assert "reference workload" in line and "x1.5" in line
    assert "raw" in compare.normalization_line(table, "none")
    assert "no reference" in compare.normalization_line(samples(1e-3, 1e-3, reference=False), "reference")
