"""The report's interactive charts: Vega-Lite specs (built with Altair) that the page embeds beside
their PNGs, with the Vega JavaScript inlined once per page (``vl_convert``), so that the page still
opens from disk with no server and no network request.

- ``curves``: a curve figure as a chart: mean and 95% band per configuration, individual seeds
  behind a toggle, hover, legend isolation, zoom and pan, and an epoch brush linked across panels;
- ``trials``: a searched study's trials: the objective against each nuisance, and the parallel
  coordinates of every trial, brushable on each axis;
- ``embed``: the page's side: the inlined bundle, one ``<div>`` and spec per chart, sortable tables.

A chart is a ``dict`` (the Vega-Lite JSON); a section holds it beside the PNG it accompanies.
Data too large to inline is aggregated, and the chart's note says so (``curves.MAX_SEED_ROWS``).
"""
