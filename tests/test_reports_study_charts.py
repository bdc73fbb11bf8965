"""The study sections' per-configuration line figures carry an interactive chart beside their PNG,
a mean line per configuration and split (``reports.interactive.curves``)."""
from __future__ import annotations

from reports.build import build
from reports.interactive import curves
from synthetic_results import make_results


def study_chart(tmp_path, study: str, figure: str) -> curves.Chart:
    """The one chart of ``figures/<figure>`` in a report of the synthetic ``study``."""
    report = build(make_results(tmp_path / "results", studies=(study,)), tmp_path / "out", [study])
    [section] = report.sections
    assert f"figures/{figure}" in [path for path, _ in section.figures]
    [chart] = section.charts[f"figures/{figure}"]
    return chart


def series(chart: curves.Chart) -> set[tuple]:
    """(panel, configuration, split) of each mean line the chart embeds."""
    return {(row[curves.PANEL], row[curves.SERIES], row[curves.SPLIT])
            for row in chart.spec["datasets"]["means"]}


def test_the_lr_figure_has_a_line_per_width_in_a_panel_per_split_and_counts_the_diverged(tmp_path):
    chart = study_chart(tmp_path, "lr", "lr_final_loss.png")
    assert series(chart) == {(f"split = {split}", f"{width} units", "")
                             for split in ("training", "validation") for width in (20, 100)}
    assert "diverged runs not drawn: 1" in chart.note


def test_the_final_model_s_loss_curves_have_one_line_per_split(tmp_path):
    chart = study_chart(tmp_path, "final", "final_loss_curves.png")
    assert series(chart) == {(f"split = {split}", "all runs", "")
                             for split in ("training", "validation")}


def test_the_mnist1d_figure_has_a_line_per_model_and_split(tmp_path):
    chart = study_chart(tmp_path, "mnist1d", "mnist1d_curves.png")
    assert len(series(chart)) == 2 * 2  # logistic regression and the MLP; training and test
    assert {split for _, _, split in series(chart)} == {"training", "test"}


def test_the_engines_timing_figure_has_a_line_per_engine_in_a_panel_per_batch_size(tmp_path):
    chart = study_chart(tmp_path, "engines", "engines_sec_per_epoch.png")
    for batch_size in (1, 100):
        panel = f"batch_size = {batch_size}"
        widths = {row[curves.SERIES]: row[curves.X] for row in chart.spec["datasets"]["means"]
                  if row[curves.PANEL] == panel}
        assert set(widths) == {"scalar", "loop", "vectorized"}
        assert widths["scalar"] == [10, 50] and widths["vectorized"] == [10, 50, 200]
