"""The page's side of the interactive charts: the Vega JavaScript inlined once, one ``<div>`` and
JSON spec per chart, the script that renders them, and sortable tables.

No request leaves the page: the bundle (Vega, Vega-Lite, Vega-Embed, from ``vl_convert``) is a
``<script>`` of the page itself and every spec carries its data. A reader without JavaScript sees
the PNGs and tables as before: the PNG sits in a ``<details>`` that is open until its chart has
rendered.
"""
from __future__ import annotations

import functools
import html
import json
import math
import os
from importlib import metadata
from pathlib import Path

import vl_convert

# Rendered as SVG (readable DOM, crisp when zoomed); no export menu (its editor link would be the
# page's only way out to the network).
EMBED_OPTIONS = {"actions": False, "renderer": "svg"}

STYLE = """
.chart { margin: 0.5em 0; overflow-x: auto; }
.chart .vega-bindings { font: 0.9em system-ui, sans-serif; color: #444; }
.chart-note { color: #8a5a00; font-size: 0.9em; }
details.png > summary { color: #555; font-size: 0.9em; cursor: pointer; }
table.data th { cursor: pointer; } table.data th[data-order]::after { content: attr(data-order); }
"""

# Renders every chart (each view kept in window.nnstudyCharts by its div's id, for the browser
# tests), folds its PNG away once it has rendered, and sorts any table.data by a clicked header:
# numbers (the leading one of "0.12 ± 0.01") numerically, text alphabetically, "—" last.
SCRIPT = """
window.nnstudyCharts = {};
const nnstudyOptions = %s;
document.querySelectorAll('div.chart[data-spec]').forEach(function (div) {
  const spec = JSON.parse(document.getElementById(div.dataset.spec).textContent);
  vegaEmbed(div, spec, nnstudyOptions).then(function (result) {
    window.nnstudyCharts[div.id] = result.view;
    const png = div.parentElement.querySelector('details.png');
    if (png) { png.open = false; }
  }).catch(function (error) { console.error('chart ' + div.id + ': ' + error); });
});
function nnstudyKey(text) {
  const number = parseFloat(text.replace(/[^0-9eE.+-].*$/, ''));
  return isNaN(number) ? text : number;
}
document.querySelectorAll('table.data').forEach(function (table) {
  table.querySelectorAll('thead th').forEach(function (th, column) {
    th.title = 'sort by this column';
    th.addEventListener('click', function () {
      const body = table.tBodies[0];
      const up = th.dataset.order !== ' \u25b2';
      table.querySelectorAll('thead th').forEach(function (h) { delete h.dataset.order; });
      th.dataset.order = up ? ' \u25b2' : ' \u25bc';
      const rows = Array.from(body.rows);
      rows.sort(function (a, b) {
        const x = nnstudyKey(a.cells[column].textContent), y = nnstudyKey(b.cells[column].textContent);
        if (typeof x !== typeof y) { return typeof x === 'number' ? -1 : 1; }
        return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
""" % json.dumps(EMBED_OPTIONS)


@functools.cache
def bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (about 0.9 MB), its names kept out of the
    page's global scope but ``vegaEmbed``, ``vega`` and ``vegaLite``."""
    return "(function () {\n" + javascript_bundle() + "\n})();"


def javascript_bundle() -> str:
    """vl-convert's script bundle, kept in the user's cache folder per vl-convert version: making it
    takes a second or more, and every build inlines the same one. An unwritable folder only costs
    the time."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnstudy"
    path = folder / f"vega-bundle-{metadata.version('vl-convert-python')}.js"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    text = vl_convert.javascript_bundle()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # whole or absent: a reader never sees half a bundle
    except OSError:
        pass
    return text


def _finite(value):
    """The spec with every NaN or infinite number as null (JSON has neither; Vega skips nulls)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _plain(value):
    """A NumPy scalar as its Python number (records of a frame may hold them), else its text."""
    return value.item() if hasattr(value, "item") else str(value)


def chart_html(chart, chart_id: str) -> str:
    """One chart's ``<div>``, its spec as JSON (``</`` escaped so no string ends the script
    early) and its note on what is left out, if any."""
    spec = json.dumps(_finite(chart.spec), separators=(",", ":"), allow_nan=False,
                      default=_plain).replace("</", "<\\/")
    note = f"<p class='chart-note'>{html.escape(chart.note)}</p>" if chart.note else ""
    return (f"<div class='chart' id='{chart_id}' data-spec='{chart_id}-spec'></div>"
            f"<script type='application/json' id='{chart_id}-spec'>{spec}</script>{note}")
