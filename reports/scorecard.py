"""The reproduction scorecard: every claim of every study section, its published value, ours, and
whether it holds.

The claims are gathered from the section modules (``reports.studies``, each one's ``CLAIMS``), in
section order: no list here to keep up. Each is judged on the study bound to its section, or on
nothing (``no data``) when the report has none. Tolerances are stated in the claim text.
"""
from __future__ import annotations

import pandas as pd

from .claims import NO_DATA, NOT_RESOLVED, YES, Claim
from .data import StudyResults
from .studies import StudySection, discover
from .tables import Table


def scorecard(studies: dict[str, StudyResults],
              sections: dict[str, StudySection] | None = None) -> list[Claim]:
    """Every claim of ``sections`` (default: the discovered ones), judged on ``studies`` (section
    name -> the study bound to it, and study name -> study for a check that names its
    ``study``; a section or study without one gives ``no data``)."""
    sections = sections if sections is not None else discover()[0]
    return [check(studies.get(check.study or name)) for name, section in sections.items()
            for check in section.claims]


def scorecard_table(claims: list[Claim], quick: bool = False) -> Table:
    frame = pd.DataFrame([{"id": c.id, "claim": c.claim, "published": c.published, "ours": c.ours,
                           "holds": c.holds} for c in claims],
                         columns=["id", "claim", "published", "ours", "holds"])
    held = sum(c.holds == YES for c in claims)
    checked = sum(c.holds != NO_DATA for c in claims)
    still_open = sum(c.holds.startswith(NOT_RESOLVED) for c in claims)  # a step still open
    still_open = f", {still_open} not resolved" if still_open else ""
    return Table("scorecard", "Reproduction scorecard", frame,
                 f"{held} of {checked} checked claims hold{still_open}; "
                 f"{len(claims) - checked} without data. "
                 "Ours: mean ± sd over the seeds of the finished runs; an order claim holds only when "
                 "every adjacent step is resolved, is \"no\" only when a step is resolved against "
                 "it, and \"not resolved (N seeds)\" while a step is open. Studies with [resolve]: "
                 "sequential intervals, valid with seeds added until resolved; the others: "
                 "fixed-sample 95% bootstrap intervals, Holm over the steps."
                 + (" Judged on --quick smoke runs (few epochs, one seed): not a reproduction."
                    if quick else ""))
