"""The regression comparison on synthetic pytest-benchmark runs (no timing involved)."""
import json

import numpy as np
import pytest

from benchmarks import compare

MACHINE = {"cpu": "Test CPU 9000", "cores": 2, "blas": "openblas 0.3.31", "blas_kernel": "Haswell",
           "blas_threads": 1, "python": "3.11", "numpy": "2.4.6"}


def timings(median_s, rounds=30, spread=0.03, seed=0):
    """Log-normal per-round timings around ``median_s`` with relative spread ``spread``."""
    rng = np.random.default_rng(seed)
    return (median_s * np.exp(rng.normal(0.0, spread, size=rounds))).tolist()


def make_run(benchmarks, machine=MACHINE, when="2026-11-23T20:00:00+00:00"):
    """A run shaped like pytest-benchmark's saved JSON: ``benchmarks`` maps name -> raw timings."""
    return {
        "machine_info": {"node": "test", "nnstudy": dict(machine)},
        "commit_info": {"id": "0" * 40},
        "datetime": when,
        "version": "5.1.0",
        "benchmarks": [{"name": name, "fullname": f"benchmarks/test_x.py::{name}", "extra_info": {},
                        "stats": {"median": float(np.median(data)), "data": data}}
                       for name, data in benchmarks.items()],
    }


def verdicts(baseline, current, threshold=15.0):
    comparisons, _, _ = compare.compare_runs(baseline, current, threshold=threshold)
    return {c.name.split("::")[-1]: c.verdict for c in comparisons}


def test_a_real_20_percent_regression_is_flagged():
    baseline = make_run({"step": timings(1e-3, seed=1)})
    current = make_run({"step": timings(1.2e-3, seed=2)})
    assert verdicts(baseline, current) == {"step": "regressed"}


def test_noise_around_the_same_median_is_not_flagged():
    baseline = make_run({"step": timings(1e-3, spread=0.10, seed=1)})
    current = make_run({"step": timings(1e-3, spread=0.10, seed=2)})
    assert verdicts(baseline, current) == {"step": "ok"}


def test_a_slower_median_from_few_noisy_rounds_is_not_flagged():
    # Medians 1.0 vs 1.3 (+30%), but the rounds overlap: not significant.
    baseline = make_run({"step": [1.0, 1.5, 0.7, 1.2, 0.9]})
    current = make_run({"step": [1.3, 0.8, 1.6, 1.1, 1.4]})
    assert verdicts(baseline, current) == {"step": "slower (noise)"}


def test_a_significant_slowdown_below_the_threshold_is_not_flagged():
    baseline = make_run({"step": timings(1e-3, spread=0.01, seed=1)})
    current = make_run({"step": timings(1.05e-3, spread=0.01, seed=2)})
    assert verdicts(baseline, current) == {"step": "ok"}


def test_the_threshold_is_settable():
    baseline = make_run({"step": timings(1e-3, spread=0.01, seed=1)})
    current = make_run({"step": timings(1.12e-3, spread=0.01, seed=2)})
    assert verdicts(baseline, current, threshold=15) == {"step": "ok"}
    assert verdicts(baseline, current, threshold=10) == {"step": "regressed"}


def test_a_significant_speedup_is_reported_as_improved():
    baseline = make_run({"step": timings(1e-3, seed=1)})
    current = make_run({"step": timings(0.7e-3, seed=2)})
    assert verdicts(baseline, current) == {"step": "improved"}


def test_runs_from_different_machines_are_not_compared():
    baseline = make_run({"step": timings(1e-3)})
    current = make_run({"step": timings(1e-3)}, machine={**MACHINE, "blas_threads": 2})
    with pytest.raises(compare.CannotCompare, match="blas_threads"):
        compare.compare_runs(baseline, current)


def test_the_newest_saved_run_of_the_same_machine_is_the_baseline():
    old = make_run({"step": timings(1e-3)}, when="2026-11-20T10:00:00+00:00")
    newest_here = make_run({"step": timings(1e-3)}, when="2026-11-22T10:00:00+00:00")
    newer_elsewhere = make_run({"step": timings(1e-3)}, machine={**MACHINE, "cpu": "Other CPU"},
                               when="2026-11-23T10:00:00+00:00")
    current = make_run({"step": timings(1e-3)})
    assert compare.find_baseline(current, [old, newer_elsewhere, newest_here]) is newest_here


def test_no_saved_run_of_this_machine_refuses_and_names_the_difference():
    elsewhere = make_run({"step": timings(1e-3)}, machine={**MACHINE, "blas_kernel": "SkylakeX"})
    elsewhere["_path"] = "saved.json"
    with pytest.raises(compare.CannotCompare, match="blas_kernel"):
        compare.find_baseline(make_run({"step": timings(1e-3)}), [elsewhere])


def test_runs_without_raw_timings_are_refused():
    baseline = make_run({"step": timings(1e-3)})
    del baseline["benchmarks"][0]["stats"]["data"]
    with pytest.raises(compare.CannotCompare, match="--benchmark-save-data"):
        compare.compare_runs(baseline, make_run({"step": timings(1e-3)}))


def test_new_and_missing_benchmarks_are_listed_not_compared():
    baseline = make_run({"kept": timings(1e-3), "removed": timings(1e-3)})
    current = make_run({"kept": timings(1e-3), "added": timings(1e-3)})
    comparisons, new, missing = compare.compare_runs(baseline, current)
    assert [c.name for c in comparisons] == ["benchmarks/test_x.py::kept"]
    assert new == ["benchmarks/test_x.py::added"] and missing == ["benchmarks/test_x.py::removed"]


def write_saved_run(storage, run, number):
    folder = storage / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{number:04d}_run.json"
    path.write_text(json.dumps(run))
    return path


def test_main_exits_1_on_a_regression_and_prints_the_table(tmp_path, capsys):
    write_saved_run(tmp_path, make_run({"step": timings(1e-3, seed=1)}), 1)
    current = tmp_path / "now.json"
    current.write_text(json.dumps(make_run({"step": timings(1.2e-3, seed=2)})))
    status = compare.main(["--storage", str(tmp_path), "--current", str(current)])
    output = capsys.readouterr().out
    assert status == compare.EXIT_REGRESSION
    assert "baseline" in output and "p-value" in output and "regressed" in output


def test_main_exits_0_when_nothing_regressed(tmp_path):
    write_saved_run(tmp_path, make_run({"step": timings(1e-3, seed=1)}), 1)
    current = tmp_path / "now.json"
    current.write_text(json.dumps(make_run({"step": timings(1e-3, seed=2)})))
    assert compare.main(["--storage", str(tmp_path), "--current", str(current)]) == compare.EXIT_OK


def test_main_exits_2_without_a_baseline(tmp_path, capsys):
    current = tmp_path / "now.json"
    current.write_text(json.dumps(make_run({"step": timings(1e-3)})))
    assert compare.main(["--storage", str(tmp_path / "empty"), "--current", str(current)]) == compare.EXIT_REFUSED
    assert "make bench" in capsys.readouterr().err


def test_a_regression_not_seen_again_in_the_confirmation_run_does_not_count():
    baseline = make_run({"real": timings(1e-3, seed=1), "spell": timings(1e-3, seed=2)})
    first = make_run({"real": timings(1.3e-3, seed=3), "spell": timings(1.3e-3, seed=4)})
    again = make_run({"real": timings(1.3e-3, seed=5), "spell": timings(1e-3, seed=6)})
    confirmed = compare.confirm(compare.compare_runs(baseline, first)[0], compare.compare_runs(baseline, again)[0])
    assert {c.name.split("::")[-1]: c.verdict for c in confirmed} == {
        "real": "regressed", "spell": "slower (not confirmed)"}
