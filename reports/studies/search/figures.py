"""Figures of a searched study, one PNG each (matplotlib Agg): the isolation plot, the axis plots
and the budget curve, and the performance profile of time to result. Each takes DataFrames
(statistics from ``analysis``, ``budget`` and ``time_to_result`` beside it) and a path.

Grid points are labels (``"width=64"``) in a ``point`` column, drawn in the order they first
appear; each keeps one colour across the three figures.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.search import Nuisance
from experiments.stats import mean_interval

from ...plotting import Line2D, plt, save
from .budget import retrain_seeds

PANEL = (4.2, 3.4)     # inches per axis-plot panel
LOG_Y_SPAN = 30.0      # a y range wider than this factor is drawn on a log axis


def _save(fig, path: Path) -> Path:
    save(fig, Path(path))
    return Path(path)


def point_colors(points) -> dict:
    """A colour per grid point label, in order (tab10, then viridis past ten points)."""
    points = list(dict.fromkeys(points))
    if len(points) <= 10:
        return {p: plt.get_cmap("tab10")(i) for i, p in enumerate(points)}
    return {p: plt.get_cmap("viridis")(i / (len(points) - 1)) for i, p in enumerate(points)}


def within(workload: str, label: str) -> str:
    """``optimizer=adam`` for ``dataset=digits, optimizer=adam`` within ``dataset=digits``."""
    return label[len(workload) + 2:] if workload and label.startswith(workload + ", ") else label


def _maybe_log_y(ax, values) -> None:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if len(finite) and finite.min() > 0 and finite.max() / finite.min() > LOG_Y_SPAN:
        ax.set_yscale("log")


def _direction(lower_is_better: bool) -> str:
    return "lower is better" if lower_is_better else "higher is better"


def _isolation_panel(ax, best_runs: pd.DataFrame, order: list, colors: dict, tick, seed: int) -> bool:
    """One panel of the isolation plot (the grid points ``order``); whether a selecting trial
    (the winner's trial, not a retrain) was drawn. ``tick(label)`` is a point's tick text."""
    used = retrain_seeds(best_runs)
    selecting = best_runs.drop(used.index)
    rng = np.random.default_rng(seed)  # jitter of the seed dots only
    ticks = []
    for x, name in enumerate(order):
        values = used.loc[used["point"] == name, "value"].to_numpy(float)
        chosen = selecting.loc[selecting["point"] == name, "value"]
        ax.scatter([x + 0.25] * len(chosen), chosen, s=45, marker="D", facecolors="none",
                   edgecolors=colors[name], linewidths=1.2, zorder=3)
        mean, low, high = mean_interval(values, seed=seed)
        finite = values[np.isfinite(values)]
        ax.scatter(x + rng.uniform(-0.12, 0.12, len(finite)), finite, s=14, color=colors[name],
                   alpha=0.45, linewidths=0, zorder=2)
        if not math.isnan(low):
            ax.errorbar(x, mean, yerr=[[mean - low], [high - mean]], fmt="none", ecolor="black",
                        capsize=6, elinewidth=1.5, zorder=3)
        ax.scatter([x], [mean], s=60, color=colors[name], edgecolor="black", zorder=4)
        ticks.append(f"{tick(name)}\n(n={len(finite)})")
    # A point has about 1.1 inches (``isolation_plot``'s width): a longer label slants.
    slant = len(order) > 5 or max(len(tick(name)) for name in order) > 12
    ax.set_xticks(range(len(order)), ticks, rotation=30 if slant else 0, ha="right" if slant else "center")
    ax.set_xlim(-0.6, len(order) - 0.4)
    _maybe_log_y(ax, best_runs["value"])
    ax.grid(axis="y", alpha=0.3)
    return len(selecting) > 0


def isolation_plot(best_runs: pd.DataFrame, path: Path, objective: str, lower_is_better: bool,
                   title: str = "Each grid point at its own best nuisance values", seed: int = 0,
                   workloads: dict | None = None) -> Path:
    """Per grid point, the objective of its best trial on every seed it ran (``best_runs``:
    columns point, value and optionally stage, one row per run): each retrain seed as a dot, the
    mean over them with its 95% bootstrap interval as a bar (``budget.retrain_seeds``), and
    the trial that chose the winner as a hollow diamond (optimistic: it won on that seed).
    ``workloads`` (point label -> workload label): a panel per workload, each with its own y
    axis (a loss on MNIST-1D and one on digits are not on one scale)."""
    order = list(dict.fromkeys(best_runs["point"]))
    groups = workloads if workloads and len(set(workloads.values())) > 1 else {p: "" for p in order}

    def tick(label):  # the label without its workload: one colour per optimizer everywhere
        return within(groups.get(label, ""), label)
    by_name = point_colors([tick(p) for p in order])
    colors = {p: by_name[tick(p)] for p in order}
    names = list(dict.fromkeys(groups.get(p, "") for p in order))
    widths = [sum(groups.get(p, "") == w for p in order) for w in names]
    fig, axes = plt.subplots(1, len(names), figsize=(max(4.5, 1.1 * len(order) + 2), 3.8),
                             width_ratios=widths, squeeze=False)
    selecting = False
    for ax, workload in zip(axes[0], names):
        members = [p for p in order if groups.get(p, "") == workload]
        drawn = _isolation_panel(ax, best_runs[best_runs["point"].isin(members)], members, colors,
                                 tick, seed)
        selecting = selecting or drawn
        if workload:
            ax.set_title(workload, fontsize=10)
    axes[0][0].set_ylabel(f"{objective} ({_direction(lower_is_better)})")
    subtitle = "mean and 95% interval over the retrain seeds; dots: seeds" if selecting else \
        "mean and 95% interval over seeds; dots: seeds"
    if selecting:
        axes[0][-1].scatter([], [], s=45, marker="D", facecolors="none", edgecolors="0.3",
                            label="the trial that chose it (optimistic)")
        axes[0][-1].legend(loc="best", fontsize=8)
    fig.suptitle(f"{title}\n{subtitle}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def _range_limits(nuisance: Nuisance) -> tuple[float, float]:
    """The searched range with a small margin (a factor on a log axis), so edge trials show."""
    if nuisance.kind == "log":
        return nuisance.low / 1.15, nuisance.high * 1.15
    margin = 0.03 * (nuisance.high - nuisance.low)
    return nuisance.low - margin, nuisance.high + margin


def _axis_panel(ax, nuisance: Nuisance, trials: pd.DataFrame, ok: pd.Series, best: pd.DataFrame,
                colors: dict, jitter: pd.Series) -> None:
    """One panel of ``axis_plots``: the trials that use ``nuisance``, against its value."""
    used = trials[trials[nuisance.key].notna()]
    if nuisance.kind == "choice":  # the values at positions 0..k-1, as tick labels
        ax.set_xticks(range(len(nuisance.choices)), [f"{c:g}" if isinstance(c, float) else str(c)
                                                      for c in nuisance.choices])
        ax.set_xlim(-0.5, len(nuisance.choices) - 0.5)
        index = {choice: i for i, choice in enumerate(nuisance.choices)}

    def x_of(frame):
        if nuisance.kind == "choice":
            return frame[nuisance.key].map(index).to_numpy(float) + jitter[frame.index].to_numpy()
        return frame[nuisance.key].to_numpy(float)
    for name, group in used[ok.reindex(used.index)].groupby("point", sort=False):
        ax.scatter(x_of(group), group["value"], s=22, color=colors[name], alpha=0.8,
                   linewidths=0, label=str(name))
    chosen = best[best.index.isin(used.index)]
    ax.scatter(x_of(chosen), chosen["value"], s=110, facecolors="none", edgecolors="black",
               linewidths=1.2, zorder=4)
    # Every grid point has the same trial points: a row of crosses each, so none hides another.
    for name, group in used[~ok.reindex(used.index)].groupby("point", sort=False):
        row = 0.97 - 0.035 * list(colors).index(name)
        ax.scatter(x_of(group), np.full(len(group), row), transform=ax.get_xaxis_transform(),
                   marker="x", s=30, color=colors[name], linewidths=1.5, zorder=5,
                   label=f"{name} diverged")
    if nuisance.kind == "log":
        ax.set_xscale("log")
    if nuisance.kind != "choice":
        ax.set_xlim(*_range_limits(nuisance))
    ax.set_xlabel(f"{nuisance.key} ({nuisance.kind})")
    ax.grid(alpha=0.3)


def axis_plots(trials: pd.DataFrame, nuisances: Sequence[Nuisance], path: Path, objective: str,
               lower_is_better: bool, seed: int = 0) -> Path:
    """The objective against each nuisance, one panel each, one point per trial (``trials``:
    columns point, status, value and one per nuisance key; NaN where a grid point does not use
    it), a colour per grid point, each grid point's best trial ringed, diverged trials as crosses
    in their grid point's colour in rows along the top edge (they have no objective). Log x for log
    ranges; a choice at positions 0..k-1, jittered."""
    colors = point_colors(trials["point"])
    n = len(nuisances)
    columns = min(n, 3)
    rows = math.ceil(n / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(max(6.4, PANEL[0] * columns), PANEL[1] * rows + 1),
                             squeeze=False, sharey=True, layout="constrained")
    ok = trials["status"].eq("ok") & np.isfinite(trials["value"].astype(float))
    sign = 1.0 if lower_is_better else -1.0
    best = trials[ok].assign(score=sign * trials.loc[ok, "value"]).sort_values("score") \
        .groupby("point", sort=False).head(1)
    # One jitter per trial, so a choice panel's ring lands on its point.
    jitter = pd.Series(np.random.default_rng(seed).uniform(-0.15, 0.15, len(trials)), trials.index)
    for ax, nuisance in zip(axes.flat, nuisances):
        _axis_panel(ax, nuisance, trials, ok, best, colors, jitter)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{objective} ({_direction(lower_is_better)})")
    _maybe_log_y(axes.flat[0], trials.loc[ok, "value"])
    if not ok.any():  # no value to place: say so rather than draw a scale of nothing
        for ax in axes.flat[:n]:
            ax.tick_params(axis="y", labelleft=False)
            ax.text(0.5, 0.5, "every trial diverged or failed:\nno objective value to show",
                    transform=ax.transAxes, ha="center", va="center", fontsize=10, color="0.3")
    handles = [Line2D([], [], marker="o", ls="", color=c, label=str(p)) for p, c in colors.items()]
    handles.append(Line2D([], [], marker="o", ls="", mfc="none", mec="black", ms=10, label="best trial"))
    if not ok.all():
        handles.append(Line2D([], [], marker="x", ls="", color="0.3", label="diverged (at the top)"))
    fig.legend(handles=handles, loc="outside lower center", fontsize=9, ncols=min(4, len(handles)))
    fig.suptitle("The objective against each nuisance, one point per trial", fontsize=11)
    return _save(fig, path)


def budget_plot(curve: pd.DataFrame, path: Path, objective: str, lower_is_better: bool) -> Path:
    """The budget curve (``budget.budget_curve``): per grid point the expected best objective
    after k trials, with the 95% band of the best of k resampled trials. k where the expectation
    is infinite (k trials can all diverge) is left out of the line."""
    colors = point_colors(curve["point"])
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    for name, group in curve.groupby("point", sort=False):
        expected = group["expected"].where(np.isfinite(group["expected"]))
        ax.plot(group["k"], expected, marker="o", ms=3, color=colors[name], label=str(name))
        ax.fill_between(group["k"], group["low"].where(np.isfinite(group["low"])),
                        group["high"].where(np.isfinite(group["high"])), color=colors[name],
                        alpha=0.15, linewidth=0)
    _maybe_log_y(ax, pd.concat([curve["low"], curve["high"]]))
    if not np.isfinite(curve["expected"]).all():
        ax.text(0.99, 0.97, "a line starts at the first k whose trials\ncannot all have diverged",
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="0.35")
    ax.set_xlabel("trials (k)")
    ax.set_xlim(1, max(2, curve["k"].max()))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(f"expected best {objective}")
    fig.suptitle("Were the trials enough? Expected best after k trials\n"
                 "(band: 95% of the best of k resampled trials)", fontsize=10)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=9, ncols=min(4, curve["point"].nunique()))
    return _save(fig, path)


def profile_plot(profile: pd.DataFrame, path: Path, time: str = "steps",
                 order: Sequence[str] | None = None) -> Path:
    """The performance profile (``time_to_result.performance_profile``: rows candidate, tau,
    share, workloads): per candidate the share of workloads within a factor tau of the fastest,
    a step line over tau = 1..4, candidates in ``order`` (their colours as in the other figures). Candidates that tie are offset a little so every line shows."""
    present = set(profile["candidate"])
    names = [n for n in (order or []) if n in present] + \
        [n for n in dict.fromkeys(profile["candidate"]) if n not in set(order or [])]
    colors = point_colors(names)
    workloads = int(profile["workloads"].max())
    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    offsets = np.linspace(-0.015, 0.015, len(names)) if len(names) > 1 else [0.0]
    for offset, name in zip(offsets, names):
        rows = profile[profile["candidate"] == name].sort_values("tau")
        ax.step(rows["tau"], rows["share"] + offset, where="post", color=colors[name],
                lw=1.8, label=str(name))
    ax.set_xlim(1, float(profile["tau"].max()))
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(f"tau (within a factor tau of the fastest {time})")
    ax.set_ylabel(f"share of the {workloads} workloads")
    ax.set_title("Performance profile: time to the target, across workloads", fontsize=10)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=9, ncols=min(4, len(names)))
    return _save(fig, path)
