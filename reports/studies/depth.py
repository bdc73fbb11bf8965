"""The depth study: one to several hidden ReLU layers on sin-cos; deeper fits lower."""
from __future__ import annotations

from ..claims import Check, ordering
from ._sweeps import factor_section

TITLE = "Depth"
ORDER = 20


def section(b) -> None:
    factor_section(b, "depth", lambda depth: f"{depth} hidden layer{'' if depth == 1 else 's'}")


CLAIMS = (
    Check("depth-lower-loss", lambda study: ordering(
        study, "depth", "depth: the deeper the net, the lower the training loss",
        "deeper is lower after 30 epochs")),
)
