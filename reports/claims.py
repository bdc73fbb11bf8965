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

from . import uncertainty
from .data import StudyResults


YES, NO, NO_DATA = "yes", "no", "no data"
# The fourth verdict: a step is still open (its seeds did not resolve it), shown apart from "no"
# as "not resolved (N seeds)"; "no" is kept for a step resolved against the claim.
NOT_RESOLVED = "not resolved"


@dataclass
class Claim:
    claim: str
    published: str
    ours: str
    holds: str  # YES, NO, NO_DATA or "not resolved (N seeds)"
    id: str = ""  # set by the Check that judged it


@dataclass(frozen=True)
class Check:
    """One claim of a section: ``judge(study or None) -> Claim`` under a stable ``id``; ``study``
    names the study it judges when that is not simply the one bound to the section."""

    id: str
    judge: Callable[[StudyResults | None], Claim]
    study: str | None = None

    def __call__(self, study: StudyResults | None) -> Claim:
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
    """One comparison row as ``10 -> 20: -0.0031 [-0.0042, -0.0020], P 1.00, 5 seeds``."""
    interval = (f" [{row.low:.2g}, {row.high:.2g}]" if np.isfinite(row.low) else "")
    return (f"{row.reference} -> {row.candidate}: {row.difference:+.2g}{interval}, "
            f"P(better) {row.prob_improvement:.2f}, {seeds_text(int(row.n))}")


def order_holds(verdicts, seeds, expected: str = "better") -> str:
    """An order claim's verdict from its steps' (``verdicts``, ``seeds`` used): YES when every
    step is ``expected``; NO when a step is resolved against it (the other way, or equivalent);
    otherwise "not resolved (N seeds)", N the most seeds an open step used."""
    verdicts, seeds = list(verdicts), [int(n) for n in seeds]
    if verdicts and all(v == expected for v in verdicts):
        return YES
    if any(v not in (expected, NOT_RESOLVED, "open") for v in verdicts):
        return NO
    open_seeds = [n for v, n in zip(verdicts, seeds) if v != expected]
    return f"{NOT_RESOLVED} ({seeds_text(max(open_seeds, default=0))})"


def verdict_text(holds: str) -> str:
    """The opening words of an order claim's ``ours`` for its verdict."""
    if holds == YES:
        return "holds: every step resolved"
    return "does not hold: " if holds == NO else "not shown yet, a step is open: "


def order_text(table) -> tuple[str, str]:
    """An order claim judged on ``uncertainty.comparisons`` rows (every step must be "better"):
    (what its ``ours`` says: "holds", "does not hold: <the steps resolved against it>" or "not
    shown yet: <the open steps>", then every step's difference with its fixed-sample 95%
    bootstrap interval, probability of improvement and seeds; its verdict)."""
    steps = table[table["kind"] == "step"]
    holds = order_holds(steps["verdict"], steps["n"])
    opening = verdict_text(holds) + ("" if holds == YES else "; ".join(uncertainty.failing_steps(steps)))
    text = "; ".join(step_text(row) for row in steps.itertuples())
    return f"{opening}. Steps (difference, fixed-sample 95% bootstrap interval): {text}", holds


def resolved_ordering(study: StudyResults | None, claim: str, published: str) -> Claim | None:
    """An order claim judged on a ``[resolve]`` study's sequential verdicts (every step must be
    "better"), each step with its interval, seeds and the round that decided it; None when the
    study has no ``[resolve]`` (its claims keep the fixed-sample bootstrap)."""
    replay = getattr(study, "resolved", None)
    if replay is None:
        return None
    outcomes = replay.outcomes
    holds = order_holds([o.verdict for o in outcomes], [o.seeds for o in outcomes])
    table = study.spec.resolve.table
    failing = "; ".join(f"{o.comparison.text}: {o.verdict} ({seeds_text(o.seeds)})"
                        for o in outcomes if o.verdict != "better")
    steps = "; ".join(_outcome_text(o) for o in outcomes)
    ours = (f"{table.metric}: {verdict_text(holds)}{'' if holds == YES else failing}. Steps "
            f"(difference, sequential interval {table.confidence:.0%} family-wise, valid with seeds "
            f"added until resolved, at most {table.max_seeds}): {steps}")
    return Claim(claim, published, ours, holds)


def _outcome_text(outcome) -> str:
    """``width=10 -> width=20: better, -0.14 [-0.28, -0.0025], 20 seeds (round 4)``."""
    interval = f" [{outcome.low:.2g}, {outcome.high:.2g}]" if np.isfinite(outcome.low) else ""
    decided = f" (round {outcome.round})" if outcome.round else ""
    dropped = f", {outcome.dropped} dropped" if outcome.dropped else ""
    return (f"{outcome.comparison.text}: {outcome.verdict}, {outcome.mean:+.2g}{interval}, "
            f"{seeds_text(outcome.seeds)}{decided}{dropped}")


def ordering(study: StudyResults | None, by: str, claim: str, published: str,
             column: str = "final_train_loss") -> Claim:
    """``column`` (a loss) must fall as ``by`` grows, resolved at every adjacent step: each step
    a seed-paired difference with its 95% bootstrap interval and a Holm verdict over the steps
    (``reports.uncertainty``); the claim holds only when every step is "better"."""
    resolved = resolved_ordering(study, claim, published)
    if resolved is not None:
        return resolved
    if study is None or by not in study.ok or column not in study.ok:
        return no_data(claim, published)
    frame = study.ok[[by, "seed", column]].dropna()
    levels = sorted(frame[by].unique())
    if len(levels) < 2:
        return no_data(claim, published)
    text, holds = order_text(uncertainty.comparisons(frame, by, column, True, order=levels))
    return Claim(claim, published, f"after {epochs_text(study.ok)} epochs, {column}: {text}", holds)
