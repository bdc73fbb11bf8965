"""Seconds per training epoch per engine, width and batch size, and the speedup of the vectorized
engine over the others: the numeric frames, their tables and their figures.

``epoch_times`` (one row per timed epoch) is what every engines figure reads.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import nncore
from experiments.stats import RESAMPLES, ratio_interval

from ...data import StudyResults
from ...interactive.curves import Chart, curve_chart
from ...plotting import legend_outside, level_colors, plain_log, plain_numbers, plt, save, sns
from ...tables import Table, number

ENGINE_ORDER = tuple(nncore.ENGINES)  # slowest first, as they evolved
ENGINE_PALETTE = "colorblind"  # ten distinct colours; engines past the tenth share NEUTRAL
NEUTRAL = (0.6, 0.6, 0.6)
SPEEDUP_BASELINES = ("loop", "scalar")


def engine_rank(engine: str) -> int:
    """Position of an engine in ENGINE_ORDER (unknown engines last), for sorting."""
    return ENGINE_ORDER.index(engine) if engine in ENGINE_ORDER else len(ENGINE_ORDER)


def engine_sorted(engines) -> list[str]:
    """Engine names, nncore's first in ENGINE_ORDER, then any other (plugins) by name."""
    return sorted(set(engines), key=lambda e: (engine_rank(e), e))


def engine_colors(engines) -> dict[str, tuple[float, float, float]]:
    """A colour per engine name as the runs table spells it (nncore's, plugins' and names never
    seen before alike): the palette's colours in ``engine_sorted`` order, NEUTRAL grey for any
    engine past the palette's end. Give every figure of a report the same mapping (from all its
    runs' engines) so that an engine keeps its colour across figures."""
    names = engine_sorted(engines)
    palette = sns.color_palette(ENGINE_PALETTE)
    return {name: tuple(palette[i]) if i < len(palette) else NEUTRAL for i, name in enumerate(names)}


def epoch_times(study: StudyResults) -> pd.DataFrame:
    """One row per timed training epoch: engine, width, batch_size, run_id, epoch_s (seconds).

    From ``curves`` (every epoch after 0); where a run has no curve, its median ``sec_per_epoch``
    stands in as a single sample.
    """
    config = ["run_id", "engine", "width", "batch_size", "layer_sizes"]
    curves = study.curves_of_ok_runs(config)
    timed = curves.loc[curves["epoch"] >= 1, config + ["epoch_s"]] if curves is not None else None
    rest = study.ok[~study.ok["run_id"].isin(timed["run_id"] if timed is not None else [])]
    times = pd.concat([timed, rest[config].assign(epoch_s=rest["sec_per_epoch"])],  # None: left out
                      ignore_index=True)
    return times[np.isfinite(times["epoch_s"]) & (times["epoch_s"] > 0)]


# What "share of peak" divides by, and why it can pass 100%.
PEAK_MEANING = ("The peak is NumPy matmul's GFLOP/s on the same step's products, each called from "
                "Python into a preallocated output (nncore.probe); an engine that runs the whole step "
                "in compiled code passes 100% where each call's fixed cost dominates (small batches).")


def timing_stats(study: StudyResults, times: pd.DataFrame) -> pd.DataFrame:
    """Per engine, width and batch size: epochs timed, median and quartiles of sec/epoch,
    and the runs' median samples/s, GFLOP/s and share of the matmul peak."""
    per_run = study.ok.set_index("run_id")
    rows = []
    for (engine, width, batch_size), group in times.groupby(["engine", "width", "batch_size"]):
        runs = per_run.loc[group["run_id"].unique()]
        q25, median, q75 = np.percentile(group["epoch_s"], [25, 50, 75])
        rows.append({"engine": engine, "width": width, "batch_size": batch_size,
                     "runs": len(runs), "epochs": len(group), "median_s": median,
                     "q25_s": q25, "q75_s": q75,
                     "samples_per_s": runs["samples_per_s"].median(),
                     "gflops": runs["gflops"].median(), "peak_share": runs["peak_share"].median()})
    return pd.DataFrame(rows)


def speedup_stats(times: pd.DataFrame, candidate: str = "vectorized", seed: int = 0) -> pd.DataFrame:
    """Speedup of ``candidate`` over each baseline engine per width and batch size."""
    rows = []
    for (width, batch_size), group in times.groupby(["width", "batch_size"]):
        fast = group.loc[group["engine"] == candidate, "epoch_s"].to_numpy()
        for baseline in SPEEDUP_BASELINES:
            slow = group.loc[group["engine"] == baseline, "epoch_s"].to_numpy()
            if len(fast) == 0 or len(slow) == 0:
                continue
            # a ratio of mean (summed) costs, never a mean of per-epoch ratios
            speedup = slow.mean() / fast.mean()
            low, high = ratio_interval(slow, fast, center=np.mean, seed=seed + len(rows))
            rows.append({"baseline": baseline, "width": width, "batch_size": batch_size,
                         "baseline_s": slow.mean(), "candidate_s": fast.mean(),
                         "speedup": speedup, "low": low, "high": high})
    return pd.DataFrame(rows)


def timing_table(stats: pd.DataFrame, study: str = "engines") -> Table:
    rows = [{"engine": r.engine, "width": r.width, "batch": r.batch_size, "epochs timed": r.epochs,
             "median s/epoch": number(r.median_s),
             "IQR s/epoch": f"{number(r.q25_s)}–{number(r.q75_s)}",
             "samples/s": number(r.samples_per_s), "GFLOP/s": number(r.gflops),
             "share of peak": "—" if not np.isfinite(r.peak_share) else f"{100 * r.peak_share:.3g}%"}
            for r in stats.assign(rank=stats["engine"].map(engine_rank))
                          .sort_values(["rank", "engine", "batch_size", "width"]).itertuples()]
    return Table(f"{study}_timing", "Timing: seconds per training epoch", pd.DataFrame(rows),
                 "Median and interquartile range over every timed epoch of every run; samples/s, "
                 "GFLOP/s and share of peak: median over runs. " + PEAK_MEANING)


def speedup_table(stats: pd.DataFrame, study: str = "engines",
                  candidate: str = "vectorized") -> Table:
    rows = [{"width": r.width, "batch": r.batch_size, "baseline": r.baseline,
             "baseline s/epoch": number(r.baseline_s), f"{candidate} s/epoch": number(r.candidate_s),
             "speedup": f"{number(r.speedup)}x",
             "95% CI": "—" if not np.isfinite(r.low) else f"{number(r.low)}–{number(r.high)}x"}
            for r in stats.sort_values(["baseline", "batch_size", "width"]).itertuples()]
    return Table(f"{study}_speedups", f"Speedup of {candidate} over the other engines", pd.DataFrame(rows),
                 "Speedup = summed (mean) epoch seconds of the baseline / those of "
                 f"{candidate}, never a mean of per-epoch ratios; 95% percentile bootstrap "
                 f"interval ({RESAMPLES} resamples of each engine's epochs).")


def _errorbar_panels(stats: pd.DataFrame, panel: str, line: str, colors: dict, size, title,
                     y: str, yerr):
    """A panel per value of ``panel`` (titled ``title(value)``), a line per key of ``colors`` (values
    of ``line``): ``y`` against width with ``yerr(rows)`` as bars, log-log, sharing y."""
    values = sorted(stats[panel].unique())
    fig, axes = plt.subplots(1, len(values), figsize=(size[0] * len(values), size[1]), sharey=True,
                             squeeze=False, layout="constrained")
    for ax, value in zip(axes[0], values):
        for level, color in colors.items():
            rows = stats[(stats[panel] == value) & (stats[line] == level)].sort_values("width")
            if len(rows):
                ax.errorbar(rows["width"], rows[y], yerr=yerr(rows), marker="o", capsize=3,
                            color=color, label=str(level))
        ax.set(xscale="log", yscale="log", title=title(value), xlabel="hidden width (units)")
        plain_numbers(ax.xaxis)
        ax.set_xticks(sorted(stats["width"].unique()))
    return fig, axes


def engine_times(stats: pd.DataFrame, path: Path, colors: dict | None = None) -> None:
    """Median seconds per epoch against width, one line per engine, a panel per batch size,
    log-log; error bars: interquartile range over epochs. ``colors``: ``engine_colors`` of the
    report's engines (default: of these)."""
    engines = engine_sorted(stats["engine"])
    colors = colors or engine_colors(engines)
    fig, axes = _errorbar_panels(
        stats, "batch_size", "engine", {e: colors[e] for e in engines}, (4.2, 4.2),
        lambda batch: f"batch size {batch}", "median_s",
        lambda rows: [rows["median_s"] - rows["q25_s"], rows["q75_s"] - rows["median_s"]])
    axes[0][0].set_ylabel("seconds per epoch (log scale)")
    plain_log(axes[0][0].yaxis)
    legend_outside(fig, axes[0][0], "engine")
    fig.suptitle("Engines: training time per epoch (median; bars: interquartile range)")
    save(fig, path)


def times_chart(study: StudyResults, times: pd.DataFrame) -> Chart:
    """The interactive companion of ``engine_times``' figure: seconds per epoch against width, a
    panel per batch size, a line per engine. Its line is the mean over runs of each run's median
    epoch (band: 95% bootstrap CI over runs), where the PNG pools all epochs (median, quartiles):
    the chart's hover and seed toggle speak of runs, each run one point."""
    per_run = times.groupby(["run_id", "engine", "width", "batch_size"], as_index=False,
                            observed=True)["epoch_s"].median()
    per_run["seed"] = per_run["run_id"].map(study.ok.set_index("run_id")["seed"])
    chart = curve_chart(per_run, "width", "seconds per epoch", x_title="hidden width (units)",
                        cols="batch_size", hue="engine", log_x=True, log_y=True, value="epoch_s",
                        title="Engines: training time per epoch")
    chart.note = "; ".join(filter(None, ["line: mean of the runs' median seconds per epoch, band: "
                                         "95% bootstrap CI over runs", chart.note]))
    return chart


def engine_speedups(stats: pd.DataFrame, path: Path, candidate: str = "vectorized") -> None:
    """Speedup of ``candidate`` over each baseline against width, one line per batch size."""
    fig, axes = _errorbar_panels(
        stats, "baseline", "batch_size", level_colors(sorted(stats["batch_size"].unique())),
        (5.6, 4.4), lambda baseline: f"{candidate} over {baseline}", "speedup",
        lambda rows: [(rows["speedup"] - rows["low"]).fillna(0), (rows["high"] - rows["speedup"]).fillna(0)])
    for ax in axes[0]:
        ax.axhline(1, color="grey", linestyle="--", linewidth=1)
        plain_numbers(ax.yaxis)
    axes[0][0].set_ylabel("speedup (x, log scale)")
    legend_outside(fig, axes[0][0], "batch size")
    fig.suptitle(f"Speedup of {candidate}: ratio of summed epoch times\n"
                 "bars: 95% bootstrap CI; dashed line: no speedup")
    save(fig, path)
