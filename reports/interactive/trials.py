"""A searched study's trials as interactive charts: the objective against each nuisance (hover
names the trial), and the parallel coordinates of every trial, brushable on each axis.

Input is ``experiments.search.study.trials_frame``: one row per trial with point (the grid point's
label), trial, run_id, status, value (the objective; NaN unless ok) and one column per nuisance.

Parallel coordinates are drawn as Vega-Lite has no such mark: one panel per gap between two axes,
each trial a segment from its place on the left axis to its place on the right one, the panels
side by side with no space between, so the segments join into one line per trial. Every axis is
scaled to 0..1 (log where its range is log, the objective log when it spans more than
``LOG_SPAN``; diverged trials above the top, dashed), and labelled in its own units. Dragging
along an axis brushes it; a trial stays coloured while it is inside every brush.
"""
from __future__ import annotations

import functools
import math
import operator

import altair as alt
import numpy as np
import pandas as pd

from .curves import Chart, with_data

LOG_SPAN = 30.0
DIVERGED = 1.08            # where a diverged trial meets the objective's axis (above the top)
GAP_WIDTH, HEIGHT = 210, 280
OBJECTIVE = "objective"


def _axis(values: pd.Series, nuisance=None) -> dict:
    """How one axis maps its values to 0..1: kind (log, linear or choice), low, high, choices."""
    if nuisance is not None and nuisance.kind == "choice":
        return {"kind": "choice", "choices": [str(c) for c in nuisance.choices]}
    if nuisance is not None:
        return {"kind": "log" if nuisance.kind == "log" else "linear",
                "low": float(nuisance.low), "high": float(nuisance.high)}
    finite = values[np.isfinite(values)].astype(float)
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    log = low > 0 and high / low > LOG_SPAN
    return {"kind": "log" if log else "linear", "low": low, "high": high if high > low else low + 1}


def _scaled(values: pd.Series, axis: dict) -> pd.Series:
    """``values`` on 0..1 by ``axis``; a value it cannot place (diverged) at DIVERGED."""
    if axis["kind"] == "choice":
        index = {c: i for i, c in enumerate(axis["choices"])}
        scaled = values.map(lambda v: index.get(str(v), np.nan)) / max(1, len(index) - 1)
    elif axis["kind"] == "log":
        low, high = math.log10(axis["low"]), math.log10(axis["high"])
        scaled = (np.log10(values.astype(float).where(values > 0)) - low) / (high - low)
    else:
        scaled = (values.astype(float) - axis["low"]) / (axis["high"] - axis["low"])
    return scaled.where(np.isfinite(scaled), DIVERGED).round(4)


def _label_expression(axis: dict) -> str:
    """Vega expression turning an axis position (datum.value, 0..1) back into its units."""
    if axis["kind"] == "choice":
        names = ",".join(f"'{c}'" for c in axis["choices"])
        return f"[{names}][round(datum.value * {max(1, len(axis['choices']) - 1)})]"
    if axis["kind"] == "log":
        low, high = math.log10(axis["low"]), math.log10(axis["high"])
        value = f"pow(10, {low} + datum.value * {high - low})"
    else:
        value = f"{axis['low']} + datum.value * {axis['high'] - axis['low']}"
    return f"datum.value > 1.04 ? 'diverged' : format({value}, '.3~g')"


def _tick_values(axis: dict, diverged: bool) -> list[float]:
    """Axis positions to label: each choice; the ends and, on a log axis, every power of ten."""
    if axis["kind"] == "choice":
        k = len(axis["choices"])
        return [i / max(1, k - 1) for i in range(k)]
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    if axis["kind"] == "log":
        low, high = math.log10(axis["low"]), math.log10(axis["high"])
        decades = range(math.ceil(low), math.floor(high) + 1)
        ticks = sorted({0.0, 1.0, *[(d - low) / (high - low) for d in decades]})
    return ticks + ([DIVERGED] if diverged else [])


def _outcome_legend(frame: pd.DataFrame):
    """A legend for finished and diverged trials only when some trial diverged."""
    return alt.Legend() if (frame["outcome"] == "diverged").any() else None


def _wide(trials: pd.DataFrame, dims: list[tuple[str, str, dict]]) -> pd.DataFrame:
    """One row per trial: its label, point, status, the raw values and each axis's position."""
    frame = trials.assign(trial_id=trials["point"].astype(str) + " #" + trials["trial"].astype(str),
                          outcome=np.where(trials["status"] == "ok", "finished", "diverged"),
                          **{OBJECTIVE: trials["value"].astype(float)})
    for k, (key, _, axis) in enumerate(dims):
        frame[f"n{k}"] = _scaled(frame[key], axis)
    keep = ["trial_id", "point", "trial", "status", "outcome", *[d[0] for d in dims],
            *[f"n{k}" for k in range(len(dims))]]
    return frame[list(dict.fromkeys(keep))]  # NaN and inf: null on the page (``embed``)


def _segments(base: alt.Chart, k: int) -> alt.Chart:
    """Each trial as the segment from axis k (x = 0) to axis k + 1 (x = 1)."""
    return (base.transform_calculate(left=f"datum.n{k}", right=f"datum.n{k + 1}")
            .transform_fold(["left", "right"], as_=["end", "position"])
            .transform_calculate(x="datum.end === 'left' ? 0 : 1"))


def _gap(wide: pd.DataFrame, k: int, dims, brushes, tooltip) -> alt.LayerChart:
    """The panel between axis k and axis k + 1: grey segments of every trial, coloured ones of
    the trials inside every brush, and axis k with its brush."""
    y = alt.Y("position:Q", scale=alt.Scale(domain=[0, DIVERGED + 0.02]), axis=None)
    x = alt.X("x:Q", scale=alt.Scale(domain=[0, 1]), axis=None)
    base = alt.Chart(alt.NamedData(name="trials"))
    grey = _segments(base, k).mark_line(color="#d8d8d8", strokeWidth=1).encode(
        x, y, detail="trial_id:N")
    selected = base.transform_filter(functools.reduce(operator.and_, brushes))  # empty: all in
    coloured = _segments(selected, k).mark_line(strokeWidth=1.6).encode(
        x, y, detail="trial_id:N", color=alt.Color("point:N", title="grid point"),
        strokeDash=alt.StrokeDash("outcome:N", title=None, legend=_outcome_legend(wide),
                                  scale=alt.Scale(domain=["finished", "diverged"],
                                                  range=[[1, 0], [4, 3]])),
        tooltip=tooltip)
    return alt.layer(grey.properties(name=f"p{k}_grey"), coloured.properties(name=f"p{k}_lines"),
                     _axis_layer(wide, k, dims, brushes[k])).resolve_scale(y="independent").properties(
        width=GAP_WIDTH, height=HEIGHT, title=alt.TitleParams(dims[k][1], anchor="start"))


def _axis_layer(wide: pd.DataFrame, k: int, dims, brush) -> alt.Chart:
    """Axis k: a tick per trial at x = 0, its labels in the axis's own units (right of the last
    axis, left of the others), and its brush."""
    key, _, axis = dims[k]
    diverged = bool((wide[f"n{k}"] >= DIVERGED).any())
    return alt.Chart(alt.NamedData(name="trials")).mark_tick(orient="horizontal", color="#555", size=10).encode(
        x=alt.X("zero:Q", scale=alt.Scale(domain=[0, 1]), axis=None),
        y=alt.Y(f"n{k}:Q", scale=alt.Scale(domain=[0, DIVERGED + 0.02]), title=None,
                axis=alt.Axis(values=_tick_values(axis, diverged), labelExpr=_label_expression(axis),
                              grid=False, orient="right" if k == len(dims) - 1 else "left"))).transform_calculate(zero="0").add_params(
        brush).properties(name=f"p{k}_axis")


def parallel_coordinates(trials: pd.DataFrame, nuisances, objective: str,
                         lower_is_better: bool) -> Chart:
    """One line per trial across an axis per nuisance and the objective last, a colour per grid
    point, diverged trials dashed and above the objective's top; each axis brushable."""
    dims = [(n.key, f"{n.key} ({n.kind})", _axis(trials[n.key], n)) for n in nuisances]
    direction = "lower is better" if lower_is_better else "higher is better"
    dims.append((OBJECTIVE, f"{objective} ({direction})", _axis(trials["value"].astype(float))))
    wide = _wide(trials, dims)
    brushes = [alt.selection_interval(name=f"axis{k}", encodings=["y"]) for k in range(len(dims))]
    tooltip = [alt.Tooltip("point:N", title="grid point"), alt.Tooltip("trial:Q"),
               alt.Tooltip("status:N"), *[alt.Tooltip(f"{key}:{'N' if axis['kind'] == 'choice' else 'Q'}",
                                                      format="" if axis["kind"] == "choice" else ".4g")
                                          for key, _, axis in dims]]
    panels = [_gap(wide, k, dims, brushes, tooltip) for k in range(len(dims) - 1)]
    last = alt.layer(_axis_layer(wide, len(dims) - 1, dims, brushes[-1])).properties(
        width=1, height=HEIGHT, title=alt.TitleParams(dims[-1][1], anchor="start"))
    chart = alt.hconcat(*panels, last, spacing=0).properties(
        title=alt.TitleParams("Every trial: drag along an axis to brush it", anchor="start"))
    spec = chart.configure_view(stroke=None).to_dict(validate=False)
    layers = [layer["name"] for panel in spec["hconcat"] for layer in panel["layer"]]
    for param in spec["params"]:  # each brush listens on its own axis only (Altair lists them all)
        param["views"] = [name for name in layers if name.startswith(f"p{param['name'][4:]}_axis")]
    spec["datasets"] = with_data({"trials": wide})
    return Chart(spec, f"{len(wide)} trials, one line each")


def axis_chart(trials: pd.DataFrame, nuisances, objective: str, lower_is_better: bool) -> Chart:
    """The objective against each nuisance, a panel each (log x for a log range), one point per
    trial coloured by grid point; hover names the trial; a click on the legend isolates a grid
    point; diverged trials as crosses along the top."""
    finite = trials["value"].astype(float)
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if len(finite) else 1.0
    frame = trials.assign(shown=trials["value"].astype(float).where(np.isfinite(trials["value"]), top),
                          outcome=np.where(trials["status"] == "ok", "finished", "diverged"))
    log_y = len(finite) > 0 and finite.min() > 0 and finite.max() / finite.min() > LOG_SPAN
    pick = alt.selection_point(name="pick", fields=["point"], bind="legend")
    direction = "lower is better" if lower_is_better else "higher is better"
    panels = []
    for i, nuisance in enumerate(nuisances):
        x = (alt.X(f"{nuisance.key}:N", title=f"{nuisance.key} (choice)") if nuisance.kind == "choice"
             else alt.X(f"{nuisance.key}:Q", title=f"{nuisance.key} ({nuisance.kind})",
                        scale=alt.Scale(type="log" if nuisance.kind == "log" else "linear",
                                        domain=[nuisance.low, nuisance.high])))
        panels.append(alt.Chart(alt.NamedData(name="trials")).transform_filter(f"isValid(datum['{nuisance.key}'])")
                      .mark_point(size=55, filled=True).encode(
            x, alt.Y("shown:Q", title=f"{objective} ({direction})",
                     scale=alt.Scale(type="log") if log_y else alt.Scale(type="linear", zero=False)),
            color=alt.Color("point:N", title="grid point"),
            shape=alt.Shape("outcome:N", title=None, legend=_outcome_legend(frame),
                            scale=alt.Scale(domain=["finished", "diverged"], range=["circle", "cross"])),
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.1)),
            tooltip=[alt.Tooltip("point:N", title="grid point"), alt.Tooltip("trial:Q"),
                     alt.Tooltip("status:N"), alt.Tooltip("value:Q", title=objective, format=".4g"),
                     *[alt.Tooltip(f"{n.key}:{'N' if n.kind == 'choice' else 'Q'}") for n in nuisances]],
        ).properties(width=280, height=220, name=f"p{i}_trials"))
    spec = alt.concat(*panels, columns=3).properties(title=alt.TitleParams(
        "The objective against each nuisance, one point per trial", anchor="start")
    ).to_dict(validate=False)
    spec["datasets"] = with_data({"trials": frame})
    spec["params"] = [{**pick.param.to_dict(),
                       "views": [layer for panel in spec["concat"] for layer in [panel["name"]]]}]
    return Chart(spec)
