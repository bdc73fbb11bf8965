"""The plotting kit every section draws with: facets, seed bands, palettes, log axes, saving.

Figures are files only (the Agg backend). A figure function writes one PNG and returns the run
ids it drew; the study sections in ``reports.studies`` build theirs from these pieces.

Seeds are replicates: every line that summarises seeds is their mean with a 95% percentile
bootstrap band (``experiments.stats``, seeded so that rebuilding a report redraws the same bands).
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window, also on machines without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import (Formatter, FuncFormatter, Locator, LogFormatter, MaxNLocator,  # noqa: E402,F401
                               NullFormatter, PercentFormatter)

from experiments.stats import mean_intervals  # noqa: E402

from .data import StudyResults  # noqa: E402
from .interactive.curves import Chart, curve_chart  # noqa: E402

DPI = 110
SPLITS = (("train_loss", "training"), ("val_loss", "validation"))
sns.set_theme(style="whitegrid", context="notebook")


# A line of more points than its panel is pixels wide looks the same drawn at every k-th point:
# a run's curve of more evaluated epochs than this (XOR's 10,001) is drawn at every k-th, its
# first and last kept (against epoch and against seconds), which also keeps the bands'
# bootstraps (one per point and line) small.
MAX_POINTS_PER_LINE = 500


def thinned(curves: pd.DataFrame) -> pd.DataFrame:
    """``curves`` (one row per run and evaluated epoch) with at most ``MAX_POINTS_PER_LINE`` rows
    per run, evenly spaced among its own evaluated epochs."""
    curves = curves.sort_values(["run_id", "epoch"], kind="stable")
    runs = curves.groupby("run_id", sort=False)["epoch"]
    position, count = runs.cumcount(), runs.transform("size")
    step = -(-count // MAX_POINTS_PER_LINE)
    return curves[(position % step == 0) | (position == count - 1)]


def save(fig, path: Path) -> None:
    """Write ``fig`` as a PNG at ``DPI`` and close it. A figure laid out by its layout engine
    (``layout="constrained"``: most of them) is saved as it is; another is cropped to what it
    draws (``bbox_inches="tight"``), which lays it out and draws it once more, unrendered: about
    3 s of a fresh report's 21 s build when every figure paid it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for ax in fig.axes:
        if ax.name == "rectilinear":
            for axis in (ax.xaxis, ax.yaxis):
                _keep_labelled_minor_ticks(axis)
    fig.savefig(path, dpi=DPI, bbox_inches=None if fig.get_layout_engine() is not None else "tight")
    plt.close(fig)


def legend_outside(fig, axes, title: str | None, loc: str = "outside right upper",
                   columns: int = 1) -> None:
    """One legend, gathered from ``axes`` (an Axes, a list or an array; a label that panels
    repeat once), outside the axes where it can hide no data."""
    entries = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if entries:
        fig.legend(list(entries.values()), list(entries), title=title, loc=loc, ncol=columns)


def loss_name(study: StudyResults) -> str:
    return "/".join(sorted(n.upper() if n in ("mse", "sse") else n.replace("_", " ")
                           for n in study.ok["loss"].unique()))


# Which minor ticks (by their leading digit) a log axis labels, by how many decades it spans: few
# enough that the labels never run into each other on a panel 4-6 inches wide.
MINOR_LABELS = ((0.6, {2, 3, 4, 5, 6, 7, 8, 9}), (1.2, {2, 5}), (2.5, {3}))


class _PlainLogFormatter(Formatter):
    """Log-axis labels as 0.3, 1, 1e-05 rather than 3x10^-1, 10^0. Major ticks (decades) are all
    labelled; minor ones by ``MINOR_LABELS``, none beyond 2.5 decades."""

    def __init__(self, minor: bool):
        self.minor = minor
        self.shown: set[int] | None = None  # the minor digits labelled, from the view at set_locs

    def set_locs(self, locs) -> None:
        self.shown = self._shown() if self.minor else None

    def __call__(self, value, pos=None):
        if not math.isfinite(value) or value <= 0:  # an axis reaching ~1e308 overflows its ticks
            return ""
        if self.minor:
            shown = self._shown() if self.shown is None else self.shown
            if round(value / 10 ** math.floor(math.log10(value) + 1e-9)) not in shown:
                return ""
        return f"{value:g}"

    def _shown(self) -> set[int]:
        low, high = sorted(self.axis.get_view_interval())
        if low <= 0:
            return set()
        span = math.log10(high / low)
        return next((digits for limit, digits in MINOR_LABELS if span <= limit), set())


def plain_log(axis) -> None:
    axis.set_major_formatter(_PlainLogFormatter(minor=False))
    axis.set_minor_formatter(_PlainLogFormatter(minor=True))


def plain_numbers(axis) -> None:
    """Only the given ticks (e.g. the widths run), as 10, 50, 200; no minor labels."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


class _LabelledOnly(Locator):
    """The ticks of ``locator`` that ``formatter`` gives a label."""

    def __init__(self, locator: Locator, formatter: Formatter):
        self.locator, self.formatter = locator, formatter

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.locator.set_axis(axis)

    def tick_values(self, vmin: float, vmax: float):
        return self.locator.tick_values(vmin, vmax)

    def __call__(self) -> list[float]:
        locs = self.locator()
        self.formatter.set_locs(locs)
        return [loc for pos, loc in enumerate(locs) if self.formatter(loc, pos)]


# Minor formatters whose labels depend on a tick's value and the view alone, not on which other
# ticks there are: dropping their unlabelled ticks leaves every other label as it was.
VALUE_ONLY_FORMATTERS = (NullFormatter, LogFormatter, _PlainLogFormatter)


def _keep_labelled_minor_ticks(axis) -> None:
    """Drop ``axis``'s minor ticks that would draw nothing: no label, and (the theme's ticks are
    off, its grid major only) no mark or grid line. matplotlib makes and lays out every tick it
    is given, twice per figure with a layout engine: a log axis's 8 minor ticks a decade were
    ~40% of drawing the loss-against-seconds figure. Figures are drawn pixel for pixel as before
    (tests/test_reports_generic.py)."""
    formatter, locator = axis.get_minor_formatter(), axis.get_minor_locator()
    if isinstance(locator, _LabelledOnly) or not isinstance(formatter, VALUE_ONLY_FORMATTERS):
        return
    tick = axis.minorTicks[0]
    if tick.tick1line.get_visible() or tick.tick2line.get_visible() or tick.gridline.get_visible():
        return
    axis.set_minor_locator(_LabelledOnly(locator, formatter))


def seeds_count(per_line: pd.Series) -> str:
    """The seeds behind each line, as 5 or 4–5 (runs that did not finish are missing)."""
    low, high = int(per_line.min()), int(per_line.max())
    return str(low) if low == high else f"{low}–{high}"


def seeds_note(per_line: pd.Series) -> str:
    if per_line.max() < 2:
        return "single seed: no interval"
    return f"mean over {seeds_count(per_line)} seeds, band: 95% bootstrap CI"


def level_colors(levels, palette: str = "viridis") -> dict:
    """A colour per level: viridis for ordered levels (widths, depths), a qualitative palette
    such as tab10 for unordered ones (optimizers)."""
    return dict(zip(levels, sns.color_palette(palette, len(levels))))


def levels(frame: pd.DataFrame, column: str | None) -> list:
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


def _panel_lines(ax, panel: pd.DataFrame, x: str, hue: str | None, style: str | None,
                 colors: dict, styles: dict, marker: str | None) -> None:
    """One panel: a mean line with its band per (hue, style) level present in ``panel``."""
    for hue_level, color in colors.items():
        for style_level, line_style in styles.items():
            lines = panel
            if hue:
                lines = lines[lines[hue] == hue_level]
            if style:
                lines = lines[lines[style] == style_level]
            if lines.empty:
                continue
            ax.plot(lines[x], lines["mean"], color=color, linestyle=line_style, marker=marker,
                    markersize=5)
            ax.fill_between(lines[x], lines["low"], lines["high"], color=color, alpha=0.2,
                            linewidth=0)


def _facet_legend(fig, hue: str | None, colors: dict, hue_label, styles: dict,
                  marker: str | None) -> None:
    handles, labels = [], []
    if hue:
        handles += [Line2D([], [], color=color, marker=marker) for color in colors.values()]
        labels += [hue_label(level) for level in colors]
    if len(styles) > 1:
        handles += [Line2D([], [], color="0.3", linestyle=line) for line in styles.values()]
        labels += [str(level) for level in styles]
    if handles:
        # centred: an upper legend runs into the suptitle above a single panel
        fig.legend(handles, labels, title=hue if hue else None, loc="outside right center")


def facet_lines(frame: pd.DataFrame, x: str, y: str, *, cols: str | None = None,
                rows: str | None = None, hue: str | None = None, style: str | None = None,
                hue_label=str, panel_title=None, marker: str | None = None, log_x: bool = False,
                log_y: bool = True, ylabel: str = "", xlabel: str | None = None,
                panel_size: tuple[float, float] = (6.2, 4.4), palette: str = "viridis",
                ran: set[tuple] | None = None):
    """The one faceted line figure every curve figure is built on.

    Per panel (a value of ``cols`` across, of ``rows`` down), the mean of ``y`` over seeds
    against ``x`` with its 95% bootstrap band: one colour per value of ``hue`` (named by
    ``hue_label``), one line style per value of ``style`` (e.g. training / validation). Axes
    share y. ``panel_title(col_value, row_value)`` names a panel (default ``cols = value``);
    ``palette`` colours the hue levels (viridis for ordered ones, e.g. tab10 for categories).
    A panel with nothing to draw says "no finished run", or "not run" where ``ran`` (the
    (col value, row value) pairs of every stored run, finished or not; None for a key not given)
    lacks it: a grid point the spec leaves out, not one whose runs all diverged.
    Returns ``(fig, axes)`` with axes a 2-D array (rows, cols), for callers to add to.
    """
    col_levels, row_levels = levels(frame, cols), levels(frame, rows)
    colors = level_colors(levels(frame, hue), palette) if hue else {None: "C0"}
    style_levels = levels(frame, style)
    styles = dict(zip(style_levels, STYLES * len(style_levels)))
    summary = mean_intervals(frame, [key for key in (rows, cols, hue, style) if key] + [x], y)
    width, height = panel_size
    fig, axes = plt.subplots(len(row_levels), len(col_levels), sharey=True, squeeze=False,
                             figsize=(width * len(col_levels), height * len(row_levels)),
                             layout="constrained")
    for i, row_level in enumerate(row_levels):
        for j, col_level in enumerate(col_levels):
            ax, panel = axes[i][j], summary
            for key, level in ((rows, row_level), (cols, col_level)):
                if key:
                    panel = panel[panel[key] == level]
            if panel.empty:  # not in the grid (engines: scalar only where it is quick), or every run diverged
                ax.set_axis_off()
                said = "not run" if ran is not None and (col_level, row_level) not in ran else "no finished run"
                ax.text(0.5, 0.5, said, transform=ax.transAxes, ha="center", va="center", color="0.5")
                continue
            _panel_lines(ax, panel, x, hue, style, colors, styles, marker)
            if log_x:  # log axes labelled as plain numbers; an epoch axis gets integer ticks
                ax.set_xscale("log")
                plain_log(ax.xaxis)
            elif x == "epoch":
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if log_y:
                ax.set_yscale("log")
                plain_log(ax.yaxis)
            title = (panel_title(col_level, row_level) if panel_title else
                     ", ".join(f"{key} = {level}" for key, level in ((cols, col_level),
                                                                     (rows, row_level)) if key))
            ax.set(title=title, ylabel=ylabel if j == 0 else "",
                   xlabel=(xlabel if xlabel is not None else x) if i == len(row_levels) - 1 else "")
    _facet_legend(fig, hue, colors, hue_label, styles if style else {}, marker)
    return fig, axes


def seeds_per_line(frame: pd.DataFrame, keys: list[str | None]) -> pd.Series:
    """Seeds behind each drawn line (one line per combination of the non-None ``keys``)."""
    keys = [key for key in keys if key]
    return frame.groupby(keys, observed=True)["seed"].nunique() if keys else \
        pd.Series([frame["seed"].nunique()])


def loss_frame(study: StudyResults, by: str | None) -> pd.DataFrame:
    """Long form of the ok runs' loss curves: run_id, epoch, ``by``, seed, split, loss."""
    columns = (by, "seed") if by else ("seed",)
    curves = study.curves_of_ok_runs(columns)
    return split_frame(curves, dict(SPLITS), ["run_id", "epoch", *columns], value="loss")


def loss_curves(study: StudyResults, path: Path, by: str | None, label, title: str) -> list[str]:
    """Training and validation loss against epoch (log y), a panel each, one line per value of
    ``by`` (e.g. width) named by ``label(value)``, mean over seeds with a 95% bootstrap band.
    Returns the run ids drawn."""
    long = loss_frame(study, by)
    fig, _ = facet_lines(long, "epoch", "loss", cols="split", hue=by, hue_label=label,
                         panel_title=lambda split, _: f"{split} loss",
                         ylabel=f"{loss_name(study)} (log scale)")
    fig.suptitle(f"{title}\n{seeds_note(seeds_per_line(long, [by]))}")
    save(fig, path)
    return list(long["run_id"].unique())


def loss_curves_chart(study: StudyResults, by: str | None, label, title: str) -> Chart:
    """The interactive companion of ``loss_curves``' figure (``reports.interactive.curves``)."""
    return curve_chart(loss_frame(study, by), "epoch", loss_name(study), cols="split", hue=by,
                       label=label or str, log_y=True, title=title, value="loss")


def mean_lines(ax, frame: pd.DataFrame, x: str, y: str, by: str, colors: dict, label=str,
               marker: str | None = None) -> None:
    """On one axes, a line per value of ``by`` (the keys of ``colors``): the mean of ``y`` over
    seeds at each ``x`` with its 95% bootstrap band, named ``label(value)``."""
    summary = mean_intervals(frame, [by, x], y)
    for level, color in colors.items():
        rows = summary[summary[by] == level]
        if rows.empty:
            continue
        ax.plot(rows[x], rows["mean"], color=color, marker=marker, markersize=5, label=label(level))
        ax.fill_between(rows[x], rows["low"], rows["high"], color=color, alpha=0.2, linewidth=0)
