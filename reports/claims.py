"""A scorecard claim: what was published, what we measured, and whether it holds.

A study module in ``reports.studies`` lists its claims as ``CLAIMS``, a tuple of ``Check``: a
stable id (what tests, docs and readers refer to) and a judge that reads the study bound to that
section (None when the report has none) and returns a ``Claim``. A claim whose study or metric is
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
    """One claim of a section: ``judge(study or None) -> Claim`` under a stable ``id``."""

    id: str
    judge: Callable[[Study | None], Claim]

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


def ordering(study: Study | None, by: str, claim: str, published: str) -> Claim:
    """Mean final training loss over seeds must fall strictly as ``by`` grows."""
    if study is None or by not in study.ok:
        return no_data(claim, published)
    means = study.ok.groupby(by)["final_train_loss"].mean().sort_index()
    if len(means) < 2 or not np.isfinite(means).all():
        return no_data(claim, published)
    holds = bool(np.all(np.diff(means.to_numpy()) < 0))
    parts = [f"{by} {level}: {mean_sd(group)}"
             for level, group in study.ok.groupby(by)["final_train_loss"]]
    ours = f"after {epochs_text(study.ok)} epochs, mean ± sd: " + "; ".join(parts)
    return Claim(claim, published, ours, verdict(holds))
