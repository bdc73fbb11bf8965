"""A curve figure as an interactive chart: per panel (a value of the figure's facets), the mean of
each configuration over its seeds with the 95% bootstrap band, the individual seeds behind a
checkbox, and:

- hover on a point: its configuration, split, x, value and seed count (or seed, for a seed's line);
- click on a legend entry: isolate that configuration (the others fade; shift-click adds one,
  double-click anywhere restores all);
- mouse wheel: zoom; shift-drag: pan (every panel shares its axes); double-click: reset;
- drag across a panel: brush an x (epoch) range, which is drawn bold on every panel.

The spec is written as plain dicts: composing a chart of tens of layers with Altair deep-copied
every layer at each step (most of a report build's chart time).

Input is the long frame the PNG is drawn from (``reports.generic``): one row per run, x and split,
with ``value``. More than ``MAX_SEED_ROWS`` per-seed points are not embedded (the chart keeps the
means and bands, and its note says so); more than ``MAX_MEAN_ROWS`` mean points keep every k-th x.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from experiments.stats import mean_intervals

MAX_SEED_ROWS = 8_000
MAX_MEAN_ROWS = 4_000
PANEL_SIZES = {1: (560, 300), 2: (420, 260), 3: (330, 230)}  # by panels across: fits 1366 px
FADED = 0.08        # opacity of a configuration the legend did not pick
SEED_OPACITY = 0.35
# The embedded data's field names, short: a page carries tens of thousands of rows of them. Every
# chart channel gives its readable title.
SERIES, PANEL, SPLIT, X, MEAN, LOW, HIGH, VALUE = "c", "p", "s", "x", "m", "lo", "hi", "v"
MEAN_COLUMNS, SEED_COLUMNS = (X, MEAN, LOW, HIGH, "n"), (X, VALUE)  # embedded as lists per line
# Altair's default view size, which its charts carry (every panel here sets its own size).
VIEW_CONFIG = {"view": {"continuousWidth": 300, "continuousHeight": 300}}


@dataclass
class Chart:
    """A Vega-Lite spec (JSON-ready dict) and a sentence on what it shows, when it is not all."""

    spec: dict
    note: str = ""


def _significant(frame: pd.DataFrame, columns: list[str], digits: int = 5) -> pd.DataFrame:
    """Floats rounded to ``digits`` significant digits: the page carries fewer bytes per point
    (NaN stays NaN: the page writes it as null; ``or``: -0.0 as 0)."""
    return frame.assign(**{c: frame[c].astype(float).map(lambda v: float(f"{v:.{digits}g}") or 0.0)
                           for c in columns if c in frame})


def _panel_names(frame: pd.DataFrame, cols: str | None, rows: str | None) -> pd.Series:
    """``width = 10, depth = 2`` per row (one panel named "" without facets)."""
    keys = [key for key in (cols, rows) if key]
    if not keys:
        return pd.Series("", index=frame.index)
    parts = [frame[key].astype(str).map(lambda v, key=key: f"{key} = {v}") for key in keys]
    names = parts[0].str.cat(parts[1:], sep=", ") if len(parts) > 1 else parts[0]
    # in the facets' own order (width 10, 20, 100), not the names' (10, 100, 20)
    order = names[frame.sort_values(keys[::-1] if len(keys) > 1 else keys, kind="stable").index]
    return pd.Series(pd.Categorical(names, categories=list(dict.fromkeys(order))), index=frame.index)


def _thinned(frame: pd.DataFrame, x: str, points: int) -> tuple[pd.DataFrame, str]:
    """The rows at every k-th ``x`` when their ``points`` means are too many to inline (thinned
    before the bootstrap, which is then k times cheaper), and the sentence saying so."""
    if points <= MAX_MEAN_ROWS:
        return frame, ""
    values = np.sort(frame[x].unique())
    step = math.ceil(points / MAX_MEAN_ROWS)
    kept = set(values[::step]) | {values[-1]}
    return (frame[frame[x].isin(kept)],
            f"means shown at one {x} in {step} of {len(values)} ({points:,} points)")


def prepare(long: pd.DataFrame, x: str, *, cols: str | None = None, rows: str | None = None,
            hue: str | None = None, style: str | None = None, label: Callable = str,
            along: str | None = None, value: str = "value"
            ) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """(means with their band per panel, configuration, split and x; the per-seed rows or None
    when too many; the note). ``long``: run_id, seed, x, the facet and hue columns, ``style``
    (e.g. split) and ``value`` (the plotted number's column). ``along``: the column the means
    are taken at when x is a clock that differs between seeds (epoch, for x = seconds): x is
    then the mean clock there."""
    split = style or "_split"
    frame = long.rename(columns={value: "value"}).assign(**{
        PANEL: _panel_names(long, cols, rows), SERIES: long[hue].map(label) if hue else "all runs",
        split: long[style].astype(str) if style else ""})
    keys = [PANEL, SERIES, split, along or x]
    kept, note = _thinned(frame, along or x, frame.groupby(keys).ngroups)
    summary = mean_intervals(kept, keys, "value")
    if along:
        clock = kept.groupby(keys, sort=True)[x].mean().rename(x).reset_index()
        summary = summary.merge(clock, on=keys, how="left")
    summary = _significant(summary, ["mean", "low", "high", x], digits=4).rename(
        columns={split: SPLIT, x: X, "mean": MEAN, "low": LOW, "high": HIGH})
    seeds = None
    if len(frame) <= MAX_SEED_ROWS:  # a line per run and split; the run as a small number
        frame = frame.assign(r=pd.factorize(frame["run_id"])[0])
        seeds = _significant(frame[[PANEL, SERIES, split, "r", "seed", x, "value"]], ["value", x],
                             digits=4).rename(columns={split: SPLIT, x: X, "value": VALUE})
    else:
        runs = frame["run_id"].nunique()
        note = "; ".join(filter(None, [note, f"individual seeds not embedded ({runs:,} runs, "
                                             f"{len(frame):,} points): means and bands only"]))
    return summary, seeds, note


def _domain(values: pd.Series, log: bool) -> list[float]:
    """[low, high] of the finite (positive, on a log axis) values. Set, not left to the data, so
    that an empty layer (no seed shown, no range brushed) has nothing to measure."""
    values = values.astype(float)
    values = values[np.isfinite(values) & ((values > 0) if log else True)]
    if values.empty:
        return [1.0, 10.0] if log else [0.0, 1.0]
    return [float(values.min()), float(values.max())]


SHARED_X_SPREAD = 3.0  # panels whose x ranges differ more than this factor get their own x scale


def _x_domains(summary: pd.DataFrame, log_x: bool) -> tuple[dict[str, list[float]], bool]:
    """Per panel its x domain and whether the panels share one: they do (and zoom and pan
    together) unless their ranges differ by more than SHARED_X_SPREAD (a study whose datasets
    train for 200 and for 10,000 epochs would leave the short ones a sliver)."""
    domains = {name: _domain(group[X], log_x) for name, group in summary.groupby(PANEL, sort=False)}
    spans = [high for _, high in domains.values()]
    shared = max(spans) <= SHARED_X_SPREAD * max(min(spans), 1e-12)
    if shared:
        whole = _domain(summary[X], log_x)
        domains = {name: whole for name in domains}
    return domains, shared


def _scales(summary: pd.DataFrame, seeds: pd.DataFrame | None, x_domain: list[float],
            log_x: bool, log_y: bool) -> tuple[dict, dict]:
    """One panel's x scale, and the y scale all panels share: the band, the means and (when
    embedded) the seeds fit."""
    y_values = [summary[LOW], summary[HIGH], summary[MEAN]]
    y_values += [seeds[VALUE]] if seeds is not None else []
    y_domain = _domain(pd.concat(y_values), log_y)
    return ({"domain": x_domain, "nice": False, "type": "log" if log_x else "linear"},
            {"domain": y_domain, "type": "log"} if log_y
            else {"domain": y_domain, "type": "linear", "zero": False})


def _params(seeds: bool) -> dict[str, dict]:
    """The chart's parameters: the legend pick, the linked zoom, the x brush, the seeds checkbox."""
    found = {
        "pick": {"name": "pick", "select": {"type": "point", "fields": [SERIES]}, "bind": "legend"},
        "zoom": {"name": "zoom", "select": {
            "type": "interval", "zoom": "wheel!",
            "translate": "[pointerdown[event.shiftKey], window:pointerup] > window:pointermove!"},
            "bind": "scales"},
        "brush": {"name": "brush", "select": {
            "type": "interval", "encodings": ["x"],
            "on": "[pointerdown[!event.shiftKey], window:pointerup] > window:pointermove!"}},
    }
    if seeds:
        found["seeds"] = {"name": "seeds", "bind": {"input": "checkbox", "name": "individual seeds "},
                          "value": False}
    return found


def _field(name: str, kind: str = "quantitative", **options) -> dict:
    """An encoding channel: a field of the embedded data, its type and ``options`` (title, scale,
    legend, format)."""
    return {"field": name, "type": kind, **options}


def _picked(chosen: float, faded: float) -> dict:
    """Opacity ``chosen`` for the configurations the legend picked (all, when none is), else ``faded``."""
    return {"condition": {"param": "pick", "value": chosen}, "value": faded}


def _panel(summary: pd.DataFrame, seeds: pd.DataFrame | None, name: str, scales,
           titles: tuple[str, str], order: tuple[list[str], list[str]], index: int,
           size: tuple[int, int], several: bool) -> dict:
    """One panel, a Vega-Lite layer spec: band, seeds (behind the checkbox), means, the brushed
    range bold, hover points. Its layers are named ``p<index>_<layer>``, and ``_<index>`` after
    that when the chart has ``several`` panels (the SVG's class names: the browser tests find a
    layer by the prefix). ``order``: the configurations' order (their colours) and the splits'
    (their dashes, as the PNG's)."""
    x_scale, y_scale = scales
    color = _field(SERIES, "nominal", title="configuration", scale={"domain": order[0]},
                   legend={"symbolType": "stroke", "symbolOpacity": 1, "symbolStrokeWidth": 3})
    dash = _field(SPLIT, "nominal", title="split", scale={"domain": order[1]},
                  legend=None if summary[SPLIT].nunique() < 2
                  else {"symbolType": "stroke", "symbolStrokeWidth": 2})
    x = _field(X, scale=x_scale, title=titles[0])
    y = _field(MEAN, scale=y_scale)
    config = _field(SERIES, "nominal", title="configuration")
    split, at = _field(SPLIT, "nominal", title="split"), _field(X, title=titles[0])
    # a Python repr of a panel's name is a JavaScript string literal (as Altair wrote it)
    in_panel = {"filter": f"(datum[{PANEL!r}] === {name!r})"}
    means = [in_panel, {"flatten": list(MEAN_COLUMNS)}]
    suffix = f"_{index}" if several else ""

    def layer(what: str, data: str, mark: dict, encoding: dict, transform: list) -> dict:
        # without seeds every layer reads the means, which the panel names once
        source = {"data": {"name": data}} if seeds is not None else {}
        return {**source, "mark": mark, "encoding": encoding, "name": f"p{index}_{what}{suffix}",
                "transform": transform}

    layers = [
        layer("band", "means", {"type": "area"}, {
            "x": x, "y": _field(LOW, scale=y_scale, title=titles[1]), "y2": {"field": HIGH},
            "color": color, "detail": _field(SPLIT, "nominal"), "opacity": _picked(0.18, 0.02)},
            means),
        layer("mean", "means", {"type": "line", "strokeWidth": 2},
              {"x": x, "y": y, "color": color, "strokeDash": dash, "opacity": _picked(1.0, FADED)},
              means),
        layer("bold", "means", {"type": "line", "strokeWidth": 4},
              {"x": x, "y": y, "color": color, "strokeDash": dash, "opacity": _picked(1.0, FADED)},
              [*means, {"filter": {"param": "brush", "empty": False}}]),
        layer("hover", "means", {"type": "point", "size": 60, "filled": True, "opacity": 0}, {
            "x": x, "y": y, "color": color, "tooltip": [
                config, split, at, _field(MEAN, title="mean", format=".4g"),
                _field("n", title="seeds"), _field(LOW, title="95% low", format=".4g"),
                _field(HIGH, title="95% high", format=".4g")]},
            means),
    ]
    if seeds is not None:
        layers.insert(1, layer(
            "seeds", "seeds", {"type": "line", "strokeWidth": 1, "point": {"size": 12, "opacity": 0}}, {
                "x": x, "y": _field(VALUE, scale=y_scale), "color": color, "strokeDash": dash,
                "detail": _field("r", "nominal"), "opacity": _picked(SEED_OPACITY, FADED / 2),
                "tooltip": [config, _field("seed"), split, at,
                            _field(VALUE, title="value", format=".4g")]},
            [in_panel, {"filter": "seeds"}, {"flatten": list(SEED_COLUMNS)}]))
    panel = {"layer": layers, **({"data": {"name": "means"}} if seeds is None else {}),
             "width": size[0], "height": size[1]}
    return {**panel, "title": name} if name else panel


def curve_chart(long: pd.DataFrame, x: str, y_title: str, *, x_title: str | None = None,
                cols: str | None = None, rows: str | None = None, hue: str | None = None,
                style: str | None = None, label: Callable = str, log_x: bool = False,
                log_y: bool = False, title: str = "", along: str | None = None,
                value: str = "value") -> Chart:
    """The interactive companion of a faceted curve figure (``reports.plotting.facet_lines``'s
    arguments): a panel per facet value, a colour per ``hue`` value named by ``label``, a dash
    per ``style`` value; ``log_x``/``log_y`` as the PNG's axes; ``value``: the column of
    ``long`` the lines plot (the PNG's ``y``)."""
    summary, seeds, note = prepare(long, x, cols=cols, rows=rows, hue=hue, style=style,
                                   label=label, along=along, value=value)
    if log_y:  # a log axis cannot show a band edge at or below 0
        summary = summary.assign(**{LOW: summary[LOW].where(summary[LOW] > 0)})
    order = (list(dict.fromkeys(long.sort_values(hue)[hue].map(label))) if hue else ["all runs"],
             list(dict.fromkeys(long.sort_values(style)[style].astype(str))) if style else [""])
    params = _params(seeds is not None)
    domains, shared = _x_domains(summary, log_x)
    columns = min(3, max(1, summary[PANEL].map(lambda n: n.split(", ")[0]).nunique()) if cols else 1)
    panels = [_panel(summary, seeds, name, _scales(summary, seeds, domains[name], log_x, log_y),
                     (x_title or x, y_title), order, i, PANEL_SIZES[columns], len(domains) > 1)
              for i, name in enumerate(domains)]
    spec = {"config": VIEW_CONFIG, "concat": panels, "columns": columns,
            "resolve": {"scale": {"x": "shared" if shared else "independent", "y": "shared"}}}
    if title:
        spec["title"] = {"text": title, "anchor": "start"}
    spec["$schema"] = alt.SCHEMA_URL
    spec["params"] = top_level(params, panels, {"pick": "mean", "zoom": "hover", "brush": "hover"})
    spec["datasets"] = with_data({
        "means": nested(summary, [PANEL, SERIES, SPLIT], MEAN_COLUMNS),
        "seeds": None if seeds is None else nested(seeds, [PANEL, SERIES, SPLIT, "r", "seed"],
                                                   SEED_COLUMNS)})
    return Chart(spec, note)


def nested(frame: pd.DataFrame, keys: list[str], columns: tuple[str, ...]) -> pd.DataFrame:
    """One row per line (``keys``) holding each of ``columns`` as a list in x order, which the
    chart flattens back (Vega-Lite's flatten): a point then costs its numbers, not its names."""
    frame = frame.sort_values([*keys, X])
    return frame.groupby(keys, sort=False, observed=True)[list(columns)].agg(list).reset_index()


def with_data(frames: dict[str, pd.DataFrame | None]) -> dict[str, list[dict]]:
    """The spec's ``datasets``: each frame once, as records, which every layer names (Altair
    copies a chart's DataFrames at each step of building it: naming them keeps that fast)."""
    return {name: frame.to_dict("records") for name, frame in frames.items() if frame is not None}


def top_level(params: dict[str, dict], panels: list[dict], hosts: dict[str, str]) -> list[dict]:
    """The parameters, each defined once for the whole chart and listening on its ``hosts`` layer
    of every panel (Vega-Lite's top-level ``params`` with ``views``): one legend pick, one zoom
    and one brush shared by all panels, which is what links them. Layers are named
    ``p<i>_<what>`` (``_panel``)."""
    views = [layer["name"] for panel in panels for layer in panel.get("layer", [])]
    return [{**param, "views": [view for view in views if view.split("_")[1] == hosts[name]]}
            if name in hosts else param for name, param in params.items()]
