"""Runs that the shipped spec no longer asks for (an older grid) stay out of the report."""
from __future__ import annotations

from experiments.catalog import find_study
from reports.build import build
from synthetic_results import run_row, write_table


def write_width_runs(results, run_ids):
    rows = [{**run_row("width", seed=seed, final_train_loss=0.01, final_val_loss=0.01),
             "run_id": run_id} for seed, run_id in enumerate(run_ids)]
    write_table(results, "width", "runs", rows)


def reported_width_runs(report):
    [section] = [s for s in report.sections if s.study == "width"]
    summary = section.tables[0].frame
    return int(summary["seeds"].astype(int).sum())


def test_runs_outside_the_current_spec_are_left_out_with_a_note(tmp_path):
    current = [run.run_id for run in find_study("width").runs[:2]]
    write_width_runs(tmp_path / "results", current + ["0" * 64])
    report = build(tmp_path / "results", tmp_path / "out", ["width"])
    assert reported_width_runs(report) == 2
    assert any("1 stored runs are not in the current spec" in text for _, text in report.messages)


def test_all_runs_keeps_them(tmp_path):
    current = [run.run_id for run in find_study("width").runs[:2]]
    write_width_runs(tmp_path / "results", current + ["0" * 64])
    report = build(tmp_path / "results", tmp_path / "out", ["width"], all_runs=True)
    assert reported_width_runs(report) == 3


def test_results_of_another_spec_with_the_same_name_are_reported_whole(tmp_path):
    write_width_runs(tmp_path / "results", ["1" * 64, "2" * 64])
    report = build(tmp_path / "results", tmp_path / "out", ["width"])
    assert reported_width_runs(report) == 2
