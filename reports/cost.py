"""Cost against quality: loss against the training seconds it took, beside loss against epoch.

Seconds are the runs' own training clocks (``curves.epoch_s``: each epoch's training steps,
evaluation excluded), summed over epochs, so a line shows how quickly a configuration reaches a
loss on this machine, the trade that loss against epoch hides.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .interactive.curves import curve_chart

SECONDS = "seconds"  # the column ``with_training_seconds`` adds


def with_training_seconds(curves: pd.DataFrame) -> pd.DataFrame:
    """``curves`` with ``seconds``: training seconds spent by the end of each row's epoch.

    ``epoch_s`` is seconds per epoch since the previous row (with ``evaluate_every`` > 1 a row
    stands for several epochs), so the clock is the running sum of epoch_s x epochs elapsed.
    """
    curves = curves.sort_values(["run_id", "epoch"])
    elapsed = curves.groupby("run_id")["epoch"].diff().fillna(0)
    spent = (curves["epoch_s"].fillna(0) * elapsed).groupby(curves["run_id"]).cumsum()
    return curves.assign(**{SECONDS: spent})


def timed(curves: pd.DataFrame) -> bool:
    """Whether the curves carry a training clock worth drawing (some epoch took measurable time)."""
    return "epoch_s" in curves and bool((curves["epoch_s"].fillna(0) > 0).any())


def mean_against_seconds(ax, curves: pd.DataFrame, y: str, by: str, colors: dict,
                         label=str, x: str = SECONDS) -> None:
    """One line per value of ``by``: at each epoch, the mean over seeds of ``y`` against the
    mean over seeds of the seconds spent (runs of one configuration take similar times;
    ``curves`` as ``with_training_seconds`` gives them)."""
    means = curves.groupby([by, "epoch"])[[c for c in (x, y) if c != "epoch"]].mean().reset_index()
    for level, color in colors.items():
        rows = means[means[by] == level].sort_values("epoch")
        rows = rows[np.isfinite(rows[y])]
        if rows.empty:
            continue
        ax.plot(rows[x], rows[y], color=color, label=label(level))


def loss_against_seconds(study, path, by: str | None, label, title: str) -> list[str]:
    """Training and validation loss (log y) against training seconds (log x), a line per value
    of ``by`` (mean over seeds at each epoch); the companion of loss against epoch."""
    from . import plotting  # the kit sets the Agg backend; imported where a figure is drawn

    curves = study.curves_of_ok_runs((by, "seed") if by else ("seed",))
    curves = plotting.thinned(with_training_seconds(curves))  # summed first: every epoch counts
    curves = curves[curves[SECONDS] > 0]
    if curves.empty or not timed(curves):
        raise ValueError("no timed epochs")
    key = by or "_all"
    if not by:
        curves = curves.assign(_all="all")
    splits = [(column, name) for column, name in plotting.SPLITS if curves[column].notna().any()]
    levels = sorted(curves[key].unique())
    colors = plotting.level_colors(levels) if by else {"all": "C0"}
    fig, axes = plotting.plt.subplots(1, len(splits), figsize=(6.2 * len(splits), 4.4), sharey=True,
                                     squeeze=False, layout="constrained")
    for ax, (column, name) in zip(axes[0], splits):
        mean_against_seconds(ax, curves, column, key, colors, label=label if by else str)
        ax.set(xscale="log", yscale="log", title=f"{name} loss", xlabel="training seconds (log scale)",
               ylabel=f"{plotting.loss_name(study)} (log scale)" if ax is axes[0][0] else "")
        plotting.plain_log(ax.xaxis)
        plotting.plain_log(ax.yaxis)
    if by:
        plotting.legend_outside(fig, axes[0][0], by)
    fig.suptitle(f"{title}\nmean over seeds at each epoch; seconds of training, evaluation excluded")
    plotting.save(fig, path)
    return list(curves["run_id"].unique())


def seconds_chart(study, by: str | None, label, title: str):
    """The interactive companion of ``loss_against_seconds``: a panel per split, the mean loss
    over seeds at each epoch against the mean seconds spent by then (log-log)."""
    from . import plotting  # as above

    columns = (by, "seed") if by else ("seed",)
    curves = with_training_seconds(study.curves_of_ok_runs(columns))
    curves = curves[curves[SECONDS] > 0]
    long = plotting.split_frame(curves, dict(plotting.SPLITS),
                                ["run_id", "epoch", SECONDS, *columns])
    return curve_chart(long, SECONDS, f"{plotting.loss_name(study)}", x_title="training seconds",
                       cols="split", hue=by, label=label, log_x=True, log_y=True, title=title,
                       along="epoch")
