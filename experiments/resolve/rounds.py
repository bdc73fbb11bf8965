"""The rounds of a ``[resolve]`` study, replayed from its stored runs.

    plan = study.resolve                          # a ResolvePlan, made by the spec loader
    study, replay = with_rounds(study, results)   # the runs the rounds so far call for

Round 0 runs every grid point on the spec's first seeds (the study as it would be without
``[resolve]``). After round r's runs are all stored, every comparison still open gets its interval
at look r (``sequential``); the decided ones stay decided; round r + 1 adds ``add`` seeds to the
grid points of the open ones only. ``replay`` recomputes all of this from the stored values, so a
resumed sweep reaches the same decisions and asks for the same run ids as an uninterrupted one.
Added seeds are ordinary runs: the sweep, the store, ``status`` and staleness treat them like any.
"""
from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import progress, store
from ..search.stages import retrain_runs
from ..search.study import point_label, with_retrains
from ..study import ResolvePlan, Run, Study
from . import sequential
from .table import Comparison, Resolve, comparisons


@dataclass
class Outcome:
    """One comparison as far as the stored runs go: ``verdict`` one of sequential.VERDICTS
    ("open" while rounds remain), ``round`` (1-based) it was decided in, ``seeds`` per grid point
    at that look, ``n`` pairs used, ``dropped`` seeds one side of which diverged or failed, the
    difference's ``mean`` and interval, and ``trace``: (seeds, n, mean, low, high) at every look."""

    comparison: Comparison
    verdict: str = "open"
    round: int | None = None
    seeds: int = 0
    n: int = 0
    dropped: int = 0
    mean: float = math.nan
    low: float = math.nan
    high: float = math.nan
    trace: list[tuple[int, int, float, float, float]] = field(default_factory=list)


@dataclass
class Replay:
    """The rounds replayed: every comparison's outcome, the runs the rounds so far call for
    (``needed``, round 1 first), the current round (0-based), whether the rounds are over, and
    the most runs later rounds can still add."""

    outcomes: list[Outcome]
    needed: list[Run]
    round: int
    finished: bool
    later_at_most: int

    @property
    def open(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict == "open"]


def _value(values: dict[str, float], run: Run | None) -> float:
    return values.get(run.run_id, math.nan) if run is not None else math.nan


def _look(plan: ResolvePlan, outcome: Outcome, runs: dict[str, dict[int, Run]],
          values: dict[str, float], sample: list[int], look: int) -> None:
    """One open comparison at one look: its interval, and its verdict if the interval decides."""
    c = outcome.comparison
    reference, candidate = runs.get(c.reference, {}), runs.get(c.candidate, {})
    differences = np.array([_value(values, candidate.get(s)) - _value(values, reference.get(s))
                            for s in sample], dtype=float)
    n, mean, low, high = (float(x) for x in sequential.t_interval(differences, plan.alpha))
    outcome.trace.append((plan.looks[look], int(n), mean, low, high))
    outcome.seeds, outcome.n, outcome.dropped = plan.looks[look], int(n), len(sample) - int(n)
    outcome.mean, outcome.low, outcome.high = mean, low, high
    code = int(sequential.verdict_codes(low, high, plan.table.margin, plan.table.lower_is_better))
    if code != sequential.OPEN:
        outcome.verdict, outcome.round = sequential.verdict_name(code), look + 1


def replay(plan: ResolvePlan, runs: dict[str, dict[int, Run]], values: dict[str, float],
           skip_first_seed: bool = False) -> Replay:
    """The rounds as far as ``values`` (run id -> the metric, NaN for a run that diverged or
    failed; every stored run of the study) allow. ``runs``: grid point label -> seed -> its run.
    ``skip_first_seed``: the first seed's runs are needed but left out of the statistics (a
    searched study's winning trial, chosen for being best on that seed)."""
    outcomes = [Outcome(c) for c in plan.comparisons]
    needed: dict[str, Run] = {}
    for look, seeds in enumerate(plan.looks):
        still_open = [o for o in outcomes if o.verdict == "open"]
        points = plan.labels if look == 0 else {label for o in still_open for label in
                                                (o.comparison.reference, o.comparison.candidate)}
        for label in (label for label in plan.labels if label in points):
            for seed in plan.seeds[:seeds]:
                run = runs.get(label, {}).get(seed)
                if run is not None:
                    needed.setdefault(run.run_id, run)
        if any(run_id not in values for run_id in needed):  # later rounds: at most its open points to max_seeds
            return Replay(outcomes, list(needed.values()), look, False, plan.added_after(
                (label for o in still_open for label in (o.comparison.reference, o.comparison.candidate)), look))
        sample = plan.seeds[1 if skip_first_seed else 0:seeds]
        for outcome in still_open:
            _look(plan, outcome, runs, values, sample, look)
        if all(o.verdict != "open" for o in outcomes):
            break
    for outcome in outcomes:
        if outcome.verdict == "open":
            outcome.verdict = "not resolved"
    return Replay(outcomes, list(needed.values()), min(look, len(plan.looks) - 1), True, 0)


def stored_values(results: str | Path, study_name: str, metric: str) -> dict[str, float]:
    """Run id -> ``metric`` of every stored run of the study: NaN unless the run finished (status
    ok) with a finite value. Empty when nothing is stored."""
    try:
        table = store.read_arrow(results, study_name, "runs", columns=["status", metric])
    except store.MissingResults:
        return {}
    values = {}
    for run_id, status, value in zip(table.column("run_id").to_pylist(),
                                     table.column("status").to_pylist(),
                                     table.column(metric).to_pylist()):
        ok = status == "ok" and value is not None and math.isfinite(value)
        values[run_id] = float(value) if ok else math.nan
    return values


def _searched_runs(study: Study, winners) -> dict[str, dict[int, Run]]:
    """Grid point label -> seed -> run of a searched study's winners: the winning trial at the
    first seed, its retrains at every later seed of the schedule."""
    plan, schedule = study.search, study.resolve.seeds
    found: dict[str, dict[int, Run]] = {}
    for g, trial in winners.best.items():
        planned = [trial, *retrain_runs({g: trial}, schedule)]
        found[plan.grid_labels[g]] = {p.config["seed"]: run for p, run in zip(planned, plan.runs(planned))}
    return found


def with_rounds(study: Study, results: str | Path) -> tuple[Study, Replay | None]:
    """The study with the runs its rounds so far call for (a searched one: its trials, then the
    retrains), and the replay; a study without ``[resolve]`` as ``with_retrains`` gives it, and
    None. Raises store.CorruptResults when a shard cannot be read."""
    if study.resolve is None:
        return with_retrains(study, results)[0], None
    values = stored_values(results, study.name, study.resolve.table.metric)
    if study.search is None:
        result = replay(study.resolve, study.resolve.runs, values)
        return dataclasses.replace(study, runs=result.needed), result
    first, winners = with_retrains(study, results)
    if winners.pending:  # no winners, no rounds yet: the trials and the retrains known so far
        plan = study.resolve
        return first, Replay([Outcome(c) for c in plan.comparisons], [], 0, False, plan.added_after(plan.labels))
    result = replay(study.resolve, _searched_runs(study, winners), values, skip_first_seed=True)
    trial_ids = {run.run_id for run in study.runs}
    retrains = [run for run in result.needed if run.run_id not in trial_ids]
    return dataclasses.replace(study, runs=[*study.runs, *retrains]), result


def plan_rounds(study: Study, all_runs: list[Run], resolve: Resolve, schedule: list[int],
                first: int, baseline: dict | None, at) -> ResolvePlan:
    """The rounds of a study whose spec has ``[resolve]``: ``all_runs`` are its grid expanded on
    every seed of ``schedule`` (the seed numbers rounds use, the first ``first`` the spec's own);
    a searched study's grid points are its search plan's. SpecError (``at``) when the table's
    comparisons cannot be made (see ``table.comparisons``)."""
    if study.search is not None:
        points = list(zip(study.search.grid_labels, study.search.grid_points))
        runs: dict[str, dict[int, Run]] = {}
    else:
        runs, points = {}, {}
        for run in all_runs:
            point = {key: value for key, value in run.point.items() if key != "seed"}
            label = point_label(point) or study.name
            points.setdefault(label, point)
            runs.setdefault(label, {})[run.config["seed"]] = run
        points = list(points.items())
    found = comparisons(resolve, points, baseline, at)
    return ResolvePlan(resolve, list(schedule), sequential.looks(first, resolve.add, resolve.max_seeds),
                       found, [label for label, _ in points], runs, study.search is not None)


def known_runs(study: Study, results: str | Path, commit: str | None = None):
    """(the study with every run known so far, what is stored (``progress.Stored``), its
    ``progress.Counts``, the replay or None): as ``progress.both_stages``, with the runs the
    rounds so far call for. Runs later rounds may add are not counted (``Replay.later_at_most``)."""
    if study.resolve is None:
        return (*progress.both_stages(study, results, commit), None)
    stored = progress.stored_runs(results, study.name)
    full, result = with_rounds(study, results)
    tally = progress.counts(full, stored, commit)
    if study.search is not None and not result.needed:  # trials unfinished: round 1's retrains
        unplanned = len(study.search.grid_labels) * (study.resolve.looks[0] - 1) - (
            len(full.runs) - len(study.runs))
        tally.total += unplanned
        tally.pending += unplanned
    return full, stored, tally, result


def status_note(result: Replay | None) -> str:
    """``  (resolve: round 2, 3 of 6 comparisons open; later rounds may add <= 120 runs)``, or
    ``  (resolve: done: 2 better, 1 not resolved)``; "" without [resolve]."""
    if result is None:
        return ""
    total = len(result.outcomes)
    if result.finished:
        counts = Counter(outcome.verdict for outcome in result.outcomes)
        return "  (resolve: done: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ")"
    return (f"  (resolve: round {result.round + 1}, {len(result.open)} of {total} comparisons "
            f"open; later rounds may add <= {result.later_at_most} runs)")
