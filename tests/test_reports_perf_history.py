"""The performance-history section on a synthetic history: one figure per machine, change points."""
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ruptures", reason="the change-point library: `make install` installs it")

from benchmarks import history, records  # noqa: E402
from benchmarks.machine import fingerprint_id  # noqa: E402
from reports.perf_history import perf_history_section  # noqa: E402

MACHINE = {"cpu": "Test CPU", "cores": 2, "blas": "openblas 0.3.31", "blas_kernel": "Haswell",
           "blas_threads": 1, "python": "3.11", "numpy": "2.4.6", "numba": "0.68.1"}


def synthetic_history(machine=MACHINE, step_at=6, commits=12, seed=0):
    """Two benchmarks over ``commits`` commits; the first gets 25% slower at ``step_at``."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(commits):
        commit = {"commit": f"{i:x}" * 40, "dirty": False, "subject": f"commit {i}",
                  "commit_date": f"2026-11-{1 + i:02d}T12:00:00+00:00"}
        values = pd.DataFrame([
            {"benchmark": "benchmarks/test_engines.py::test_step[a]", "metric": "time_s", "rounds": 5,
             "value": 20e-6 * (1.25 if i >= step_at else 1.0) * np.exp(rng.normal(0, 0.02))},
            {"benchmark": "benchmarks/test_engines.py::test_step[b]", "metric": "time_s", "rounds": 5,
             "value": 70e-6 * np.exp(rng.normal(0, 0.02))},
            {"benchmark": "benchmarks/test_engines.py::test_step[a]", "metric": "peak_bytes", "rounds": 1,
             "value": 17_000.0}])
        frames.append(history.rows(values, commit, {**machine, "id": fingerprint_id(machine)}, "bench"))
    return pd.concat(frames, ignore_index=True)


def test_one_figure_per_machine_and_the_step_in_the_table(tmp_path):
    other = {**MACHINE, "cpu": "Other CPU"}
    table = pd.concat([synthetic_history(), synthetic_history(other, seed=1)], ignore_index=True)
    paths, changes = perf_history_section(table, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"perf_history_{fingerprint_id(m)}.png" for m in (MACHINE, other))
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    assert len(changes) == 2       # the step, once per machine; never a change between machines
    assert set(changes["benchmark"]) == {"test_step[a]"} and set(changes["commit"]) == {"6" * 40}
    assert changes["ratio"].to_numpy() == pytest.approx([1.25, 1.25], rel=0.06)


def test_an_empty_history_gives_no_figure(tmp_path):
    paths, changes = perf_history_section(records.load(tmp_path / "none.parquet"), tmp_path)
    assert paths == [] and changes.empty and list(changes.columns) == list(records.CHANGE_COLUMNS)


def test_an_unknown_metric_names_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="time_s, peak_bytes"):
        perf_history_section(synthetic_history(), tmp_path, metric="energy")


def test_the_report_shows_the_history_section_when_a_history_exists(tmp_path):
    from reports.build import build

    stored = tmp_path / "history.parquet"
    synthetic_history().to_parquet(stored)
    report = build(tmp_path / "no-results", tmp_path / "out", peers=False, history=stored)
    section = next(s for s in report.sections if s.study == "perf-history")
    assert [path for path, _ in section.figures] == [f"figures/perf_history_{fingerprint_id(MACHINE)}.png"]
    assert (tmp_path / "out" / section.figures[0][0]).exists()
    assert "test_step[a]" in section.tables[0].frame["benchmark"].tolist()
    assert "Performance history" in (tmp_path / "out" / "index.html").read_text()
    # Without a history there is no such section.
    report = build(tmp_path / "no-results", tmp_path / "out2", peers=False, history=tmp_path / "none")
    assert all(s.study != "perf-history" for s in report.sections)


def test_a_history_with_times_per_reference_gets_their_figure_too(tmp_path):
    from reports.data import Messages
    from reports.perf_history import history_section

    table = synthetic_history()
    relative = table[table.metric == "time_s"].assign(metric=records.RELATIVE, value=lambda t: t.value / 5e-6)
    stored = tmp_path / "history.parquet"
    pd.concat([table, relative], ignore_index=True).to_parquet(stored)
    section = history_section(stored, tmp_path / "out", Messages())
    machine = fingerprint_id(MACHINE)
    assert [path for path, _ in section.figures] == [f"figures/perf_history_{machine}.png",
                                                     f"figures/perf_history_{machine}_time_per_reference.png"]
    assert "reference workload" in section.figures[1][1]
    assert set(section.tables[0].frame["metric"]) == {"time_s", records.RELATIVE}   # the step, in both series
