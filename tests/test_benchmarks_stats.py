"""The side-by-side statistics on fixed synthetic samples (no timing involved)."""
import math

import numpy as np
import pandas as pd
import pytest

from benchmarks import compare, stats
from experiments.stats import holm


def rounds(median, n=6, spread=0.02, seed=0):
    """``n`` log-normal per-round values around ``median`` with relative spread ``spread``."""
    return median * np.exp(np.random.default_rng(seed).normal(0.0, spread, size=n))


def decided(base, head, metric="time_s", threshold=stats.THRESHOLD, noise=None, name="b"):
    measured = stats.measure(name, metric, base, head, threshold)
    return stats.decide([measured], noise={(name, metric): noise} if noise is not None else None)[0]


def test_a_known_25_percent_shift_is_slower():
    result = decided(rounds(1e-3, seed=1), rounds(1.25e-3, seed=2))
    assert result.verdict == "slower"
    assert result.ratio == pytest.approx(1.25, rel=0.05)
    assert result.p_value is not None and result.p_value < 0.01
    assert 1.0 < result.ci_low < result.ratio < result.ci_high
    assert result.fastest_ratio == pytest.approx(1.25, rel=0.05)


def test_identical_samples_are_the_same():
    values = rounds(1e-3, seed=3)
    result = decided(values, values.copy())
    assert result.verdict == "same"
    assert result.ratio == 1.0 and result.p_value == pytest.approx(1.0)
    assert result.ci_low <= 1.0 <= result.ci_high


def test_samples_of_one_distribution_are_the_same():
    assert decided(rounds(1e-3, seed=4), rounds(1e-3, seed=5)).verdict == "same"


def test_a_speedup_is_faster():
    assert decided(rounds(1e-3, seed=1), rounds(0.7e-3, seed=2)).verdict == "faster"


def test_the_smallest_p_value_depends_on_the_sample_sizes():
    assert stats.smallest_p_value(3, 3) == pytest.approx(2 / 20)
    assert stats.smallest_p_value(4, 4) == pytest.approx(2 / 70)
    assert stats.smallest_p_value(6, 6) == pytest.approx(2 / 924)


def test_no_p_value_when_the_sample_sizes_cannot_reach_the_level():
    base, head = rounds(1e-3, n=3, seed=1), rounds(2e-3, n=3, seed=2)
    assert stats.mann_whitney_p(base, head, alpha=0.05) is None
    assert stats.mann_whitney_p(rounds(1e-3, n=4), rounds(2e-3, n=4), alpha=0.05) == pytest.approx(2 / 70)
    # 4 and 4 rounds can reach 0.05 but not 0.01
    assert stats.mann_whitney_p(rounds(1e-3, n=4), rounds(2e-3, n=4), alpha=0.01) is None


def test_without_a_p_value_the_verdict_rests_on_the_interval():
    far = decided(rounds(1e-3, n=3, spread=0.01, seed=1), rounds(2e-3, n=3, spread=0.01, seed=2))
    assert far.p_value is None and far.ci_low > 1.0 and far.verdict == "slower"


def test_holm_adjusts_in_step_down_order_and_skips_missing_values():
    adjusted = holm([0.01, 0.04, None, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, math.nan, 0.06, 0.02], nan_ok=True)
    assert np.isnan(holm([None, None])).all()


def test_a_benchmark_without_a_p_value_keeps_none_after_holm():
    few = stats.measure("a", "time_s", rounds(1e-3, n=3), rounds(2e-3, n=3))  # 3 + 3 rounds: no p
    assert stats.decide([few])[0].p_holm is None


def test_holm_over_the_benchmarks_turns_a_lone_significance_into_same():
    base, head = rounds(1e-3, n=4, spread=0.01, seed=1), rounds(1.3e-3, n=4, spread=0.01, seed=2)
    alone = stats.decide([stats.measure("a", "time_s", base, head)])
    assert [c.verdict for c in alone] == ["slower"]          # p = 2/70 < 0.05
    many = stats.decide([stats.measure(name, "time_s", base, head) for name in "abc"])
    assert [c.verdict for c in many] == ["same"] * 3          # Holm: 3 x 2/70 > 0.05
    assert all(c.p_holm == pytest.approx(3 * 2 / 70) for c in many)


def test_memory_is_a_family_of_its_own_for_holm():
    base, head = rounds(1e-3, n=4, spread=0.01, seed=1), rounds(1.3e-3, n=4, spread=0.01, seed=2)
    memory = stats.measure("a", "peak_bytes", np.full(4, 1000.0), np.full(4, 1000.0))
    assert stats.decide([stats.measure("a", "time_s", base, head), memory])[0].verdict == "slower"


def test_a_significant_change_below_the_threshold_is_the_same():
    result = decided(rounds(1e-3, spread=0.005, seed=1), rounds(1.05e-3, spread=0.005, seed=2))
    assert result.p_value < 0.01 and result.verdict == "same"


def test_calibrated_noise_raises_the_threshold():
    base, head = rounds(1e-3, spread=0.005, seed=1), rounds(1.12e-3, spread=0.005, seed=2)
    assert stats.effective_threshold(0.10, 0.08, noise_factor=2.0) == pytest.approx(0.16)
    assert stats.effective_threshold(0.10, None) == 0.10
    assert decided(base, head).verdict == "slower"
    assert decided(base, head, threshold=stats.effective_threshold(0.10, 0.08)).verdict == "same"


def test_a_spread_beyond_ten_percent_is_unstable_and_does_not_count():
    noisy = np.array([1.0, 1.3, 0.8, 1.2, 0.7, 1.4]) * 1e-3
    result = decided(noisy, noisy * 2)
    assert result.spread > 0.10 and result.verdict == "unstable"


def test_noise_beyond_ten_percent_is_unstable_too():
    assert decided(rounds(1e-3, seed=1), rounds(1.5e-3, seed=2), noise=0.2).verdict == "unstable"


def test_a_deterministic_memory_growth_is_slower():
    result = decided(np.full(6, 1000.0), np.full(6, 2000.0), metric="peak_bytes")
    assert result.verdict == "slower" and result.ratio == 2.0


def test_rounds_alternate_a_b_b_a():
    assert compare.schedule(3) == ["base", "head", "head", "base", "base", "head"]


def test_relative_spread_is_the_median_absolute_deviation_over_the_median():
    assert stats.relative_spread(np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == pytest.approx(1.0 / 3.0)
    assert stats.relative_spread(np.array([7.0])) == 0.0


def test_a_minority_of_slowed_rounds_does_not_make_a_benchmark_unstable():
    # Two of six rounds hit by a busy spell (1.6x): the spread stays that of the other four.
    base = np.array([26.3, 27.2, 24.5, 26.4, 43.5, 23.6])
    assert stats.relative_spread(base) < 0.06
    assert stats.relative_spread(np.array([1.0, 1.6] * 3)) > 0.10


def samples_frame(values: dict) -> pd.DataFrame:
    """Samples rows from {(benchmark, side): [values]}."""
    rows = [{"benchmark": bench, "metric": "time_s", "side": side, "commit": "0" * 40, "dirty": False,
             "round": i, "value": v} for (bench, side), vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=list(compare.SAMPLE_COLUMNS))


def test_compare_samples_lists_benchmarks_of_one_side_only():
    samples = samples_frame({("kept", "base"): rounds(1e-3), ("kept", "head"): rounds(1e-3, seed=9),
                             ("removed", "base"): rounds(1e-3), ("added", "head"): rounds(1e-3)})
    comparisons, only_base, only_head = compare.compare_samples(samples, compare.Options())
    assert [c.benchmark for c in comparisons] == ["kept"]
    assert only_base == ["removed"] and only_head == ["added"]


def test_the_table_shows_the_interval_and_the_verdict():
    table = compare.format_table([decided(rounds(1e-3, seed=1), rounds(1.25e-3, seed=2), name="m::step")])
    header, line = table.splitlines()
    assert "ratio [95% interval]" in header and "p Holm" in header and "fastest" in header
    assert line.startswith("step ") and line.endswith("slower") and "ms" in line


def test_an_infinite_ratio_from_a_zero_base_is_slower():
    result = decided(np.zeros(6), np.full(6, 100.0), metric="peak_bytes")
    assert math.isinf(result.ratio) and result.verdict == "slower"
