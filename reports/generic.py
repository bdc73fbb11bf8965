"""The section any study gets, shipped or not: what its grid varies, curves faceted by it, and a
table of final and best metrics per configuration.

The factors are the configuration columns of ``runs`` that differ between finished runs (width
and depth rather than the hidden sizes they spell), in the spec's order. Up to two become panel
columns and rows (the spec's ``[report] facet`` chooses), the rest colour the lines. ``x`` is the
epoch (curves) or a factor (final values against it); ``metric`` picks the curves to draw.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.config import FIELDS

from . import cost, plotting
from .interactive.curves import curve_chart
from .data import StudyResults, metric_value
from .tables import Table, number, summary_table

# seed: replicates; sizes: below; stage and trial: a searched study's bookkeeping (see retrains_only)
NOT_FACTORS = ("task", "seed", "layer_sizes", "snapshot_epochs", "stage", "trial")
SHAPE_COLUMNS = ("width", "depth")  # the runs columns that spell hidden's sizes more readably
MAX_PANELS_PER_AXIS = 6  # a factor with more values colours lines instead of making panels
# metric -> {curve column: split name}; the final value of curve column c is runs column final_c.
METRIC_CURVES = {
    "loss": {"train_loss": "training", "val_loss": "validation"},
    "acc": {"train_acc": "training", "val_acc": "validation"},
    **{f"{split}_{kind}": {f"{split}_{kind}": name} for kind in ("loss", "acc")
       for split, name in (("train", "training"), ("val", "validation"))},
}
CONFIGURATION = "configuration"  # the hue column when several factors colour the lines


def _text_if_unhashable(column: pd.Series) -> pd.Series:
    """A list-valued configuration column (e.g. ``activation_stats_epochs``) as text, so that it
    can group runs like any other factor."""
    if column.map(lambda value: isinstance(value, (list, tuple, np.ndarray))).any():
        return column.map(lambda value: ", ".join(map(str, value))
                          if isinstance(value, (list, tuple, np.ndarray)) else str(value))
    return column


def factor_frame(study: StudyResults, varying: list[str]) -> StudyResults:
    """``study`` with its varying factors' list values spelled as text (groupable)."""
    runs = study.runs.assign(**{key: _text_if_unhashable(study.runs[key]) for key in varying
                                if key in study.runs})
    return replace(study, runs=runs)


def factors(study: StudyResults) -> list[str]:
    """The ``runs`` columns that vary between the study's finished configurations: every
    configuration field (``experiments.config.FIELDS``) the runs table stores, and width, depth
    and hidden; a field that varies is a factor, never averaged over as if it were a seed."""
    runs = study.ok
    candidates = [key for key in FIELDS if key not in NOT_FACTORS] + [*SHAPE_COLUMNS, "hidden"]
    varying = [key for key in candidates if key in runs and runs[key].astype(str).nunique() > 1]
    if "hidden" in varying:
        spelled = [key for key in SHAPE_COLUMNS if key in varying]
        if spelled and runs.groupby(spelled).ngroups == runs["hidden"].nunique():
            varying.remove("hidden")  # width (or depth) says the same, as a number
        else:
            varying = [key for key in varying if key not in SHAPE_COLUMNS]
    if study.spec is not None:  # the spec's own order: grid keys as written
        written = list(dict.fromkeys(key for run in study.spec.runs for key in run.point))
        varying.sort(key=lambda key: written.index(key) if key in written else len(written))
    return varying


@dataclass
class Layout:
    """Which factor goes where in a figure; ``hue`` lists the factors that colour the lines."""

    x: str
    cols: str | None
    rows: str | None
    hue: list[str]


def independent(runs: pd.DataFrame, keys: list[str]) -> list[str]:
    """``keys`` less those whose value the earlier ones already fix (a study of several tasks:
    each dataset has its own loss, lr and width), so that figures draw one line per
    configuration rather than empty panels and one-line colours; the table keeps them all."""
    kept: list[str] = []
    for key in keys:
        if not kept or (runs[kept].astype(str).assign(value=runs[key].astype(str))
                        .groupby(kept)["value"].nunique().max() > 1):
            kept.append(key)
    return kept


def layout(study: StudyResults, varying: list[str]) -> Layout:
    """x from ``[report] x`` (default epoch); facets from ``[report] facet``, else the first two
    factors with at most MAX_PANELS_PER_AXIS values; every other factor is hue. Without a
    ``[report] facet``, a factor that the earlier ones fix is left out of the figure."""
    options = study.report_options
    x = options.get("x", "epoch")
    rest = [key for key in varying if key != x]
    if "facet" in options:
        facets = [key for key in options["facet"] if key in rest]
    else:
        rest = independent(study.ok, rest)
        facets = [key for key in rest if study.ok[key].astype(str).nunique() <= MAX_PANELS_PER_AXIS][:2]
    facets += [None] * (2 - len(facets))
    return Layout(x=x, cols=facets[0], rows=facets[1],
                  hue=[key for key in rest if key not in facets])


def is_classifier(study: StudyResults) -> bool:
    return bool(study.ok["final_train_acc"].notna().any())


def metrics_to_draw(study: StudyResults) -> list[str]:
    """The spec's ``[report] metric``, else loss, and accuracy for classifiers."""
    if "metric" in study.report_options:
        return [study.report_options["metric"]]
    return ["loss", "acc"] if is_classifier(study) else ["loss"]


def _value_text(value) -> str:
    return number(value, 4) if isinstance(value, (float, np.floating)) else str(value)


def _with_hue(frame: pd.DataFrame, hue: list[str]) -> tuple[pd.DataFrame, str | None]:
    """The frame with one hue column: the factor itself, or ``configuration`` naming several,
    ordered by the factors' values."""
    if not hue:
        return frame, None
    if len(hue) == 1:
        return frame, hue[0]
    keys = frame[hue].apply(tuple, axis=1)
    labels = keys.map(lambda values: ", ".join(f"{k}={_value_text(v)}" for k, v in zip(hue, values)))
    order = [labels[keys == key].iloc[0] for key in sorted(keys.unique())]
    return frame.assign(**{CONFIGURATION: pd.Categorical(labels, categories=order)}), CONFIGURATION


def figure_name(study: StudyResults, metric: str, x: str) -> str:
    return (f"{study.name}_{metric}_curves.png" if x == "epoch"
            else f"{study.name}_final_{metric}_by_{x}.png")


@dataclass
class Curves:
    """What a curve figure draws: ``long`` (run_id, seed, x, the factors, split, value), the
    column that colours the lines, and its axes."""

    long: pd.DataFrame
    hue: str | None
    log_x: bool
    loss: bool


def curves_to_draw(study: StudyResults, metric: str, where: Layout) -> Curves:
    """``metric``'s training and validation values (as ``METRIC_CURVES`` names them) against
    ``where.x``: per epoch from ``curves``, or the final values against a factor."""
    factor_columns = [key for key in (where.cols, where.rows, *where.hue) if key]
    curve_columns = METRIC_CURVES[metric]
    if where.x == "epoch":
        frame = plotting.thinned(study.curves_of_ok_runs(("seed", *factor_columns)))
        columns = curve_columns
    else:
        frame = study.ok
        columns = {f"final_{column}": name for column, name in curve_columns.items()}
        factor_columns.append(where.x)
    long = plotting.split_frame(frame, columns, ["run_id", "seed", where.x, *factor_columns])
    if long.empty:
        raise ValueError(f"no finite {metric} values to draw")
    long, hue = _with_hue(long, where.hue)
    x_values = long[where.x] if where.x != "epoch" else None
    log_x = bool(x_values is not None and pd.api.types.is_numeric_dtype(x_values)
                 and x_values.min() > 0 and x_values.max() / x_values.min() >= 20)
    return Curves(long, hue, log_x, metric.endswith("loss"))


def _panel_title(where: Layout, metric: str):
    return lambda col, row: ", ".join(
        f"{key} = {_value_text(level)}" for key, level in ((where.cols, col), (where.rows, row))
        if key) or ("final " if where.x != "epoch" else "") + metric.replace("_", " ")


def _panels_run(study: StudyResults, where: Layout) -> set[tuple] | None:
    """The (cols value, rows value) pairs of every stored run, finished or not (None for a key
    the layout has not), so that a panel without a finished run can say whether any ran."""
    keys = [key for key in (where.cols, where.rows) if key]
    if not keys or any(key not in study.runs for key in keys):
        return None
    pairs = study.runs[keys].drop_duplicates().itertuples(index=False, name=None)
    return {(pair[0], pair[1] if where.rows else None) for pair in pairs}


def draw(study: StudyResults, path: Path, metric: str, where: Layout,
         labels: dict | None = None) -> list[str]:
    """The curve figure of ``metric`` (``curves_to_draw``); ``labels`` (factor -> label(value))
    names the lines of a factor that colours them. Returns the run ids drawn."""
    found = curves_to_draw(study, metric, where)
    long, hue, loss, log_x = found.long, found.hue, found.loss, found.log_x
    panels = max(1, long[where.cols].nunique() if where.cols else 1)
    fig, axes = plotting.facet_lines(
        long, where.x, "value", cols=where.cols, rows=where.rows, hue=hue,
        style="split", log_y=loss, log_x=log_x, marker=None if where.x == "epoch" else "o",
        hue_label=(labels or {}).get(hue, _value_text),
        xlabel=where.x + (" (log scale)" if log_x else ""),
        ylabel=(f"{plotting.loss_name(study)} (log scale)" if loss else "accuracy"),
        panel_title=_panel_title(where, metric),
        panel_size=(6.2, 4.4) if panels <= 2 else (4.4, 3.4), ran=_panels_run(study, where))
    if not loss:
        for ax in np.ravel(axes):
            ax.set_ylim(0, 1.02)
    splits = list(long["split"].cat.categories)
    styles = (", ".join(f"{style}: {split}" for style, split in zip(("solid", "dashed"), splits))
              if len(splits) > 1 else str(splits[0]))
    lines = [where.cols, where.rows, hue, None if where.x == "epoch" else where.x]
    # three short lines: one narrow panel leaves a long title no room beside the legend
    fig.suptitle(f"{study.name}: {'loss' if loss else 'accuracy'} against {where.x}\n({styles})\n"
                 f"{plotting.seeds_note(plotting.seeds_per_line(long, lines))}")
    plotting.save(fig, path)
    return list(long["run_id"].unique())


def chart(study: StudyResults, metric: str, where: Layout, labels: dict | None = None):
    """The interactive companion of ``draw``'s figure (``reports.interactive.curves``)."""
    found = curves_to_draw(study, metric, where)
    if not pd.api.types.is_numeric_dtype(found.long[where.x]):
        return None  # a categorical x (an optimizer's name) has no range to brush or zoom
    return curve_chart(
        found.long, where.x, f"{plotting.loss_name(study)}" if found.loss else "accuracy",
        cols=where.cols, rows=where.rows, hue=found.hue, style="split",
        label=(labels or {}).get(found.hue, _value_text), log_x=found.log_x, log_y=found.loss,
        title=f"{study.name}: {'loss' if found.loss else 'accuracy'} against {where.x}")


def _best_accuracy(study: StudyResults) -> pd.Series:
    """Per run id, the highest validation accuracy over its epochs (NaN without curves)."""
    if study.curves is None or "val_acc" not in study.curves:
        return pd.Series(dtype=float)
    return study.curves.groupby("run_id")["val_acc"].max()


def metrics_table(study: StudyResults, varying: list[str]) -> Table:
    """Final and best metrics per configuration: mean ± sd over the seeds that finished."""
    columns = {"final_train_loss": "final train loss", "final_val_loss": "final val loss",
               "best_val_loss": "best val loss"}
    runs = study.runs
    if is_classifier(study):
        runs = runs.assign(best_val_acc=runs["run_id"].map(_best_accuracy(study)))
        columns.update({"final_train_acc": "final train acc", "final_val_acc": "final val acc",
                        "best_val_acc": "best val acc"})
    table = summary_table(replace(study, runs=runs), varying,
                          f"{study.name}: final and best metrics per configuration", columns)
    classes = study.ok["metrics"].map(_classes).dropna()
    if len(classes):
        table.caption += " Classes (output order): " + classes.iloc[0] + "."
    return table


def _classes(text) -> str | None:
    found = metric_value(text, "classes")
    return ", ".join(f"{i} = {label}" for i, label in enumerate(found)) if found else None


def _caption(metric: str, where: Layout) -> str:
    caption = (f"{metric.replace('_', ' ')} against {where.x}"
               + (f", a panel per {' and '.join(k for k in (where.cols, where.rows) if k)}"
                  if where.cols else "")
               + (f", a colour per {', '.join(where.hue)}" if where.hue else "") + ".")
    return caption[0].upper() + caption[1:]


def retrains_only(study: StudyResults) -> StudyResults:
    """A searched study's retrain runs (each grid point's best trial on its seeds), the result its
    curves and table should show; its search trials, each at other nuisance values, are drawn by
    the search section. Any other study as it is."""
    runs = study.runs
    if "stage" not in runs or not (runs["stage"] == "retrain").any():
        return study
    return replace(study, runs=runs[runs["stage"] == "retrain"])


def section(b) -> None:
    """Curves faceted by what the grid varies, and final and best metrics per configuration;
    ``b`` is a ``reports.sections.SectionBuilder``. A searched study shows its retrains."""
    searched = retrains_only(b.study)
    if searched is not b.study:
        b.section.description += (" The curves and the table of this section show each grid point's "
                                  "best trial retrained on its seeds; the search's trials are in the "
                                  "search figures.")
    varying = b.attempt("the varying factors", lambda: factors(searched)) or []
    study = factor_frame(searched, varying)
    where = layout(study, varying)
    if where.x != "epoch" or b.has("curves", "curve figures"):
        for metric in metrics_to_draw(study):
            b.figure(figure_name(study, metric, where.x), _caption(metric, where),
                     lambda p, metric=metric: draw(study, p, metric, where, b.labels),
                     lambda metric=metric: chart(study, metric, where, b.labels))
    if where.x == "epoch" and study.curves is not None and cost.timed(study.curves):
        by = where.cols or (where.hue[0] if len(where.hue) == 1 else None)
        b.figure(f"{study.name}_loss_vs_seconds.png", "Loss against training seconds"
                 + (f", a line per {by}." if by else "."),
                 lambda p: cost.loss_against_seconds(study, p, by, b.labels.get(by, str),
                                                     f"{study.name}: loss against training time"),
                 lambda: cost.seconds_chart(study, by, b.labels.get(by, str),
                                                  f"{study.name}: loss against training time"))
    b.table("metrics", lambda: metrics_table(study, varying))
