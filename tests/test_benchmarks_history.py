"""History store, change points, noise store and the bisection's search, on synthetic data."""
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ruptures", reason="the change-point library: `make install` installs it")

from benchmarks import bisection, changepoints, history, noise, records, stats  # noqa: E402
from benchmarks.machine import fingerprint_id  # noqa: E402

MACHINE = {"cpu": "Test CPU", "cores": 2, "blas": "openblas 0.3.31", "blas_kernel": "Haswell",
           "blas_threads": 1, "python": "3.11", "numpy": "2.4.6", "numba": "0.68.1"}
OTHER = {**MACHINE, "blas_kernel": "SkylakeX"}


def levels(values, spread=0.02, seed=0):
    return np.asarray(values) * np.exp(np.random.default_rng(seed).normal(0.0, spread, size=len(values)))


def test_a_25_percent_step_is_found_at_its_commit():
    (change,) = changepoints.level_changes(levels([1.0] * 8 + [1.25] * 6))
    assert change.index == 8 and change.ratio == pytest.approx(1.25, rel=0.05)


def test_noise_around_one_level_has_no_change_point():
    assert changepoints.level_changes(levels([1.0] * 14, seed=3)) == []


def test_a_constant_series_has_no_change_point_and_a_memory_step_is_found():
    assert changepoints.level_changes([500.0] * 10) == []
    assert [c.index for c in changepoints.level_changes([500.0] * 5 + [800.0] * 5)] == [5]


def test_too_short_a_series_has_no_change_point():
    assert changepoints.level_changes([1.0, 2.0, 2.0]) == []


def history_rows(values, machine=MACHINE, benchmark="b::step", start=0):
    """History rows: one commit per value, commit dates a day apart."""
    frames = []
    for i, value in enumerate(values, start=start):
        commit = {"commit": f"{i:040x}", "dirty": False, "subject": f"commit {i}",
                  "commit_date": f"2026-11-{1 + i:02d}T12:00:00+00:00"}
        values_frame = pd.DataFrame([{"benchmark": benchmark, "metric": "time_s", "value": value, "rounds": 5}])
        frames.append(history.rows(values_frame, commit, {**machine, "id": fingerprint_id(machine)}, "bench"))
    return pd.concat(frames, ignore_index=True)


def test_history_appends_and_finds_the_commit_of_a_step(tmp_path):
    path = tmp_path / "history.parquet"
    series = levels([1e-3] * 6 + [1.3e-3] * 6)
    history.append(path, history_rows(series[:6]))
    history.append(path, history_rows(series[6:], start=6))
    table = records.load(path)
    assert len(table) == 12 and set(records.COLUMNS) <= set(table.columns)
    (change,) = records.change_points(table).itertuples()
    assert change.commit == f"{6:040x}" and change.subject == "commit 6"
    assert change.ratio == pytest.approx(1.3, rel=0.05)


def test_histories_of_different_machines_are_never_mixed():
    # One machine at 1 ms, the other at 2 ms, interleaved commit by commit: mixed, it would be a
    # zig-zag full of changes; per machine, both are flat.
    here = history_rows(levels([1e-3] * 10, seed=1))
    there = history_rows(levels([2e-3] * 10, seed=2), machine=OTHER)
    table = pd.concat([here, there], ignore_index=True)
    assert records.change_points(table).empty
    assert table["fingerprint_id"].nunique() == 2
    text = history.format_changes(table, records.change_points(table))
    assert text.count("machine ") == 2 and "SkylakeX" in text and "no level change" in text


def test_repeated_recordings_of_a_commit_count_once():
    twice = pd.concat([history_rows([1e-3] * 5), history_rows([1e-3] * 5)], ignore_index=True)
    assert len(records.per_commit(twice)) == 5


def test_noise_is_stored_per_machine_and_replaced_on_recalibration(tmp_path):
    path = tmp_path / "noise.parquet"
    wobbly = stats.measure("b::step", "time_s", [1.0, 1.02, 0.98, 1.01], [1.03, 1.05, 1.04, 1.02])
    noise.save(path, [wobbly], "machine-a", "0" * 40)
    assert noise.load(path, "machine-a") == {("b::step", "time_s"): pytest.approx(noise.noise_of(wobbly))}
    assert noise.load(path, "machine-b") == {}
    steady = stats.measure("b::step", "time_s", [1.0] * 4, [1.0] * 4)
    noise.save(path, [steady], "machine-a", "1" * 40)
    assert noise.load(path, "machine-a") == {("b::step", "time_s"): 0.0}


def test_bisection_finds_the_first_slower_commit():
    commits = [f"c{i}" for i in range(7)]
    asked = []

    def is_slower(commit):
        asked.append(commit)
        return commits.index(commit) >= 4

    found = bisection.search(commits, is_slower)
    assert found.first_slower == "c4" and asked[0] == "c6"
    assert len(asked) <= 4          # BAD, then log2(6) steps


def test_bisection_skips_commits_that_cannot_run():
    commits = [f"c{i}" for i in range(6)]
    found = bisection.search(commits, lambda c: None if c == "c2" else commits.index(c) >= 4)
    assert found.first_slower == "c4"
    assert ("c2", "cannot run") in found.steps


def test_bisection_names_candidates_when_skips_hide_the_culprit():
    commits = [f"c{i}" for i in range(4)]
    found = bisection.search(commits, lambda c: None if c == "c1" else commits.index(c) >= 1)
    assert found.first_slower is None and found.candidates == ["c1", "c2"]


def test_bisection_reports_nothing_when_bad_is_not_slower():
    found = bisection.search(["c0", "c1"], lambda c: False)
    assert found.first_slower is None and found.candidates == [] and found.steps == [("c1", "same")]


def test_a_run_that_timed_the_reference_adds_its_time_per_reference():
    run = {"machine_info": {"nnstudy": {"cpu": "Test CPU", "id": "abc123"}},
           "benchmarks": [{"fullname": "f.py::test_step", "stats": {"min": 3e-5, "median": 4e-5, "rounds": 9},
                           "extra_info": {"peak_memory_bytes": 100, "reference_s": 1e-5}}]}
    commit = {"commit": "0" * 40, "dirty": False, "subject": "s", "commit_date": "2026-11-01T12:00:00+00:00"}
    table = history.rows_from_run(run, commit)
    values = dict(zip(table["metric"], table["value"]))
    assert values == {"time_s": 3e-5, records.RELATIVE: pytest.approx(3.0), "peak_bytes": 100}


def test_a_comparison_records_the_median_time_per_reference_of_each_side():
    from benchmarks import compare
    rows = [{"benchmark": "f.py::test_step", "metric": "time_s", "side": side, "commit": side * 8, "dirty": False,
             "round": i, "value": value, "reference_s": reference}
            for i, (side, value, reference) in enumerate([("base", 2.0, 1.0), ("base", 3.0, 1.5),
                                                          ("head", 2.5, 1.0), ("head", 5.0, 2.0)])]
    samples = pd.DataFrame(rows, columns=list(compare.SAMPLE_COLUMNS))
    commits = {label: {"commit": label * 8, "dirty": False, "subject": label, "commit_date": "2026-11-01"}
               for label in ("base", "head")}
    table = history.rows_from_samples(samples, commits, {"id": "abc123"})
    relative = table[table.metric == records.RELATIVE].set_index("commit")["value"]
    assert relative.to_dict() == {"base" * 8: 2.0, "head" * 8: 2.5}


def test_a_history_that_cannot_be_appended_to_is_one_error_naming_the_file(tmp_path, monkeypatch):
    import errno
    path = tmp_path / "history.parquet"
    history.append(path, history_rows([1e-3] * 2))
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    with pytest.raises(records.HistoryError, match="No space left on device") as raised:
        history.append(path, history_rows([1e-3], start=2))
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


def test_a_slowdown_in_the_newest_commit_is_judged_there_at_its_own_size():
    values = levels([1e-3] * 7 + [2e-3], seed=4)
    (change,) = records.change_points(history_rows(values)).itertuples()
    assert change.commit == f"{7:040x}" and change.ratio == pytest.approx(2.0, rel=0.05)
    text = history.format_changes(history_rows(values), records.change_points(history_rows(values)))
    assert "newest commit" in text


def test_a_step_two_commits_old_is_still_found_where_it_began():
    (change,) = changepoints.level_changes(levels([1.0] * 6 + [1.5] * 2, seed=5))
    assert change.index == 6 and change.ratio == pytest.approx(1.5, rel=0.05)


@pytest.mark.parametrize("seed", range(6))
def test_a_newest_commit_within_the_noise_is_no_change(seed):
    assert changepoints.level_changes(levels([1.0] * 8, seed=seed)) == []


def test_a_dirty_tree_recording_stays_out_of_the_clean_series_and_is_listed_apart():
    clean = history_rows(levels([1e-3] * 8, seed=7))
    dirty = history_rows([3e-3], start=8).assign(dirty=True)
    more = history_rows(levels([1e-3] * 3, seed=8), start=9)
    table = pd.concat([clean, dirty, more], ignore_index=True)
    assert records.change_points(table).empty
    assert len(records.per_commit(table)) == 11
    text = history.format_changes(table, records.change_points(table))
    assert "no level change" in text and "dirty" in text and f"{8:040x}"[:10] in text
