"""The two stages of a searched study: trials, then the best trial of each grid point retrained.

Stage 1 runs every grid point at every nuisance point (``trial_runs``), all on the first seed.
Stage 2 (``retrain_runs``) runs the winner of each grid point (``winners``: by the objective at
its best or final epoch, from the stored trials) again on every other seed. A study of G grid
points has ``G * trials + G * (len(seeds) - 1)`` runs (``count_runs``).

Trials and retrains are ordinary run configurations with two extra keys, ``stage`` ("trial" or
"retrain") and ``trial`` (the trial index; for a retrain, the trial it repeats). Only searched
runs carry them, so a spec without ``[search]`` keeps its run ids.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import run_id
from .space import Search, apply_point, points, unused

STAGE_KEYS = ("stage", "trial")
STAGES = ("trial", "retrain")


@dataclass(frozen=True)
class Planned:
    """One run of a searched study: its grid point (index), stage, trial index and config."""

    grid_point: int
    stage: str
    trial: int
    config: dict = field(compare=False)
    run_id: str = ""


def _planned(grid_point: int, stage: str, trial: int, config: dict) -> Planned:
    config = {**config, "stage": stage, "trial": trial}
    return Planned(grid_point, stage, trial, config, run_id(config))


def trial_runs(grid_configs: list[dict], search: Search, seeds: list[int]) -> list[Planned]:
    """Stage 1: for each grid point's resolved configuration (G of them), ``search.trials`` runs
    at the first seed, trial i with nuisance point i (the same points for every grid point;
    nuisances a grid point does not use are left out). Ordered by grid point, then trial.
    ValueError when a drawn value is invalid for a grid point's configuration."""
    drawn = points(search)
    return [_planned(g, "trial", i, {**apply_point(config, point, search), "seed": seeds[0]})
            for g, config in enumerate(grid_configs) for i, point in enumerate(drawn)]


def objective_values(runs: pd.DataFrame, curves: pd.DataFrame | None, search: Search) -> pd.Series:
    """The search objective of each stored run (Series indexed by run_id): with ``at = "best"``
    the best value over the curves table's recorded epochs (the runs table's ``best_<objective>``
    when a run has no curve), with ``"final"`` the runs table's ``final_<objective>``. NaN for a
    run whose status is not ``ok`` (diverged, failed) or whose value is not finite."""
    runs = runs.drop_duplicates("run_id", keep="last").set_index("run_id")
    if search.at == "final":
        values = runs[f"final_{search.objective}"].astype(float)
    else:
        fallback = f"best_{search.objective}"
        values = runs[fallback].astype(float) if fallback in runs else pd.Series(np.nan, runs.index)
        if curves is not None and len(curves):
            grouped = curves.groupby("run_id")[search.objective]
            best = grouped.min() if search.lower_is_better else grouped.max()
            values = best.reindex(runs.index).fillna(values)
    values = values.where(runs["status"] == "ok")
    return values.where(np.isfinite(values))


@dataclass
class Winners:
    """The outcome of stage 1: ``best`` (grid point -> its winning trial), ``pending`` (grid
    points with trials not stored yet: no winner until they are) and ``none_finished`` (grid
    points whose every trial diverged or failed: nothing to retrain)."""

    best: dict[int, Planned]
    pending: list[int]
    none_finished: list[int]
    values: pd.Series  # objective of every stored trial, by run_id


def winners(trials: list[Planned], runs: pd.DataFrame, curves: pd.DataFrame | None,
            search: Search) -> Winners:
    """The best trial of each grid point among the stored ``runs`` (and their ``curves``): the
    lowest (or highest, for accuracies) objective; ties go to the lowest trial index; trials that
    diverged or failed never win. A grid point with a trial not yet stored has no winner."""
    values = objective_values(runs, curves, search) if len(runs) else pd.Series(dtype=float)
    best, pending, none_finished = {}, [], []
    for g in sorted({t.grid_point for t in trials}):
        mine = [t for t in trials if t.grid_point == g]
        if any(t.run_id not in values.index for t in mine):
            pending.append(g)
            continue
        scored = [(values[t.run_id], t) for t in mine if not math.isnan(values[t.run_id])]
        if not scored:
            none_finished.append(g)
            continue
        sign = 1.0 if search.lower_is_better else -1.0
        best[g] = min(scored, key=lambda pair: (sign * pair[0], pair[1].trial))[1]
    stored = values.reindex([t.run_id for t in trials if t.run_id in values.index])
    return Winners(best, pending, none_finished, stored)


def retrain_runs(best: dict[int, Planned], seeds: list[int]) -> list[Planned]:
    """Stage 2: each winner (grid point -> trial) again on every seed but the first (which the
    trial itself ran), ``stage = "retrain"`` and the winner's trial index."""
    return [_planned(g, "retrain", trial.trial, {**trial.config, "seed": seed})
            for g, trial in sorted(best.items()) for seed in seeds[1:]]


def count_runs(grid_points: int, trials: int, seeds: int) -> tuple[int, int]:
    """(trial runs, retrain runs): ``G * trials`` and ``G * (seeds - 1)``."""
    return grid_points * trials, grid_points * (seeds - 1)


def plan_lines(search: Search, grid_configs: list[dict], labels: list[str],
               seeds: list[int]) -> list[str]:
    """What ``plan`` prints about the search: the space, both stages with their counts (the
    retrain as "after the trials"), a lost balance, and the nuisances each grid point leaves out."""
    n_trials, n_retrain = count_runs(len(grid_configs), search.trials, len(seeds))
    at_text = "its best epoch" if search.at == "best" else "the final epoch"
    lines = [f"search: {search.trials} {search.sampler} trials (seed {search.seed}) per grid point "
             f"over {', '.join(n.describe() for n in search.nuisance)}; "
             f"objective {search.objective} at {at_text}",
             f"stage 1, trials: {len(grid_configs)} grid points x {search.trials} trials = "
             f"{n_trials} runs at seed {seeds[0]}",
             f"stage 2, retrain (after the trials): the best trial of each grid point on "
             f"{len(seeds) - 1} more seeds: {len(grid_configs)} x {len(seeds) - 1} = {n_retrain} runs",
             f"total: {n_trials + n_retrain} runs"]
    if not search.balanced:
        lines.append(f"balance lost: {search.trials} trials is not a power of two; the first "
                     f"{search.trials} of {search.draws} {search.sampler} points are used")
    for label, config in zip(labels, grid_configs):
        left_out = unused(search, config)
        if left_out:
            lines.append(f"{label}: does not use {', '.join(left_out)} (left out)")
    return lines


__all__ = ["STAGE_KEYS", "STAGES", "Planned", "Winners", "trial_runs", "objective_values",
           "winners", "retrain_runs", "count_runs", "plan_lines"]
