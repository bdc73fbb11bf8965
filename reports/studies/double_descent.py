"""The double-descent study: final training and test error against width, and test error against
epoch for a few widths (Belkin et al. 2019; Nakkiran et al. 2019; MNIST-1D, Greydanus 2020).

Errors are 1 - accuracy. The training error is measured on the *noisy* training labels, so it
reaches 0 only when a net memorizes the flipped labels: the *interpolation threshold* is the
smallest width whose mean final training error is at most ``INTERPOLATED_ERROR``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.stats import mean_intervals

from .. import plotting
from ..claims import Check, Claim, epochs_text, no_data, verdict
from ..data import StudyResults
from ..interactive.curves import Chart, curve_chart
from ..tables import Table, mean_sd, number

INTERPOLATED_ERROR = 0.01  # mean final training error counted as "about 0%"
NEAR_THRESHOLD = 2.0       # a peak within this factor of the threshold width is "near" it
TITLE = "Double descent in width"
ORDER = 120
MARGIN = 0.01              # the peak must stand this far (absolute error) above both sides


def errors(study: StudyResults) -> pd.DataFrame:
    """Per finished run: width, seed, final train and test error (1 - accuracy)."""
    ok = study.ok
    return pd.DataFrame({"run_id": ok["run_id"], "width": ok["width"], "seed": ok["seed"],
                         "train_error": 1 - ok["final_train_acc"],
                         "test_error": 1 - ok["final_val_acc"]}).dropna()


@dataclass
class Descent:
    """What the width curve shows (mean over seeds at each width)."""

    threshold: int | None        # interpolation threshold width, None if no width interpolates
    peak_width: int | None       # width of the highest test error within NEAR_THRESHOLD of it
    peak_error: float
    valley_error: float          # lowest test error at a width below the peak (first descent)
    widest: int
    widest_error: float          # test error at the largest width
    seeds: int

    @property
    def holds(self) -> bool:
        """A peak near the threshold that stands MARGIN above the valley before it and above
        the widest net after it."""
        return (self.peak_width is not None and np.isfinite(self.valley_error)
                and self.peak_error >= self.valley_error + MARGIN
                and self.widest_error <= self.peak_error - MARGIN)


def descent(study: StudyResults) -> Descent:
    frame = errors(study)
    if frame.empty:
        raise ValueError("no finished runs with accuracies")
    means = frame.groupby("width")[["train_error", "test_error"]].mean().sort_index()
    interpolating = means.index[means["train_error"] <= INTERPOLATED_ERROR]
    threshold = int(interpolating.min()) if len(interpolating) else None
    widest = int(means.index.max())
    peak_width, peak_error, valley_error = None, float("nan"), float("nan")
    if threshold is not None:
        near = means[(means.index >= threshold / NEAR_THRESHOLD) & (means.index <= threshold * NEAR_THRESHOLD)]
        peak_width = int(near["test_error"].idxmax())
        peak_error = float(near["test_error"].max())
        before = means.loc[means.index < peak_width, "test_error"]
        valley_error = float(before.min()) if len(before) else float("nan")
    return Descent(threshold, peak_width, peak_error, valley_error, widest,
                   float(means.loc[widest, "test_error"]), int(frame.groupby("width")["seed"].nunique().min()))


def width_figure(study: StudyResults, path: Path) -> list[str]:
    """Final training and test error against width (log x): mean over seeds with a 95% bootstrap
    band, each seed a dot; the interpolation threshold and the peak marked."""
    frame = errors(study)
    found = descent(study)
    fig, ax = plotting.plt.subplots(figsize=(9.5, 5.2), layout="constrained")
    for column, name, color in (("train_error", "training error (noisy labels)", "C0"),
                                ("test_error", "test error (clean labels)", "C3")):
        summary = mean_intervals(frame, ["width"], column)
        ax.plot(summary["width"], summary["mean"], marker="o", markersize=4, color=color, label=name)
        ax.fill_between(summary["width"], summary["low"], summary["high"], color=color, alpha=0.2,
                        linewidth=0)
        ax.scatter(frame["width"], frame[column], color=color, s=9, alpha=0.35)
    if found.threshold is not None:
        ax.axvline(found.threshold, color="grey", linestyle="--", linewidth=1.2,
                   label=f"interpolation threshold: width {found.threshold} "
                         f"(training error <= {100 * INTERPOLATED_ERROR:g}%)")
    if found.peak_width is not None and found.peak_width != found.widest:
        ax.annotate(f"peak near threshold: {100 * found.peak_error:.1f}% at width {found.peak_width}",
                    (found.peak_width, found.peak_error), xytext=(12, 30), textcoords="offset points",
                    arrowprops={"arrowstyle": "->", "color": "C3"}, color="C3", fontsize=9)
    ax.annotate(f"{100 * found.widest_error:.1f}% at width {found.widest}",
                (found.widest, found.widest_error), xytext=(-40, 20), textcoords="offset points",
                arrowprops={"arrowstyle": "->", "color": "C3"}, color="C3", fontsize=9, ha="right")
    ax.set_xscale("log")
    plotting.plain_numbers(ax.xaxis)
    widths = sorted(frame["width"].unique())
    ax.set_xticks([w for w in widths if w in (2, 4, 6, 10, 14, 20, 30, 50, 100, 200, 400)] or widths)
    ax.yaxis.set_major_formatter(plotting.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.set(xlabel="hidden width w (two ReLU layers of w; log scale)", ylabel="final error",
           ylim=(0, None))
    ax.legend(loc="upper right", fontsize=9)
    options = study.ok["dataset_options"].iloc[0] if "dataset_options" in study.ok else "{}"
    fig.suptitle(f"Double descent in width: final error after {epochs_text(study.ok)} epochs\n"
                 f"{plotting.seeds_note(frame.groupby('width')['seed'].nunique())}; dots: single "
                 f"seeds; dataset options {options}")
    plotting.save(fig, path)
    return list(frame["run_id"])


def epoch_widths(study: StudyResults, count: int = 5) -> list[int]:
    """A few widths for the epoch-wise figure: the interpolation threshold, a quarter and half
    of it, twice it, and the largest width; evenly spread in log width without a threshold."""
    widths = np.array(sorted(errors(study)["width"].unique()))
    found = descent(study)
    if found.threshold is None:
        targets = np.geomspace(widths[0], widths[-1], count)
    else:
        targets = [found.threshold / 4, found.threshold / 2, found.threshold, found.threshold * 2,
                   widths[-1]]
    chosen = [int(widths[np.argmin(np.abs(np.log(widths) - np.log(t)))]) for t in targets]
    return sorted(dict.fromkeys(chosen))


def epoch_errors(study: StudyResults, widths: list[int]) -> pd.DataFrame:
    """Curves of the finished runs at ``widths``, epochs after 0, with test_error and train_error."""
    curves = study.curves_of_ok_runs(("width", "seed"))
    curves = curves[curves["width"].isin(widths) & (curves["epoch"] > 0)]
    return curves.assign(test_error=1 - curves["val_acc"], train_error=1 - curves["train_acc"])


ERROR_SPLITS = {"test_error": "test error (clean labels)",
                "train_error": "training error (noisy labels)"}


def width_chart(study: StudyResults) -> Chart:
    """The interactive companion of ``width_figure``: final error against width, a line per split."""
    long = plotting.split_frame(errors(study), ERROR_SPLITS, ["run_id", "width", "seed"])
    return curve_chart(long, "width", "final error", x_title="hidden width w", hue="split",
                       log_x=True, title="Double descent in width: final error")


def epoch_chart(study: StudyResults) -> Chart:
    """The interactive companion of ``epoch_figure``: error against epoch, a line per width
    (solid: test, dashed: training), both with their bands."""
    long = plotting.split_frame(epoch_errors(study, epoch_widths(study)), ERROR_SPLITS,
                                ["run_id", "epoch", "width", "seed"])
    return curve_chart(long, "epoch", "error", hue="width", label=lambda width: f"width {width}",
                       style="split", log_x=True, title="Double descent over training")


def epoch_figure(study: StudyResults, path: Path) -> list[str]:
    """Test error (solid) and training error (dashed) against epoch (log x) for a few widths:
    mean over seeds, band 95% bootstrap CI of the test error (epoch-wise double descent)."""
    widths = epoch_widths(study)
    curves = epoch_errors(study, widths)
    colors = plotting.level_colors(widths)
    fig, ax = plotting.plt.subplots(figsize=(9.5, 5.2), layout="constrained")
    plotting.mean_lines(ax, curves, "epoch", "test_error", "width", colors, lambda w: f"width {w}")
    train = curves.groupby(["width", "epoch"])["train_error"].mean().reset_index()
    for width, color in colors.items():
        rows = train[train["width"] == width]
        ax.plot(rows["epoch"], rows["train_error"], color=color, linestyle="--", linewidth=1)
    ax.plot([], [], color="grey", linestyle="--", linewidth=1, label="training error (dashed)")
    ax.set_xscale("log")
    plotting.plain_log(ax.xaxis)
    ax.yaxis.set_major_formatter(plotting.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.set(xlabel="epoch (log scale)", ylabel="error", ylim=(0, None))
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, title="test error (solid)", loc="outside lower center",
               ncol=len(labels))
    found = descent(study)
    threshold = f"interpolation threshold: width {found.threshold}" if found.threshold else \
        "no width interpolates"
    fig.suptitle("Double descent over training: error against epoch for a few widths\n"
                 f"{threshold}; {plotting.seeds_note(curves.groupby('width')['seed'].nunique())}")
    plotting.save(fig, path)
    return list(curves["run_id"].unique())


def width_table(study: StudyResults) -> Table:
    frame = errors(study)
    epochs = study.ok.groupby("width")["epochs_run"].max()
    rows = [{"width": width, "seeds": group["seed"].nunique(), "epochs": int(epochs.get(width, 0)),
             "final train error (mean ± sd)": mean_sd(group["train_error"]),
             "final test error (mean ± sd)": mean_sd(group["test_error"])}
            for width, group in frame.groupby("width")]
    found = descent(study)
    return Table(f"{study.name}_errors", "Double descent: final error per width", pd.DataFrame(rows),
                 "Error = 1 - accuracy; training error on the noisy training labels, test error on "
                 f"the clean test set; mean ± sd (ddof=1) over seeds. Interpolation threshold "
                 f"(smallest width with mean training error <= {100 * INTERPOLATED_ERROR:g}%): "
                 f"{found.threshold if found.threshold is not None else 'none reached'}.")


def summary_text(found: Descent) -> str:
    """The scorecard's "ours" for the double-descent claim."""
    if found.threshold is None:
        return (f"no width reaches {100 * INTERPOLATED_ERROR:g}% training error; test error at "
                f"width {found.widest}: {100 * found.widest_error:.1f}%")
    return (f"threshold width {found.threshold}; highest test error within {NEAR_THRESHOLD:g}x of it "
            f"{100 * found.peak_error:.1f}% at width {found.peak_width} (lowest before it "
            f"{number(100 * found.valley_error, 3)}%); test error at width {found.widest} "
            f"{100 * found.widest_error:.1f}% (mean over seeds; at least {found.seeds} per width)")


def section(b) -> None:
    name = b.study.name
    b.figure(f"{name}_width.png", "Final training and test error against width, the "
             "interpolation threshold marked.", lambda p: width_figure(b.study, p),
             lambda: width_chart(b.study))
    if b.has("curves", "error-against-epoch figure"):
        b.figure(f"{name}_epochs.png", "Test and training error against epoch for a few widths.",
                 lambda p: epoch_figure(b.study, p), lambda: epoch_chart(b.study))
    b.table("errors per width", lambda: width_table(b.study))


def double_descent_peaks(study: StudyResults | None) -> Claim:
    """Whatever the curve does is reported; the claim holds only for a peak near the
    interpolation threshold standing above both the valley before it and the widest net."""
    claim = (f"double descent: test error peaks near the interpolation threshold (within "
             f"{NEAR_THRESHOLD:g}x of its width) and falls again beyond it (both by "
             f"at least {100 * MARGIN:g} points)")
    published = "peak at the interpolation threshold, lower again for wider nets"
    if study is None:
        return no_data(claim, published)
    try:
        found = descent(study)
    except ValueError:
        return no_data(claim, published)
    return Claim(claim, published, summary_text(found), verdict(found.holds))


CLAIMS = (Check("double-descent-peak", double_descent_peaks),)
