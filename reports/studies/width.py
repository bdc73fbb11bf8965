"""The width study: one hidden ReLU layer of 10-100 units on sin-cos; wider fits lower."""
from __future__ import annotations

from ..claims import Check, ordering
from ._sweeps import factor_section

TITLE = "Width"
ORDER = 10


def section(b) -> None:
    factor_section(b, "width", lambda width: f"{width} units")


CLAIMS = (
    Check("width-lower-loss", lambda study: ordering(
        study, "width", "width: the wider the hidden layer, the lower the training loss",
        "wider is lower after 30 epochs")),
)
