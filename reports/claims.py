"""A scorecard claim: what was published, what we measured, and whether it holds.

A study module in ``reports.studies`` lists its claims as ``CLAIMS``, a tuple of ``Check``: a
stable id (what tests, docs and readers refer to) and a judge that reads the study bound to that
section, or the study named by the check's ``study`` (a section shared by several studies, such
as ``search``), None when the report has none, and returns a ``Claim``. A claim whose study or metric is
absent is ``no data``, never dropped, so that a reader sees what was not checked.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .data import Study
from .tables import mean_sd

YES, NO, NO_DATA = "yes", "no", "no data"


@dataclass
class Claim:
    claim: str
    published: str
    ours: str
    holds: str  # YES, NO or NO_DATA
    id: str = ""  # set by the Check that judged it


@dataclass(frozen=True)
class Check:
    """One claim of a section: ``judge(study or None) -> Claim`` under a stable ``id``; ``study``
    names the study it judges when that is not simply the one bound to the section."""

    id: str
    judge: Callable[[Study | None], Claim]
    study: str | None = None

    def __call__(self, study: Study | None) -> Claim:
        try:
            claim = self.judge(study)
        except Exception as error:  # one claim's failure must not cost the scorecard
            claim = Claim(self.id, "—", f"could not be judged ({type(error).__name__}: {error})",
                          NO_DATA)
        claim.id = self.id
        return claim


def seeds_text(count: int) -> str:
    return f"{count} seed" if count == 1 else f"{count} seeds"


def verdict(holds: bool) -> str:
    return YES if holds else NO


def no_data(claim: str, published: str) -> Claim:
    return Claim(claim, published, "—", NO_DATA)


def epochs_text(runs) -> str:
    """The epochs the runs trained for, as ``30`` or ``3, 30``."""
    return ", ".join(str(e) for e in sorted(runs["epochs_run"].unique()))


def step_text(row) -> str:
    """One comparison row as ``10 -> 20: -0.0031 [-0.0042, -0.0020], P 1.00``."""
    interval = (f" [{row.low:.2g}, {row.high:.2g}]" if np.isfinite(row.low) else "")
    return (f"{row.reference} -> {row.candidate}: {row.difference:+.2g}{interval}, "
            f"P(better) {row.prob_improvement:.2f}")


def order_text(table, claim) -> str:
    """What an order claim's ``ours`` says: every step's difference with its 95% interval and
    probability of improvement, then "holds" or "does not hold: <the steps that are not>"."""
    steps = "; ".join(step_text(row) for row in table[table["kind"] == "step"].itertuples())
    verdict_text = "holds: every step resolved" if claim.holds else \
        "does not hold: " + "; ".join(claim.failing)
    return f"{verdict_text}. Steps (difference, 95% bootstrap interval): {steps}"


def ordering(study: Study | None, by: str, claim: str, published: str,
             column: str = "final_train_loss") -> Claim:
    """``column`` (a loss) must fall as ``by`` grows, resolved at every adjacent step: each step
    a seed-paired difference with its 95% bootstrap interval and a Holm verdict over the steps
    (``reports.uncertainty``); the claim holds only when every step is "better"."""
    from . import uncertainty  # scipy, only when a claim is judged

    if study is None or by not in study.ok or column not in study.ok:
        return no_data(claim, published)
    frame = study.ok[[by, "seed", column]].dropna()
    levels = sorted(frame[by].unique())
    if len(levels) < 2:
        return no_data(claim, published)
    table = uncertainty.comparisons(frame, by, column, True, order=levels)
    result = uncertainty.order_claim(table, expected="better")
    ours = f"after {epochs_text(study.ok)} epochs, {column}: " + order_text(table, result)
    return Claim(claim, published, ours, verdict(result.holds))
