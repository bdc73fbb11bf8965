"""A report for any study: a spec the report has never seen gets curves faceted by what its grid
varies, a table of final and best metrics per configuration, and the provenance of each figure."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from experiments.cli import main as experiments_main
from experiments.spec import SpecError, load_spec
from reports import cost, generic, plotting
from reports.build import build
from reports.data import StudyResults

SPEC = """
name = "blobs"
description = "Two blobs from a CSV"
seeds = 2
[base]
dataset = "file"
dataset_options = { path = "blobs.csv", target = "colour" }
output = "softmax"
loss = "cross_entropy"
epochs = 4
batch_size = 8
[grid]
width = [3, 6]
lr = [0.05, 0.5]
"""


def write_blobs(path, n=40):
    rng = np.random.default_rng(0)
    colour = np.where(np.arange(n) % 2 == 0, "red", "blue")
    pd.DataFrame({"x": np.where(colour == "red", 1.5, -1.5) + rng.normal(size=n),
                  "y": rng.normal(size=n), "colour": colour}).to_csv(path, index=False)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("generic")
    write_blobs(root / "blobs.csv")
    (root / "blobs.toml").write_text(textwrap.dedent(SPEC))
    assert experiments_main(["sweep", str(root / "blobs.toml"), "--results", str(root / "results"),
                             "--backend", "serial", "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def report(swept):
    return build(swept / "results", swept / "out", [str(swept / "blobs.toml")])


@pytest.mark.slow
def test_an_unseen_study_gets_loss_and_accuracy_curves(report):
    [section] = report.sections
    assert section.title == "blobs" and section.description == "Two blobs from a CSV"
    assert [path for path, _ in section.figures] == ["figures/blobs_loss_curves.png",
                                                     "figures/blobs_acc_curves.png",
                                                     "figures/blobs_loss_vs_seconds.png"]
    for path, _ in section.figures:
        with Image.open(report.out / path) as image:
            assert image.format == "PNG" and image.size[0] > 600
    assert "a panel per width and lr" in section.figures[0][1]


@pytest.mark.slow
def test_its_table_has_final_and_best_metrics_per_configuration(report):
    [table] = report.sections[0].tables
    frame = table.frame
    assert list(frame[["width", "lr"]].itertuples(index=False, name=None)) == [
        (3, "0.05"), (3, "0.5"), (6, "0.05"), (6, "0.5")]
    for column in ("final train loss", "final val loss", "best val loss", "final val acc",
                   "best val acc"):
        assert all(" ± " in cell for cell in frame[column]), column
    assert frame["seeds"].tolist() == [2, 2, 2, 2]
    assert "0 = blue, 1 = red" in table.caption


@pytest.mark.slow
def test_its_figures_have_provenance_and_no_scorecard(report):
    assert report.scorecard is None
    assert report.provenance.frame["figure"].tolist() == ["blobs_loss_curves.png",
                                                          "blobs_acc_curves.png",
                                                          "blobs_loss_vs_seconds.png"]
    assert report.provenance.frame["runs"].tolist() == [8, 8, 8]
    index = (report.out / "index.html").read_text()
    assert "Scorecard" not in index and "Two blobs from a CSV" in index


@pytest.mark.slow
def test_report_table_in_the_spec_chooses_x_facets_and_metric(swept):
    spec = swept / "blobs.toml"
    spec.write_text(textwrap.dedent(SPEC) + '[report]\nx = "lr"\nfacet = []\nmetric = "val_acc"\n')
    try:
        report = build(swept / "results", swept / "out2", [str(spec)])
    finally:
        spec.write_text(textwrap.dedent(SPEC))
    assert [path for path, _ in report.sections[0].figures] == ["figures/blobs_final_val_acc_by_lr.png"]
    assert "a colour per width" in report.sections[0].figures[0][1]


def study_of(rows: list[dict], report: dict | None = None) -> StudyResults:
    runs = pd.DataFrame([{"run_id": str(i), "status": "ok", "seed": 0, "final_train_acc": np.nan,
                          **row} for i, row in enumerate(rows)])

    class Spec:  # only what the layout reads
        runs = []
    spec = Spec()
    spec.report = report or {}
    return StudyResults("s", runs, spec=spec)


GRID = [{"width": w, "hidden": str(w), "depth": 1, "lr": lr, "batch_size": b}
        for w in (10, 20) for lr in (0.1, 0.01) for b in (1, 10)]


def test_two_factors_make_columns_and_rows_and_the_rest_colours():
    study = study_of(GRID)
    varying = generic.factors(study)
    assert sorted(varying) == ["batch_size", "lr", "width"]  # width spells hidden
    where = generic.layout(study, varying)
    assert (where.cols, where.rows) == (varying[0], varying[1]) and where.hue == [varying[2]]


def test_facet_and_x_from_the_spec():
    study = study_of(GRID, {"facet": ["lr"], "x": "batch_size"})
    where = generic.layout(study, generic.factors(study))
    assert (where.x, where.cols, where.rows) == ("batch_size", "lr", None)
    assert where.hue == ["width"]


def test_hidden_stays_when_width_does_not_spell_it():
    study = study_of([{"width": 10, "depth": 1, "hidden": "10"}, {"width": 10, "depth": 2, "hidden": "10-10"},
                      {"width": 10, "depth": 2, "hidden": "10-5"}])
    assert generic.factors(study) == ["hidden"]


@pytest.mark.parametrize("table, words", [
    ('metric = "f1"', ["report.metric", "loss, acc"]),
    ('facet = ["width", "lr", "epochs"]', ["report.facet", "at most 2"]),
    ('colour = "red"', ["report.colour", "facet, metric, x (the plots), section, baseline, target"]),
    ('x = "widht"', ["report.x", "unknown key"]),
])
def test_a_bad_report_table_names_its_key(tmp_path, table, words):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n[base]\ndataset = "xor"\nwidth = 2\n[report]\n' + table + "\n")
    with pytest.raises(SpecError) as error:
        load_spec(path)
    for word in words:
        assert word in str(error.value)


def test_a_factor_the_earlier_ones_fix_makes_no_panels_or_colours():
    tasks = [{"dataset": "xor", "loss": "mse", "lr": 0.01}, {"dataset": "digits", "loss": "cross_entropy",
                                                            "lr": 0.1}]
    study = study_of([{**task, "seed": seed} for task in tasks for seed in (0, 1)])
    varying = generic.factors(study)
    assert sorted(varying) == ["dataset", "loss", "lr"]  # the table keeps every factor
    where = generic.layout(study, varying)
    assert (where.cols, where.rows, where.hue) == (varying[0], None, [])


def test_a_log_axis_reaching_the_largest_floats_labels_without_overflow(tmp_path):
    """A run whose loss blew up to ~1e300 stretches a log axis until its decade ticks overflow
    to inf; the labels must skip those ticks instead of raising (the wine_fair curves did)."""
    import matplotlib.pyplot as plt

    from reports.plotting import plain_log

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1e-3, 1.0, 1e300])
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    fig.savefig(tmp_path / "huge.png")
    plt.close(fig)
    assert (tmp_path / "huge.png").stat().st_size > 0


def test_a_searched_study_shows_its_retrains_with_stage_and_trial_not_factors():
    import pandas as pd

    from reports.data import StudyResults
    from reports.generic import factors, retrains_only
    from synthetic_results import run_row

    rows = [run_row("fair", run_id=f"t{width}{lr}", width=width, lr=lr, stage="trial", trial=i, seed=0)
            for width in (10, 20) for i, lr in enumerate((1e-3, 1e-2))]
    rows += [run_row("fair", run_id=f"r{width}{seed}", width=width, lr=1e-2, stage="retrain", trial=1, seed=seed)
             for width in (10, 20) for seed in (1, 2)]
    study = StudyResults("fair", pd.DataFrame(rows))
    shown = retrains_only(study)
    assert set(shown.runs["stage"]) == {"retrain"} and len(shown.runs) == 4
    assert "stage" not in factors(shown) and "trial" not in factors(shown) and "width" in factors(shown)
    plain = StudyResults("plain", pd.DataFrame([run_row("plain", run_id="a", width=10)]))
    assert retrains_only(plain) is plain


@pytest.mark.parametrize(("low", "high", "minor_labels"), [
    (0.00103, 0.089, ["0.003", "0.03"]),            # ~2 decades: the 3s only (they ran into each other)
    (0.2, 2.0, ["0.2", "0.5", "2"]),                 # 1 decade: 2s and 5s
    (1e-5, 1.0, []),                                 # 5 decades: the decades alone
])
def test_log_axes_label_few_enough_minor_ticks_not_to_overlap(low, high, minor_labels):
    import matplotlib.pyplot as plt

    from reports.plotting import plain_log

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([low, high], [1, 2])
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    plain_log(ax.xaxis)
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_xticklabels(minor=True)
             if t.get_text() and low <= t.get_position()[0] <= high]
    plt.close(fig)
    assert shown == minor_labels


def test_a_long_curve_is_drawn_at_every_kth_epoch_with_its_first_and_last():
    long_run = pd.DataFrame({"run_id": "xor", "epoch": np.arange(10_001), "train_loss": 1.0})
    short_run = pd.DataFrame({"run_id": "digits", "epoch": np.arange(0, 301, 5), "train_loss": 2.0})
    kept = plotting.thinned(pd.concat([short_run, long_run.sample(frac=1, random_state=0)]))
    xor = kept.loc[kept["run_id"] == "xor", "epoch"].to_numpy()
    assert len(xor) <= plotting.MAX_POINTS_PER_LINE + 1 and xor[0] == 0 and xor[-1] == 10_000
    assert len(set(np.diff(xor[:-1]))) == 1  # evenly spaced
    assert kept.loc[kept["run_id"] == "digits", "epoch"].tolist() == list(range(0, 301, 5))  # short: whole


def test_loss_against_seconds_draws_a_long_run_thinned_with_every_epochs_seconds_counted(tmp_path, monkeypatch):
    from types import SimpleNamespace

    epochs = np.arange(10_001)
    curves = pd.DataFrame({"run_id": "xor", "seed": 0, "epoch": epochs, "epoch_s": 0.001 * (1 + epochs % 2),
                           "train_loss": 1.0 / (1 + epochs), "val_loss": np.nan})
    study = SimpleNamespace(curves_of_ok_runs=lambda columns: curves, ok=pd.DataFrame({"loss": ["mse"]}))
    drawn = []
    monkeypatch.setattr(cost, "mean_against_seconds", lambda ax, rows, *args, **kw: drawn.append(rows))
    cost.loss_against_seconds(study, tmp_path / "seconds.png", None, str, "xor")
    (rows,) = drawn
    assert len(rows) <= plotting.MAX_POINTS_PER_LINE + 1
    assert rows[cost.SECONDS].max() == pytest.approx(15.0)  # 5,000 epochs of 1 ms and 5,000 of 2 ms


def test_a_panel_without_runs_says_so_instead_of_drawing_empty_axes():
    from reports import plotting

    frame = pd.DataFrame({"engine": ["loop", "loop", "scalar", "scalar", "loop", "loop"],
                          "width": [10, 10, 10, 10, 200, 200], "epoch": [0, 1] * 3, "seed": 0,
                          "split": "training", "value": [1.0, 0.5, 1.0, 0.6, 1.0, 0.4]})
    fig, axes = plotting.facet_lines(frame, "epoch", "value", cols="engine", rows="width")
    empty = axes[1][1]  # scalar at width 200
    assert not empty.axison and [text.get_text() for text in empty.texts] == ["no finished run"]
    assert all(ax.axison and ax.lines for ax in (axes[0][0], axes[0][1], axes[1][0]))
    plotting.plt.close(fig)
    finished = {("loop", 10), ("scalar", 10), ("loop", 200)}
    for ran, said in ((finished | {("scalar", 200)}, "no finished run"), (finished, "not run")):
        fig, axes = plotting.facet_lines(frame, "epoch", "value", cols="engine", rows="width", ran=ran)
        assert [text.get_text() for text in axes[1][1].texts] == [said]  # diverged / never run
        plotting.plt.close(fig)


@pytest.mark.parametrize("layout, cropped", [("constrained", False), (None, True)])
def test_a_figure_is_cropped_only_when_no_layout_engine_fits_it(tmp_path, monkeypatch, layout, cropped):
    from reports import plotting

    fig, ax = plotting.plt.subplots(figsize=(4, 3), layout=layout)
    ax.plot([0, 1], [0, 1])
    saved = {}
    original = fig.savefig
    monkeypatch.setattr(fig, "savefig", lambda path, **options: saved.update(options) or original(path, **options))
    plotting.save(fig, tmp_path / "figure.png")
    assert saved["bbox_inches"] == ("tight" if cropped else None)
    whole_figure = (4 * plotting.DPI, 3 * plotting.DPI)
    assert (Image.open(tmp_path / "figure.png").size == whole_figure) is not cropped


def _log_log_figure(minor_marks: bool):
    fig, axes = plotting.plt.subplots(1, 2, figsize=(6, 3), layout="constrained", sharey=True)
    for ax, (low, high) in zip(axes, [(1e-4, 0.2), (0.2, 2.0)]):  # many decades; one decade
        ax.plot(np.geomspace(low, high, 50), np.geomspace(3.0, 0.003, 50), label="a line")
        ax.set(xscale="log", yscale="log", title="a panel", xlabel="seconds")
        plotting.plain_log(ax.xaxis)
        plotting.plain_log(ax.yaxis)
        if minor_marks:
            ax.tick_params(which="minor", bottom=True, left=True, length=3)
    fig.legend(loc="outside right upper")
    return fig


def _saved_with_minor_counts(fig, path) -> list[int]:
    """``plotting.save(fig, path)``; the x axes' minor tick counts as savefig met them."""
    counts, savefig = [], fig.savefig

    def counting(target, **options):
        counts.extend(len(ax.xaxis.get_minorticklocs()) for ax in fig.axes)
        savefig(target, **options)
    fig.savefig = counting
    plotting.save(fig, path)
    return counts


@pytest.mark.parametrize("minor_marks", [False, True])
def test_saving_drops_only_the_minor_ticks_that_draw_nothing(tmp_path, monkeypatch, minor_marks):
    """Minor ticks with no label, mark or grid line are not made (matplotlib lays out each one),
    and the figure is the same pixel for pixel as when they are made; minor ticks with marks stay."""
    kept = _saved_with_minor_counts(_log_log_figure(minor_marks), tmp_path / "lean.png")
    monkeypatch.setattr(plotting, "_keep_labelled_minor_ticks", lambda axis: None)
    made = _saved_with_minor_counts(_log_log_figure(minor_marks), tmp_path / "full.png")
    lean, full = (np.asarray(Image.open(tmp_path / name)) for name in ("lean.png", "full.png"))
    assert lean.shape == full.shape and (lean == full).all()
    if minor_marks:
        assert kept == made  # marks are drawn: every minor tick stays
    else:  # 3+ decades: no minor label, so none made; one decade: the labelled 2s and 5s only
        assert kept[0] == 0 < made[0] and 0 < kept[1] < made[1] / 2
