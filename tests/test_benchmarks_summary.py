"""The ratios ``benchmarks.summary`` reads off a saved run (synthetic run, no timing)."""
import pytest

from benchmarks.summary import summary_rows


def bench(engine, best_s, case="sincos-2-100-1-b10", dtype="float64"):
    return {"extra_info": {"case": case, "dtype": dtype, "engine": engine}, "stats": {"min": best_s, "median": 2 * best_s}}


def test_speedups_and_share_of_peak_are_ratios_of_fastest_rounds():
    run = {"benchmarks": [bench("scalar", 1e-3), bench("loop", 2e-4), bench("vectorized", 2e-5),
                          bench("matmul-probe", 1e-5),
                          bench("compiled", 4e-6), {"extra_info": {}, "stats": {"min": 1.0}}]}
    (row,) = summary_rows(run)
    assert row["scalar_over_loop"] == pytest.approx(5.0)
    assert row["loop_over_vectorized"] == pytest.approx(10.0)
    assert row["vectorized_peak_share"] == pytest.approx(0.5)
    assert row["vectorized_over_compiled"] == pytest.approx(5.0)
