"""The width study: one hidden ReLU layer of 10-100 units on sin-cos; wider fits lower.

Its figures and table are the generic section's (a line per width, ``[report] facet = []``),
with the widths named in units; what it adds is its claim."""
from __future__ import annotations

from ..claims import Check, ordering

TITLE = "Width"
ORDER = 10
# how the generic figures name its lines
LABELS = {"width": lambda width: f"{width} units"}

CLAIMS = (
    Check("width-lower-loss", lambda study: ordering(
        study, "width", "width: the wider the hidden layer, the lower the training loss",
        "wider is lower after 30 epochs")),
)
