"""The report's interactive charts: Vega-Lite specs (the curves written as plain dicts, the trials
built with Altair) that the page embeds beside their PNGs, the Vega JavaScript inlined once per
page so that it opens from disk with no server and no network request. ``curves``: a curve figure
as a chart; ``trials``: a searched study's trials; ``embed``: the page's side."""
