"""Figures: one function per figure, each writing one PNG (Agg) and returning the run ids drawn.

Seeds are replicates: every line that summarises seeds is their mean with a 95% percentile
bootstrap band (``reports.stats``, seeded so that rebuilding a report redraws the same bands).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window, also on machines without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.animation import PillowWriter  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogFormatter, MaxNLocator, NullFormatter  # noqa: E402

from .data import Study, architecture, metric  # noqa: E402
from .stats import mean_ci  # noqa: E402
from .tables import engine_rank  # noqa: E402

DPI = 110
SPLITS = (("train_loss", "training"), ("val_loss", "validation"))
sns.set_theme(style="whitegrid", context="notebook")


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def _legend_outside(fig, axes, title: str | None) -> None:
    """One legend, gathered from ``axes`` (an Axes or a list), right of the figure where it can
    hide no data."""
    handles, labels = [], []
    for ax in axes if isinstance(axes, (list, tuple)) else [axes]:
        more_handles, more_labels = ax.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if handles:
        fig.legend(handles, labels, title=title, loc="outside right upper")


def _loss_name(study: Study) -> str:
    return "/".join(sorted(n.upper() if n in ("mse", "sse") else n.replace("_", " ")
                           for n in study.ok["loss"].unique()))


class _PlainLogFormatter(LogFormatter):
    """Log-axis labels as 0.3, 1, 1e-05 rather than 3x10^-1, 10^0; minor ticks labelled only
    when the axis spans little more than a decade (matplotlib's own rule)."""

    def __call__(self, value, pos=None):
        return f"{value:g}" if super().__call__(value, pos) else ""


def _plain_log(axis) -> None:
    axis.set_major_formatter(_PlainLogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(1.5, 0.5)))


def _plain_numbers(axis) -> None:
    """Only the given ticks (e.g. the widths run), as 10, 50, 200; no minor labels."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def _seeds_count(per_line: pd.Series) -> str:
    """The seeds behind each line, as 5 or 4–5 (runs that did not finish are missing)."""
    low, high = int(per_line.min()), int(per_line.max())
    return str(low) if low == high else f"{low}–{high}"


def _seeds_note(per_line: pd.Series) -> str:
    if per_line.max() < 2:
        return "single seed: no interval"
    return f"mean over {_seeds_count(per_line)} seeds, band: 95% bootstrap CI"


def _mean_lines(ax, frame: pd.DataFrame, x: str, y: str, by: str | None, colors: dict,
                label, marker: str | None = None) -> None:
    """One line per value of ``by`` (one line if None): the mean of ``y`` over seeds at each
    ``x``, its 95% bootstrap interval shaded. ``colors`` and ``label`` map a value of ``by``."""
    keys = [by, x] if by else [x]
    summary = mean_ci(frame, keys, y)
    for level, color in colors.items():
        rows = summary[summary[by] == level] if by else summary
        ax.plot(rows[x], rows["mean"], color=color, marker=marker, markersize=5,
                label=label(level) if by else None)
        ax.fill_between(rows[x], rows["low"], rows["high"], color=color, alpha=0.2, linewidth=0)


def _level_colors(levels) -> dict:
    return dict(zip(levels, sns.color_palette("viridis", len(levels))))


def loss_curves(study: Study, path: Path, by: str | None, label, title: str) -> list[str]:
    """Training and validation loss against epoch (log y), one line per value of ``by``
    (e.g. width) named by ``label(value)``, mean over seeds with a 95% bootstrap band.
    Returns the run ids drawn."""
    columns = (by, "seed") if by else ("seed",)
    curves = study.curves_of_ok_runs(columns)
    splits = [(column, name) for column, name in SPLITS if curves[column].notna().any()]
    colors = _level_colors(sorted(curves[by].unique())) if by else {None: "C0"}
    fig, axes = plt.subplots(1, len(splits), figsize=(6.2 * len(splits), 4.4), sharey=True,
                             squeeze=False, layout="constrained")
    for ax, (column, name) in zip(axes[0], splits):
        _mean_lines(ax, curves, "epoch", column, by, colors, label)
        ax.set_yscale("log")
        _plain_log(ax.yaxis)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(title=f"{name} loss", xlabel="epoch",
               ylabel=f"{_loss_name(study)} (log scale)" if ax is axes[0][0] else "")
    if by:
        _legend_outside(fig, axes[0][0], by)
    seeds = (curves.groupby(by)["seed"].nunique() if by
             else pd.Series([curves["seed"].nunique()]))
    fig.suptitle(f"{title}\n{_seeds_note(seeds)}")
    _save(fig, path)
    return list(curves["run_id"].unique())


def lr_sweep(study: Study, path: Path) -> list[str]:
    """Final loss against learning rate (log-log), one line per width: mean over seeds, band
    95% bootstrap CI, each seed a dot; runs that diverged are crosses along the top edge."""
    ok = study.ok[np.isfinite(study.ok["final_train_loss"])]
    diverged = study.runs[study.runs["status"] == "diverged"]
    colors = _level_colors(sorted(set(ok["width"]) | set(diverged["width"])))
    splits = [(f"final_{c}", n) for c, n in SPLITS if ok[f"final_{c}"].notna().any()]
    fig, axes = plt.subplots(1, len(splits), figsize=(6.2 * len(splits), 4.4), sharey=True,
                             squeeze=False, layout="constrained")
    for ax, (column, name) in zip(axes[0], splits):
        _mean_lines(ax, ok, "lr", column, "width", colors, lambda w: f"{w} units", marker="o")
        ax.scatter(ok["lr"], ok[column], c=[colors[w] for w in ok["width"]], s=14, alpha=0.35)
        ax.set(xscale="log", yscale="log", title=f"final {name} loss",
               xlabel="learning rate (log scale)",
               ylabel=f"{_loss_name(study)} (log scale)" if ax is axes[0][0] else "")
        if len(diverged):
            # A diverged run has no loss to place: a cross in a strip added above the data
            # (x in data, y in axes coordinates), clear of the lines.
            low, high = ax.get_ylim()
            ax.set_ylim(low, high * (high / low) ** 0.15)
            for (width, lr), runs in diverged.groupby(["width", "lr"]):
                ax.plot([lr], [0.95], "x", color=colors[width], markersize=9, markeredgewidth=2,
                        transform=ax.get_xaxis_transform(),
                        label="diverged" if width == diverged["width"].min() else None)
                ax.annotate(str(len(runs)), (lr, 0.95), xycoords=ax.get_xaxis_transform(),
                            xytext=(7, -4), textcoords="offset points", color=colors[width])
        _plain_log(ax.xaxis)
        _plain_log(ax.yaxis)
    _legend_outside(fig, axes[0][0], "width")
    epochs = ", ".join(str(e) for e in sorted(ok["epochs_run"].unique()))
    seeds = ok.groupby(["width", "lr"])["seed"].nunique()
    crosses = "\n× n at the top: n seeds diverged (no final loss)" if len(diverged) else ""
    seeds_note = ("one seed per point" if seeds.max() < 2 else
                  f"line: mean over {_seeds_count(seeds)} seeds, band: 95% bootstrap CI; "
                  "dots: single seeds")
    fig.suptitle(f"Learning rate: final loss after {epochs} epochs\n{seeds_note}{crosses}")
    _save(fig, path)
    return list(ok["run_id"].unique()) + list(diverged["run_id"])


def _grid(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = frame.pivot_table(index="x1", columns="x2", values=column)
    x1, x2 = np.meshgrid(table.index.to_numpy(), table.columns.to_numpy(), indexing="ij")
    return x1, x2, table.to_numpy()


def _surface(ax, x1, x2, z, title: str, z_limits) -> None:
    ax.plot_surface(x1, x2, z, cmap="viridis", vmin=z_limits[0], vmax=z_limits[1],
                    linewidth=0, antialiased=True, rcount=50, ccount=50)
    ax.set(title=title, xlabel="x1", ylabel="x2", zlabel="y", zlim=z_limits)
    ax.view_init(elev=30, azim=-60)


def snapshot_run(study: Study) -> tuple[str, pd.DataFrame]:
    """The run whose snapshots the surface figures show: the lowest seed that has snapshots."""
    ok = study.ok[study.ok["run_id"].isin(study.snapshots["run_id"].unique())]
    run_id = ok.sort_values(["seed", "run_id"])["run_id"].iloc[0]
    return run_id, study.snapshots[study.snapshots["run_id"] == run_id]


def surfaces(study: Study, path: Path) -> list[str]:
    """The true y = sin(x1) - cos(x2) beside the fitted surface at each snapshot epoch."""
    run_id, shots = snapshot_run(study)
    epochs = sorted(shots["epoch"].unique())
    first = shots[shots["epoch"] == epochs[0]]
    z_limits = (np.nanmin(first["y_true"]) - 0.5, np.nanmax(first["y_true"]) + 0.5)
    fig = plt.figure(figsize=(4.2 * (len(epochs) + 1), 4.4))
    ax = fig.add_subplot(1, len(epochs) + 1, 1, projection="3d")
    _surface(ax, *_grid(first, "y_true"), "true: sin(x1) - cos(x2)", z_limits)
    for i, epoch in enumerate(epochs, start=2):
        ax = fig.add_subplot(1, len(epochs) + 1, i, projection="3d")
        _surface(ax, *_grid(shots[shots["epoch"] == epoch], "y_pred"),
                 f"fitted, epoch {epoch}", z_limits)
    seed = int(study.ok.set_index("run_id").loc[run_id, "seed"])
    fig.suptitle(f"Final model: fitted surface over training (seed {seed}; every panel on the "
                 "true function's z axis)")
    _save(fig, path)
    return [run_id]


def surface_animation(study: Study, path: Path) -> list[str]:
    """An animated GIF: true surface beside the fitted one, one frame per snapshot epoch."""
    run_id, shots = snapshot_run(study)
    epochs = sorted(shots["epoch"].unique())
    truth = _grid(shots[shots["epoch"] == epochs[0]], "y_true")
    z_limits = (np.nanmin(truth[2]) - 0.5, np.nanmax(truth[2]) + 0.5)
    seed = int(study.ok.set_index("run_id").loc[run_id, "seed"])
    fig = plt.figure(figsize=(9, 4.2))
    writer = PillowWriter(fps=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer.saving(fig, str(path), dpi=80):
        for epoch in epochs:
            fig.clear()
            fig.suptitle(f"Final model over training (seed {seed})")
            _surface(fig.add_subplot(1, 2, 1, projection="3d"), *truth, "true function", z_limits)
            _surface(fig.add_subplot(1, 2, 2, projection="3d"),
                     *_grid(shots[shots["epoch"] == epoch], "y_pred"), f"fitted, epoch {epoch}",
                     z_limits)
            writer.grab_frame()
    plt.close(fig)
    return [run_id]


def engine_times(stats: pd.DataFrame, path: Path) -> None:
    """Median seconds per epoch against width, one line per engine, a panel per batch size,
    log-log; error bars: interquartile range over epochs."""
    batches = sorted(stats["batch_size"].unique())
    engines = sorted(stats["engine"].unique(), key=lambda e: (engine_rank(e), e))
    colors = dict(zip(engines, sns.color_palette("colorblind", len(engines))))
    fig, axes = plt.subplots(1, len(batches), figsize=(4.2 * len(batches), 4.2), sharey=True,
                             squeeze=False, layout="constrained")
    for ax, batch in zip(axes[0], batches):
        for engine in engines:
            rows = stats[(stats["batch_size"] == batch) & (stats["engine"] == engine)]
            rows = rows.sort_values("width")
            if rows.empty:
                continue
            ax.errorbar(rows["width"], rows["median_s"], marker="o", capsize=3, label=engine,
                        color=colors[engine],
                        yerr=[rows["median_s"] - rows["q25_s"], rows["q75_s"] - rows["median_s"]])
        ax.set(xscale="log", yscale="log", title=f"batch size {batch}", xlabel="hidden width (units)")
        _plain_numbers(ax.xaxis)
        ax.set_xticks(sorted(stats["width"].unique()))
    axes[0][0].set_ylabel("seconds per epoch (log scale)")
    _plain_log(axes[0][0].yaxis)
    _legend_outside(fig, axes[0][0], "engine")
    fig.suptitle("Engines: training time per epoch (median; bars: interquartile range)")
    _save(fig, path)


def engine_speedups(stats: pd.DataFrame, path: Path, candidate: str = "vectorized") -> None:
    """Speedup of ``candidate`` over each baseline against width, one line per batch size."""
    baselines = sorted(stats["baseline"].unique())
    batches = sorted(stats["batch_size"].unique())
    colors = dict(zip(batches, sns.color_palette("viridis", len(batches))))
    fig, axes = plt.subplots(1, len(baselines), figsize=(5.6 * len(baselines), 4.4), sharey=True,
                             squeeze=False, layout="constrained")
    for ax, baseline in zip(axes[0], baselines):
        for batch in batches:
            rows = stats[(stats["baseline"] == baseline) & (stats["batch_size"] == batch)]
            rows = rows.sort_values("width")
            if rows.empty:
                continue
            error = [(rows["speedup"] - rows["low"]).fillna(0),
                     (rows["high"] - rows["speedup"]).fillna(0)]
            ax.errorbar(rows["width"], rows["speedup"], yerr=error, marker="o", capsize=3,
                        color=colors[batch], label=str(batch))
        ax.axhline(1, color="grey", linestyle="--", linewidth=1)
        ax.set(xscale="log", yscale="log", title=f"{candidate} over {baseline}",
               xlabel="hidden width (units)")
        _plain_numbers(ax.xaxis)
        _plain_numbers(ax.yaxis)
        ax.set_xticks(sorted(stats["width"].unique()))
    axes[0][0].set_ylabel("speedup (x, log scale)")
    _legend_outside(fig, axes[0][0], "batch size")
    fig.suptitle(f"Speedup of {candidate}: ratio of summed epoch times\n"
                 "bars: 95% bootstrap CI; dashed line: no speedup")
    _save(fig, path)


SPLIT_COLORS = {"train": "C0", "validation": "C1"}


def _task_note(runs: pd.DataFrame) -> str:
    """The task's own metric for a panel title: XOR solved count, people's two predictions."""
    solved = metric(runs, "solved").dropna()
    if len(solved):
        return f"solved in {int(solved.sum())}/{len(solved)} seeds"
    people = [f"{key.capitalize()} {metric(runs, key).mean():.2f}" for key in ("emily", "frank")
              if metric(runs, key).notna().any()]
    return ", ".join(people)


def classics(study: Study, path: Path) -> list[str]:
    """A panel per task with its final loss (own log axis: the tasks' losses differ by orders of
    magnitude), and one panel of final accuracy for the classifiers; a dot per seed."""
    ok = study.ok
    splits = {"final_train_loss": "train", "final_val_loss": "validation"}
    tasks = sorted(ok["dataset"].unique())
    accuracy = ok.melt(id_vars=["dataset", "seed"], value_vars=["final_train_acc", "final_val_acc"],
                       var_name="split", value_name="accuracy").dropna(subset=["accuracy"])
    accuracy["split"] = accuracy["split"].map({"final_train_acc": "train",
                                               "final_val_acc": "validation"})
    panels = len(tasks) + (1 if len(accuracy) else 0)
    fig, axes = plt.subplots(1, panels, figsize=(3.3 * panels, 4.6), squeeze=False,
                             layout="constrained")
    for ax, task in zip(axes[0], tasks):
        runs = ok[ok["dataset"] == task]
        loss = runs[["seed", *splits]].melt(id_vars=["seed"], var_name="split",
                                            value_name="loss").dropna(subset=["loss"])
        loss["split"] = loss["split"].map(splits)
        sns.stripplot(data=loss, x="split", y="loss", hue="split", palette=SPLIT_COLORS,
                      order=[s for s in splits.values() if s in set(loss["split"])], ax=ax,
                      size=6, jitter=0.15, legend=False)
        note = _task_note(runs)
        ax.set(yscale="log", xlabel="", ylabel=f"final {_loss_name(Study(task, runs))} (log scale)",
               title=f"{task.replace('_', ' ')} ({architecture(runs['layer_sizes'].iloc[0])})"
                     + (f"\n{note}" if note else ""))
        _plain_log(ax.yaxis)
    if len(accuracy):
        ax = axes[0][-1]
        sns.stripplot(data=accuracy, x="dataset", y="accuracy", hue="split", palette=SPLIT_COLORS,
                      dodge=True, order=sorted(accuracy["dataset"].unique()), ax=ax, size=6,
                      jitter=0.15)
        ax.set(ylim=(0, 1.05), title="accuracy (classifiers)", xlabel="task",
               ylabel="fraction correct")
        _legend_outside(fig, ax, "split")
    fig.suptitle(f"Classic tasks: final loss and accuracy, one dot per seed "
                 f"({ok['seed'].nunique()} seeds)")
    _save(fig, path)
    return list(ok["run_id"])


def gradcheck(stats: pd.DataFrame, path: Path, threshold: float) -> None:
    """Seconds per full gradient (numerical vs backprop, median over checks) and their max
    relative difference (each check a dot), one row per architecture, smallest on top."""
    order = list(dict.fromkeys(stats.sort_values("parameters")["layers"]))
    times = stats.melt(id_vars=["layers"], value_vars=["numerical_s", "backprop_s"],
                       var_name="method", value_name="seconds")
    times["method"] = times["method"].map({"numerical_s": "numerical (finite differences)",
                                           "backprop_s": "backprop (vectorized)"})
    height = 1.6 + 0.45 * len(order)
    fig, axes = plt.subplots(1, 2, figsize=(12.4, height), sharey=True, layout="constrained")
    sns.barplot(data=times, y="layers", x="seconds", hue="method", order=order, ax=axes[0],
                estimator="median", errorbar=None, orient="y")
    axes[0].set(xscale="log", title="time per full gradient (median)",
                ylabel="layer sizes", xlabel="seconds (log scale)")
    sns.stripplot(data=stats, y="layers", x="max_rel_error", order=order, ax=axes[1], size=7,
                  color="C2", orient="y", jitter=0.1)
    axes[1].axvline(threshold, color="C3", linestyle="--", label=f"agreement threshold {threshold:g}")
    axes[1].set(xscale="log", title="numerical vs backprop gradient",
                xlabel="max relative difference (log scale)", ylabel="")
    for ax in axes:
        _plain_log(ax.xaxis)
    _legend_outside(fig, [axes[0], axes[1]], None)
    fig.suptitle(f"Gradient check ({len(stats)} checks; one dot per check)")
    _save(fig, path)
