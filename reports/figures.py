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
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogFormatter, MaxNLocator, NullFormatter  # noqa: E402

from .data import Study, architecture, metric  # noqa: E402
from .stats import mean_ci  # noqa: E402
from .tables import engine_rank  # noqa: E402

DPI = 110
SPLITS = (("train_loss", "training"), ("val_loss", "validation"))
sns.set_theme(style="whitegrid", context="notebook")


def save(fig, path: Path) -> None:
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


def loss_name(study: Study) -> str:
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


def seeds_note(per_line: pd.Series) -> str:
    if per_line.max() < 2:
        return "single seed: no interval"
    return f"mean over {_seeds_count(per_line)} seeds, band: 95% bootstrap CI"


def _level_colors(levels, palette: str = "viridis") -> dict:
    """A colour per level: viridis for ordered levels (widths, depths), a qualitative palette
    such as tab10 for unordered ones (optimizers)."""
    return dict(zip(levels, sns.color_palette(palette, len(levels))))


def _levels(frame: pd.DataFrame, column: str | None) -> list:
    """A column's values in drawing order: a categorical's own order, else sorted."""
    if column is None:
        return [None]
    values = frame[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if (values == c).any()]
    return sorted(values.unique())


STYLES = ("-", "--", ":", "-.")


def split_frame(frame: pd.DataFrame, columns: dict[str, str], keep: list[str],
                value: str = "value") -> pd.DataFrame:
    """Long form: one row per row of ``frame`` and each of ``columns`` that has a value, with
    ``split`` holding that column's name from ``columns`` (an ordered categorical) and ``value``
    its number; ``keep`` columns ride along."""
    present = {column: name for column, name in columns.items()
               if column in frame and frame[column].notna().any()}
    long = frame[[*dict.fromkeys(keep), *present]].melt(id_vars=list(dict.fromkeys(keep)),
                                                        var_name="split", value_name=value)
    long = long.dropna(subset=[value])
    long["split"] = pd.Categorical(long["split"].map(present), categories=list(present.values()))
    return long


def facet_lines(frame: pd.DataFrame, x: str, y: str, *, cols: str | None = None,
                rows: str | None = None, hue: str | None = None, style: str | None = None,
                hue_label=str, panel_title=None, marker: str | None = None, log_x: bool = False,
                log_y: bool = True, ylabel: str = "", xlabel: str | None = None,
                panel_size: tuple[float, float] = (6.2, 4.4), palette: str = "viridis"):
    """The one faceted line figure every curve figure is built on.

    Per panel (a value of ``cols`` across, of ``rows`` down), the mean of ``y`` over seeds
    against ``x`` with its 95% bootstrap band: one colour per value of ``hue`` (named by
    ``hue_label``), one line style per value of ``style`` (e.g. training / validation). Axes
    share y. ``panel_title(col_value, row_value)`` names a panel (default ``cols = value``);
    ``palette`` colours the hue levels (viridis for ordered ones, e.g. tab10 for categories).
    Returns ``(fig, axes)`` with axes a 2-D array (rows, cols), for callers to add to.
    """
    col_levels, row_levels = _levels(frame, cols), _levels(frame, rows)
    hue_levels, style_levels = _levels(frame, hue), _levels(frame, style)
    colors = _level_colors(hue_levels, palette) if hue else {None: "C0"}
    styles = dict(zip(style_levels, STYLES * len(style_levels)))
    keys = [key for key in (rows, cols, hue, style) if key] + [x]
    summary = mean_ci(frame, keys, y)
    width, height = panel_size
    fig, axes = plt.subplots(len(row_levels), len(col_levels), sharey=True, squeeze=False,
                             figsize=(width * len(col_levels), height * len(row_levels)),
                             layout="constrained")
    for i, row_level in enumerate(row_levels):
        for j, col_level in enumerate(col_levels):
            ax = axes[i][j]
            panel = summary
            for key, level in ((rows, row_level), (cols, col_level)):
                if key:
                    panel = panel[panel[key] == level]
            for hue_level, color in colors.items():
                for style_level, line_style in styles.items():
                    lines = panel
                    if hue:
                        lines = lines[lines[hue] == hue_level]
                    if style:
                        lines = lines[lines[style] == style_level]
                    if lines.empty:
                        continue
                    ax.plot(lines[x], lines["mean"], color=color, linestyle=line_style,
                            marker=marker, markersize=5)
                    ax.fill_between(lines[x], lines["low"], lines["high"], color=color, alpha=0.2,
                                    linewidth=0)
            if log_x:
                ax.set_xscale("log")
                _plain_log(ax.xaxis)
            elif x == "epoch":
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if log_y:
                ax.set_yscale("log")
                _plain_log(ax.yaxis)
            title = (panel_title(col_level, row_level) if panel_title else
                     ", ".join(f"{key} = {level}" for key, level in ((cols, col_level),
                                                                     (rows, row_level)) if key))
            ax.set(title=title, ylabel=ylabel if j == 0 else "",
                   xlabel=(xlabel if xlabel is not None else x) if i == len(row_levels) - 1 else "")
    handles, labels = [], []
    if hue:
        handles += [Line2D([], [], color=color, marker=marker) for color in colors.values()]
        labels += [hue_label(level) for level in colors]
    if style and len(style_levels) > 1:
        handles += [Line2D([], [], color="0.3", linestyle=line) for line in styles.values()]
        labels += [str(level) for level in styles]
    if handles:
        fig.legend(handles, labels, title=hue if hue else None, loc="outside right upper")
    return fig, axes


def seeds_per_line(frame: pd.DataFrame, keys: list[str | None]) -> pd.Series:
    """Seeds behind each drawn line (one line per combination of the non-None ``keys``)."""
    keys = [key for key in keys if key]
    return frame.groupby(keys, observed=True)["seed"].nunique() if keys else \
        pd.Series([frame["seed"].nunique()])


def loss_curves(study: Study, path: Path, by: str | None, label, title: str) -> list[str]:
    """Training and validation loss against epoch (log y), a panel each, one line per value of
    ``by`` (e.g. width) named by ``label(value)``, mean over seeds with a 95% bootstrap band.
    Returns the run ids drawn."""
    columns = (by, "seed") if by else ("seed",)
    curves = study.curves_of_ok_runs(columns)
    long = split_frame(curves, dict(SPLITS), ["run_id", "epoch", *columns], value="loss")
    fig, _ = facet_lines(long, "epoch", "loss", cols="split", hue=by, hue_label=label,
                         panel_title=lambda split, _: f"{split} loss",
                         ylabel=f"{loss_name(study)} (log scale)")
    fig.suptitle(f"{title}\n{seeds_note(seeds_per_line(curves, [by]))}")
    save(fig, path)
    return list(curves["run_id"].unique())


def lr_sweep(study: Study, path: Path) -> list[str]:
    """Final loss against learning rate (log-log), one line per width: mean over seeds, band
    95% bootstrap CI, each seed a dot; runs that diverged are crosses along the top edge."""
    ok = study.ok[np.isfinite(study.ok["final_train_loss"])]
    diverged = study.runs[study.runs["status"] == "diverged"]
    finals = {f"final_{column}": name for column, name in SPLITS}
    long = split_frame(ok, finals, ["run_id", "lr", "width", "seed"], value="loss")
    widths = sorted(set(ok["width"]) | set(diverged["width"]))
    long["width"] = pd.Categorical(long["width"], categories=widths)
    fig, axes = facet_lines(long, "lr", "loss", cols="split", hue="width", marker="o",
                            hue_label=lambda w: f"{w} units", log_x=True,
                            panel_title=lambda split, _: f"final {split} loss",
                            xlabel="learning rate (log scale)",
                            ylabel=f"{loss_name(study)} (log scale)")
    colors = _level_colors(widths)
    for ax, split in zip(axes[0], long["split"].cat.categories):
        dots = long[long["split"] == split]
        ax.scatter(dots["lr"], dots["loss"], c=[colors[w] for w in dots["width"]], s=14, alpha=0.35)
        if len(diverged):
            # A diverged run has no loss to place: a cross in a strip added above the data
            # (x in data, y in axes coordinates), clear of the lines.
            low, high = ax.get_ylim()
            ax.set_ylim(low, high * (high / low) ** 0.15)
            for (width, lr), runs in diverged.groupby(["width", "lr"]):
                ax.plot([lr], [0.95], "x", color=colors[width], markersize=9, markeredgewidth=2,
                        transform=ax.get_xaxis_transform())
                ax.annotate(str(len(runs)), (lr, 0.95), xycoords=ax.get_xaxis_transform(),
                            xytext=(7, -4), textcoords="offset points", color=colors[width])
    if len(diverged):
        legend = fig.legends[0]
        handles = legend.legend_handles + [Line2D([], [], marker="x", linestyle="", color="C2",
                                                  markersize=9, markeredgewidth=2)]
        labels = [text.get_text() for text in legend.get_texts()] + ["diverged"]
        legend.remove()
        fig.legend(handles, labels, title="width", loc="outside right upper")
    epochs = ", ".join(str(e) for e in sorted(ok["epochs_run"].unique()))
    seeds = ok.groupby(["width", "lr"])["seed"].nunique()
    crosses = "\n× n at the top: n seeds diverged (no final loss)" if len(diverged) else ""
    seeds_note = ("one seed per point" if seeds.max() < 2 else
                  f"line: mean over {_seeds_count(seeds)} seeds, band: 95% bootstrap CI; "
                  "dots: single seeds")
    fig.suptitle(f"Learning rate: final loss after {epochs} epochs\n{seeds_note}{crosses}")
    save(fig, path)
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
    save(fig, path)
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
    save(fig, path)


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
    save(fig, path)


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
        ax.set(yscale="log", xlabel="", ylabel=f"final {loss_name(Study(task, runs))} (log scale)",
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
    save(fig, path)
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
    save(fig, path)


def mean_lines(ax, frame: pd.DataFrame, x: str, y: str, by: str, colors: dict, label=str,
               marker: str | None = None) -> None:
    """On one axes, a line per value of ``by`` (the keys of ``colors``): the mean of ``y`` over
    seeds at each ``x`` with its 95% bootstrap band, named ``label(value)``."""
    summary = mean_ci(frame, [by, x], y)
    for level, color in colors.items():
        rows = summary[summary[by] == level]
        if rows.empty:
            continue
        ax.plot(rows[x], rows["mean"], color=color, marker=marker, markersize=5, label=label(level))
        ax.fill_between(rows[x], rows["low"], rows["high"], color=color, alpha=0.2, linewidth=0)
