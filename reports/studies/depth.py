"""The depth study: one to several hidden ReLU layers on sin-cos; deeper fits lower.

Its figures and table are the generic section's (a line per depth, ``[report] facet = []``),
with the depths named in hidden layers; what it adds is its claim."""
from __future__ import annotations

from ..claims import Check, ordering

TITLE = "Depth"
ORDER = 20
# how the generic figures name its lines
LABELS = {"depth": lambda depth: f"{depth} hidden layer{'' if depth == 1 else 's'}"}

CLAIMS = (
    Check("depth-lower-loss", lambda study: ordering(
        study, "depth", "depth: the deeper the net, the lower the training loss",
        "deeper is lower after 30 epochs")),
)
