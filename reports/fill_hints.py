"""How to fill a scorecard row that has no data: the command that produces its study's results and
its estimated time, from the cost model (``experiments.cost_model``), calibrated by what is stored.

A claim whose study has no results reads "no results: `nnstudy sweep init` (~2.4 min)" in its
"ours" cell instead of a bare dash; a claim whose study has results but not the metric it needs
keeps the judge's own words.
"""
from __future__ import annotations

from dataclasses import replace

from experiments import catalog, progress
from experiments.store import CorruptResults
from experiments.backends import default_workers
from experiments.cost_model import format_seconds, sweep_seconds
from experiments.config import SpecError
from experiments.study import Study

from .claims import NO_DATA, Claim
from .studies import StudySection

DEFAULT_RESULTS = "results"


def claim_keys(sections: dict[str, StudySection]) -> list[str]:
    """Per claim, in scorecard order, the name its study is looked up by: the study a check names,
    else its section's name."""
    return [check.study or name for name, section in sections.items() for check in section.claims]


def shipped_studies(quick: bool) -> list[Study]:
    """Every shipped study that loads (one that does not gives no hint; its sweep would say why)."""
    studies = []
    for path in catalog.spec_paths():
        try:
            studies.append(catalog.find_study(str(path), quick))
        except SpecError:
            continue
    return studies


def shipped_for(key: str, studies: list[Study]) -> Study | None:
    """Of ``studies``, the one named ``key``, else the one whose ``[report] section`` is ``key``."""
    named = [study for study in studies if study.name.removesuffix("-quick") == key]
    bound = [study for study in studies if study.report.get("section") == key]
    return (named or bound or [None])[0]


def fill_command(study: Study, results: str, quick: bool) -> str:
    """```nnstudy sweep init --quick --results R``` (~45 s): the sweep and its estimated wall time."""
    name = study.name.removesuffix("-quick")
    options = (" --quick" if quick else "") + (f" --results {results}" if results != DEFAULT_RESULTS else "")
    try:
        stored = progress.stored_runs(results, study.name)
    except (CorruptResults, OSError):  # the study's unreadable shard is named where it is read
        stored = progress.Stored()  # the cost model alone, not scaled by stored wall times
    seconds = sweep_seconds(study, stored, default_workers())
    return f"`nnstudy sweep {name}{options}` (~{format_seconds(max(seconds, 1.0))})"


def with_fill_hints(claims: list[Claim], sections: dict[str, StudySection], reported: set[str],
                    results: str, quick: bool) -> list[Claim]:
    """``claims`` with each "no data" claim whose study is not in ``reported`` (looked up as the
    scorecard does) saying what to run to fill it."""
    hints: dict[str, str | None] = {}
    filled, studies = [], None
    for claim, key in zip(claims, claim_keys(sections)):
        if claim.holds == NO_DATA and key not in reported:
            if key not in hints:
                studies = studies if studies is not None else shipped_studies(quick)
                study = shipped_for(key, studies)
                hints[key] = fill_command(study, results, quick) if study is not None else None
            if hints[key]:
                claim = replace(claim, ours=f"no results: {hints[key]}")
        filled.append(claim)
    return filled
