"""The study sections' per-configuration line figures carry an interactive chart beside their PNG,
a mean line per configuration and split (``reports.interactive.curves``)."""
from __future__ import annotations

import json

from reports.build import build
from reports.interactive import curves
from synthetic_results import curve_rows, make_results, run_row, write_table


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


def write_study(results, study: str, configs: list[dict], seeds: int = 2) -> None:
    """Runs and curves of ``configs`` x ``seeds`` under ``results``, each run its own id (the
    synthetic run id hashes only some fields; these studies vary others)."""
    runs, curves = [], []
    for number, config in enumerate(config | {"seed": seed} for config in configs
                                    for seed in range(seeds)):
        run = run_row(study, final_train_acc=0.9, final_val_acc=0.8, **config)
        run["run_id"] = f"{study}-{number}"
        runs.append(run)
        curves += curve_rows(run, 0.1, 0.2)
    write_table(results, study, "runs", runs)
    write_table(results, study, "curves", curves)


def built(tmp_path, study: str) -> dict:
    """Figure path -> its charts, of a report of the study written under ``tmp_path/results``."""
    [section] = build(tmp_path / "results", tmp_path / "out", [study]).sections
    return section.charts


def test_the_optimizers_figures_have_a_line_per_optimizer_in_a_panel_per_dataset(tmp_path):
    make_results(tmp_path / "results", studies=("optimizers",))
    charts = built(tmp_path, "optimizers")
    for figure in ("optimizers_train_loss.png", "optimizers_val_acc.png"):
        [chart] = charts[f"figures/{figure}"]
        assert len(series(chart)) == 3 * 2  # sgd, momentum, adam at their best lr; two datasets
        assert {panel for panel, _, _ in series(chart)} == {"dataset = digits", "dataset = mnist1d"}


def test_the_init_curves_have_a_line_per_initializer_against_epoch_and_seconds(tmp_path):
    write_study(tmp_path / "results", "init", [
        {"activation": activation, "init": init, "init_scale": scale}
        for activation in ("tanh", "relu") for init, scale in (("normal", 0.01), ("xavier", 1.0),
                                                              ("he", 1.0))])
    epoch, seconds = built(tmp_path, "init")["figures/init_curves.png"]
    for chart in (epoch, seconds):
        assert {(panel, config) for panel, config, _ in series(chart)} == {
            (f"activation = {a}", label) for a in ("tanh", "relu")
            for label in ("N(0, 0.01)", "Xavier", "He")}
    assert [row[curves.X][0] for row in epoch.spec["datasets"]["means"]][0] == 0  # epochs from 0


def test_the_batch_size_figures_have_a_chart_per_x_axis_and_a_line_per_batch_size(tmp_path):
    write_study(tmp_path / "results", "batch_size", [
        {"batch_size": batch, "lr": lr} for batch, lr in ((10, 0.01), (100, 0.01), (100, 0.1))])
    charts = built(tmp_path, "batch_size")
    assert len(charts["figures/batch_size_fixed_lr.png"]) == 3  # epoch, step, seconds
    for chart in charts["figures/batch_size_fixed_lr.png"]:
        assert {config for _, config, _ in series(chart)} == {"10", "100"}
    scaled = charts["figures/batch_size_scaled_lr.png"][0]
    assert {config for _, config, _ in series(scaled)} == {"10 (lr 0.01)", "100 (lr 0.1)"}


def test_the_double_descent_figures_have_a_line_per_split_and_per_width(tmp_path):
    write_study(tmp_path / "results", "double_descent", [
        {"layer_sizes": [2, width, width, 10], "output": "softmax", "loss": "cross_entropy"}
        for width in (2, 4, 8, 16, 32)])
    charts = built(tmp_path, "double_descent")
    [width] = charts["figures/double_descent_width.png"]
    assert {config for _, config, _ in series(width)} == {"test error (clean labels)",
                                                         "training error (noisy labels)"}
    [epochs] = charts["figures/double_descent_epochs.png"]
    assert len(series(epochs)) == 2 * len({config for _, config, _ in series(epochs)}) >= 2 * 2


def test_the_splits_keep_the_png_s_dashes_in_their_own_order_not_the_alphabet_s(tmp_path):
    chart = study_chart(tmp_path, "mnist1d", "mnist1d_curves.png")
    dashes = {json.dumps(layer["encoding"]["strokeDash"]["scale"]["domain"])
              for panel in chart.spec["concat"] for layer in panel["layer"]
              if "strokeDash" in layer.get("encoding", {})}
    assert dashes == {json.dumps(["training", "test"])}  # solid training, dashed test, as the PNG
