"""The figures of a searched study draw from synthetic seeded search results without errors, one
PNG each, and show what they claim (log axes for log ranges, diverged trials marked)."""
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from experiments import search
from experiments.config import Where
from reports.studies.search import budget
from reports.studies.search import figures as search_figures

SPACE = search.parse_search({"trials": 16, "nuisance": {
    "lr": {"log": [1e-4, 1e-1]}, "optimizer.beta1": {"range": [0.8, 0.99]},
    "optimizer.momentum": {"choice": [0.0, 0.9]}}}, set(), Where(Path("fair.toml")))
WIDTHS = (16, 64, 256)


def synthetic_trials(seed: int = 0) -> pd.DataFrame:
    """16 trials per width: a loss with its best lr moving with the width, trials above a
    width's stable lr diverged; beta1 unused by width=16 (as for sgd)."""
    rng = np.random.default_rng(seed)
    rows = []
    for width in WIDTHS:
        best_lr = 3e-3 * (64 / width) ** 0.5
        for trial, point in enumerate(search.points(SPACE)):
            lr = point["lr"]
            loss = 0.02 * (1 + (np.log10(lr / best_lr)) ** 2) * (64 / width) ** 0.3 * rng.lognormal(0, 0.1)
            diverged = lr > 0.05 * (16 / width) ** 0.5
            rows.append({"point": f"width={width}", "trial": trial, "status": "diverged" if diverged else "ok",
                         "value": np.nan if diverged else loss, "lr": lr,
                         "optimizer.beta1": np.nan if width == 16 else point["optimizer.beta1"],
                         "optimizer.momentum": point["optimizer.momentum"]})
    return pd.DataFrame(rows)


def synthetic_best_runs(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"point": f"width={w}", "seed": s, "value": 0.02 * (64 / w) ** 0.3 + rng.normal(0, 0.001)}
                         for w in WIDTHS for s in range(5)])


def pixels(path):
    image = imread(path)
    return image.shape, float(image[..., :3].std())


@pytest.fixture
def drawn(monkeypatch):
    """The visible axes of the last figure a search figure saved."""
    kept = {}
    original = search_figures._save

    def keep(fig, path):
        kept["axes"] = [ax for ax in fig.axes if ax.get_visible()]
        return original(fig, path)
    monkeypatch.setattr(search_figures, "_save", keep)
    return kept


def test_isolation_plot_draws_an_interval_per_grid_point(tmp_path, drawn):
    best_runs = synthetic_best_runs()
    path = search_figures.isolation_plot(best_runs, tmp_path / "isolation.png",
                                         "val_loss", lower_is_better=True)
    shape, spread = pixels(path)
    assert shape[1] > 300 and spread > 0.05  # a drawn image, not a blank one
    (ax,) = drawn["axes"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"width={w}\n(n=5)" for w in WIDTHS]
    assert len(ax.containers) == 3  # one error bar per grid point
    bar = ax.containers[0].lines[2][0].get_segments()[0]  # width=16: its interval holds its mean
    mean = best_runs.loc[best_runs["point"] == "width=16", "value"].mean()
    assert bar[0][1] < mean < bar[1][1]


@pytest.mark.parametrize("points", [["optimizer=sgd", "optimizer=adamw"], ["width=16", "width=64"],
                                    [f"optimizer=opt{i}" for i in range(7)]])
def test_isolation_plot_tick_labels_do_not_run_into_each_other(tmp_path, drawn, points):
    """A panel per workload (dataset), each with these points, as optimizers_fair draws them."""
    labels = {f"dataset={d}, {p}": f"dataset={d}" for d in ("mnist1d", "digits") for p in points}
    best_runs = pd.DataFrame([{"point": p, "seed": s, "value": 1.0 + i + 0.01 * s}
                              for i, p in enumerate(labels) for s in range(3)])
    search_figures.isolation_plot(best_runs, tmp_path / "isolation.png", "val_loss", lower_is_better=True,
                                  workloads=labels)
    renderer = FigureCanvasAgg(drawn["axes"][0].figure).get_renderer()
    for ax in drawn["axes"]:
        ticks = ax.get_xticklabels()
        assert len(ticks) == len(points)
        if ticks[0].get_rotation() == 0:  # level labels side by side: their boxes must not meet
            boxes = [tick.get_window_extent(renderer) for tick in ticks]
            assert all(left.x1 < right.x0 for left, right in zip(boxes, boxes[1:])), points
        else:  # slanted: parallel lines a point's width apart
            assert all(tick.get_rotation() == 30 and tick.get_ha() == "right" for tick in ticks)


def test_axis_plots_use_a_log_axis_for_log_ranges_and_mark_diverged_trials(tmp_path, drawn):
    trials = synthetic_trials()
    assert (trials["status"] == "diverged").any()
    search_figures.axis_plots(trials, SPACE.nuisance, tmp_path / "axes.png", "val_loss", True)
    lr_ax, beta1_ax, momentum_ax = drawn["axes"]
    assert lr_ax.get_xscale() == "log" and beta1_ax.get_xscale() == "linear"
    assert [t.get_text() for t in momentum_ax.get_xticklabels()] == ["0", "0.9"]
    crosses = sum(c.get_offsets().shape[0] for c in lr_ax.collections if c.get_label().endswith(" diverged"))
    assert crosses == (trials["status"] == "diverged").sum()
    # width=16 does not use beta1: its points are left out of that panel
    beta1_points = sum(c.get_offsets().shape[0] for c in beta1_ax.collections
                       if c.get_label() in ("width=64", "width=256"))
    assert not any(c.get_label().startswith("width=16") for c in beta1_ax.collections)
    assert beta1_points == int(((trials["point"] != "width=16") & (trials["status"] == "ok")).sum())
    assert (tmp_path / "axes.png").exists()


def test_budget_plot_draws_the_expected_best_of_k_where_it_is_finite(tmp_path, drawn):
    trials = synthetic_trials()
    curve = budget.budget_curve(trials, "point", "value", lower_is_better=True)
    path = search_figures.budget_plot(curve, tmp_path / "budget.png", "val_loss", True)
    assert pixels(path)[1] > 0.05
    lines = {line.get_label(): line.get_ydata() for line in drawn["axes"][0].get_lines()}
    assert list(lines) == [f"width={w}" for w in WIDTHS]
    diverged = int((trials[trials["point"] == "width=256"]["status"] == "diverged").sum())
    y = np.asarray(lines["width=256"], dtype=float)
    assert np.isnan(y[:diverged]).all() and np.isfinite(y[diverged:]).all()


def test_colors_are_one_per_grid_point_in_order():
    colors = search_figures.point_colors(["b", "a", "b", "c"])
    assert list(colors) == ["b", "a", "c"] and len(set(colors.values())) == 3
    assert len(set(search_figures.point_colors(range(12)).values())) == 12


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("spread, scale", [(1e3, {"type": "log"}), (1.5, {"type": "linear", "zero": False})])
def test_the_interactive_axis_chart_never_asks_vega_for_a_zero_based_log_scale(spread, scale):
    """Vega drops ``zero`` from a log scale with a console warning: a log y axis says only log."""
    from reports.interactive.trials import axis_chart

    trials = synthetic_trials().assign(value=lambda t: np.where(t["value"].notna(), t["trial"] % 2 * (spread - 1) + 1, np.nan))
    spec = axis_chart(trials, SPACE.nuisance, "val_loss", lower_is_better=True).spec
    assert all(panel["encoding"]["y"]["scale"] == scale for panel in spec["concat"])
