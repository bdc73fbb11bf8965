"""Shared by the width and depth sections: loss curves and loss against seconds, a line per value
of the one factor the study varies, and the final loss per value."""
from __future__ import annotations

from typing import Callable

from .. import cost
from ..plotting import loss_curves
from ..tables import summary_table


def factor_section(b, by: str, label: Callable[[int], str]) -> None:
    """``b`` (a ``SectionBuilder``) gets a line per value of ``by``, named ``label(value)``."""
    name, title = b.study.name, b.section.title
    if b.has("curves", "loss-curve figure"):
        b.figure(f"{name}_loss_curves.png", f"Loss against epoch, one line per {by}.",
                 lambda p: loss_curves(b.study, p, by, label, f"{title} study: loss against epoch"))
        b.figure(f"{name}_loss_vs_seconds.png", f"Loss against training seconds, one line per {by}.",
                 lambda p: cost.loss_against_seconds(b.study, p, by, label,
                                                     f"{title} study: loss against training time"))
    b.table("summary", lambda: summary_table(b.study, [by], f"{title} study: final loss per {by}"))
