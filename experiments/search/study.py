"""A searched study, end to end: a study's grid (expanded as if it had no ``[search]``) becomes
its stage-1 trial runs, and the stored trials give its stage-2 retrain runs.

    study, plan = plan_search(study, raw["search"], grid_keys, Where(path))   # in load_spec
    retrain, outcome = stage_two(plan, results, study.name)                   # in sweep, after stage 1
    study, outcome = with_retrains(study, results)       # both stages, as far as the store knows

Both stages are ordinary ``Run`` objects (the sweep, resume, Dask, the store and ``status`` treat
them like any run); ``stage_two`` reads only the store, so a resumed sweep finds the same winners
and ``progress.select`` leaves out the retrains already stored. Imported by the spec loader and
the progress bookkeeping, never by ``experiments.search`` itself.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .. import store
from ..config import Where, check_drawn
from ..study import Run, SearchPlan, Study
from .space import Nuisance, Search, applies, check_measured, check_used, parse_search
from .stages import (STAGE_KEYS, Planned, Winners, count_runs, objective_values, retrain_runs,
                     trial_runs, winners)

QUICK_TRIALS = 2  # --quick (CI smoke runs): at most this many trials per grid point


def _value_text(value) -> str:
    """A grid value as a reader writes it: 64, relu, adam, adam(beta1=0.8)."""
    if isinstance(value, dict) and "kind" in value:
        options = ", ".join(f"{k}={_value_text(v)}" for k, v in value.items() if k != "kind")
        return f"{value['kind']}({options})" if options else str(value["kind"])
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def point_label(point: dict) -> str:
    """``width=64, optimizer=adam``: a grid point's label in tables and figures."""
    return ", ".join(f"{key}={_value_text(value)}" for key, value in point.items())


def _grid_of(study: Study) -> tuple[list[int], list[Run]]:
    """The seeds (in spec order) and one run per grid point: its run at the first seed."""
    seeds = list(dict.fromkeys(run.config["seed"] for run in study.runs))
    return seeds, [run for run in study.runs if run.config["seed"] == seeds[0]]


def plan_search(study: Study, table: dict, grid_keys: Iterable[str], at: Where,
                max_runs: int | None = None) -> tuple[Study, SearchPlan]:
    """The study with its runs replaced by the stage-1 trials, and the plan of both stages.
    ``study`` is the spec expanded without ``[search]``; ``grid_keys`` are the keys its grid,
    zip and case vary. SpecError (file and key) for a bad table, a value a grid point rejects,
    or more than ``max_runs`` runs in the two stages (counted before any point is drawn)."""
    search = parse_search(table, grid_keys, at)
    if study.quick:
        search = dataclasses.replace(search, trials=min(search.trials, QUICK_TRIALS))
    seeds, grid = _grid_of(study)
    total = sum(count_runs(len(grid), search.trials, len(seeds)))
    if max_runs is not None and total > max_runs:
        raise at.error("search.trials", f"{len(grid)} grid points x {search.trials} trials and "
                                        f"{len(seeds) - 1} retrain seeds make {total} runs, more "
                                        f"than {max_runs}; use fewer trials or raise --max-runs")
    configs = [run.config for run in grid]
    if study.quick:  # the quick grid keeps each axis's ends: leave out what only dropped points use
        used = [nuisance for nuisance in search.nuisance if any(applies(nuisance, c) for c in configs)]
        search = dataclasses.replace(search, nuisance=type(search.nuisance)(used))
    check_used(search, configs, at)
    try:
        trials = trial_runs(configs, search, seeds)
    except ValueError as error:
        raise at.error("search.nuisance", f"{error}") from None
    points = [{k: v for k, v in run.point.items() if k != "seed"} for run in grid]
    labels = [point_label(point) or study.name for point in points]
    check_measured(search, configs, labels, at)
    _check_trials(trials, search, labels, at)
    plan = SearchPlan(search, seeds, configs, labels, points, trials)
    trial_configs = [t.config for t in trials]
    varying = tuple(dict.fromkeys([*study.varying, *(
        key for key in trial_configs[0] if key not in STAGE_KEYS and key != "seed"
        and any(c[key] != trial_configs[0][key] for c in trial_configs))]))
    return dataclasses.replace(study, runs=plan.runs(trials), varying=varying, search=plan), plan


def _check_trials(trials: list[Planned], search: Search, labels: list[str], at: Where) -> None:
    """SpecError (naming the trial, its grid point and the values it drew) unless every trial's
    configuration passes the checks a grid value passes (``config.check_drawn``)."""
    for trial in trials:
        config = trial.config
        drawn = ", ".join(f"{n.key}={_value_text(_nuisance_value(n, config))}"
                          for n in search.nuisance if applies(n, config))
        check_drawn(config, f"search.nuisance: trial {trial.trial} at {labels[trial.grid_point]} "
                            f"draws {drawn}", at)


def _stored(results: str | Path, study_name: str, search: Search) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The stored runs (status and objective columns) and, for ``at = "best"``, the curves."""
    columns = ["status", f"final_{search.objective}"]
    if search.objective.endswith("_loss"):
        columns.append(f"best_{search.objective}")
    try:
        runs = store.read_arrow(results, study_name, "runs", columns=columns).to_pandas()
    except store.MissingResults:
        return pd.DataFrame(columns=["run_id", *columns]), None
    curves = None
    if search.at == "best":
        try:
            curves = store.read_arrow(results, study_name, "curves",
                                      columns=[search.objective]).to_pandas()
        except store.MissingResults:
            curves = None
    return runs, curves


def stage_two(plan: SearchPlan, results: str | Path, study_name: str) -> tuple[list[Run], Winners]:
    """The retrain runs the stored trials call for (the winner of every grid point whose trials
    are all stored, on every seed but the first), and the winners with what is still pending."""
    runs, curves = _stored(results, study_name, plan.search)
    outcome = winners(plan.trials, runs, curves, plan.search)
    return plan.runs(retrain_runs(outcome.best, plan.seeds)), outcome


def _nuisance_value(nuisance: Nuisance, config: dict):
    """The value a configuration ran with (NaN where its grid point does not use it)."""
    if not applies(nuisance, config):
        return float("nan")
    return config[nuisance.key] if nuisance.option is None else config[nuisance.field][nuisance.option]


def _status_and_values(plan: SearchPlan, runs: pd.DataFrame, curves: pd.DataFrame | None):
    """Each stored run's newest status (run_id -> status) and search objective (a Series)."""
    runs = runs.drop_duplicates("run_id", keep="last")
    values = objective_values(runs, curves, plan.search) if len(runs) else pd.Series(dtype=float)
    return dict(zip(runs["run_id"], runs["status"])), values


def trials_frame(plan: SearchPlan, runs: pd.DataFrame, curves: pd.DataFrame | None) -> pd.DataFrame:
    """The stored trials, one row each: point (label), grid_point, trial, run_id, status, value
    (the search objective; NaN unless ok) and one column per nuisance key (NaN where unused).
    Trials not stored yet are left out."""
    status, values = _status_and_values(plan, runs, curves)
    rows = [{"point": plan.grid_labels[t.grid_point], "grid_point": t.grid_point, "trial": t.trial,
             "run_id": t.run_id, "status": status[t.run_id], "value": values.get(t.run_id, float("nan")),
             **{n.key: _nuisance_value(n, t.config) for n in plan.search.nuisance}}
            for t in plan.trials if t.run_id in status]
    return pd.DataFrame(rows, columns=["point", "grid_point", "trial", "run_id", "status", "value",
                                       *(n.key for n in plan.search.nuisance)])


def best_frame(plan: SearchPlan, outcome: Winners, runs: pd.DataFrame,
               curves: pd.DataFrame | None) -> pd.DataFrame:
    """Every stored run of each grid point's winner (its trial at the first seed and its
    retrains): point, grid_point, seed, stage, run_id, status, value (NaN unless ok)."""
    status, values = _status_and_values(plan, runs, curves)
    planned = [*outcome.best.values(), *retrain_runs(outcome.best, plan.seeds)]
    rows = [{"point": plan.grid_labels[p.grid_point], "grid_point": p.grid_point,
             "seed": p.config["seed"], "stage": p.stage, "run_id": p.run_id,
             "status": status[p.run_id], "value": values.get(p.run_id, float("nan"))}
            for p in planned if p.run_id in status]
    frame = pd.DataFrame(rows, columns=["point", "grid_point", "seed", "stage", "run_id", "status", "value"])
    return frame.sort_values(["grid_point", "seed"], kind="stable").reset_index(drop=True)


def with_retrains(study: Study, results: str | Path) -> tuple[Study, Winners | None]:
    """A searched study with the retrain runs its stored trials already call for added after
    its trials (the sweep runs them with any missing trials; ``status`` and ``plan`` count them),
    and the winners; an unsearched study unchanged, and None."""
    if study.search is None:
        return study, None
    retrain, outcome = stage_two(study.search, results, study.name)
    return dataclasses.replace(study, runs=[*study.runs, *retrain]), outcome


def no_winner_lines(study_name: str, plan: SearchPlan, outcome: Winners) -> list[str]:
    """One line per grid point whose every trial diverged or failed: nothing to retrain there."""
    return [f"{study_name}: {plan.grid_labels[g]}: no winner: every trial diverged or failed, nothing "
            "to retrain (the nuisance ranges may reach too far)" for g in outcome.none_finished]


def retrains_unplanned(plan: SearchPlan, outcome: Winners) -> int:
    """Retrain runs not known yet: those of grid points whose trials are not all stored (a grid
    point whose every trial diverged or failed has nothing to retrain)."""
    return len(outcome.pending) * (len(plan.seeds) - 1)
