"""Time to result (AlgoPerf's measure): the optimizer steps and training seconds a run needs until
its validation objective first reaches a target, and the performance profile across workloads
(Dolan and Moré's, as AlgoPerf scores submissions). Pure functions on the stored tables (no
drawing, no files). "Reaches" means ``<= target`` for a loss and ``>= target`` for an accuracy
(``lower_is_better``); a run that never reaches it takes infinite time."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.search.study import SearchPlan

from .analysis import SearchSection, candidates, workloads

TAUS = tuple(np.linspace(1.0, 4.0, 13))  # 1, 1.25, ..., 4
TIME_COLUMNS = ("steps", "seconds")


def time_to_target(curve: pd.DataFrame, column: str, target: float,
                   lower_is_better: bool = True) -> tuple[float, float]:
    """(steps, seconds) until ``column`` of one run's ``curve`` (rows: epoch, step, epoch_s and
    the column) first reaches ``target``: the ``step`` of that epoch and the training seconds of
    every epoch up to it (``epoch_s``; NaN at epoch 0, counted as 0). (inf, inf) when no epoch
    reaches it, or the target is NaN."""
    if not math.isfinite(target):
        return math.inf, math.inf
    curve = curve.sort_values("epoch")
    values = curve[column].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):  # NaN never reaches
        reached = values <= target if lower_is_better else values >= target
    if not reached.any():
        return math.inf, math.inf
    first = int(np.argmax(reached))
    seconds = np.nan_to_num(curve["epoch_s"].to_numpy(dtype=float)[:first + 1]).sum()
    return float(curve["step"].to_numpy()[first]), float(seconds)


def reference_targets(runs: pd.DataFrame, curves: pd.DataFrame, column: str, reference: dict,
                      workload: str = "dataset", lower_is_better: bool = True) -> dict:
    """Per workload (the runs table's ``workload`` column), the target: the median over the
    reference configuration's runs (those of ``runs`` whose columns equal every value in
    ``reference``, e.g. ``{"optimizer": '{"kind":"sgd","weight_decay":0.0}'}``) of their best
    ``column``. A workload without a finished reference run gets NaN (then nothing reaches it)."""
    chosen = runs[runs["status"] == "ok"]
    for key, value in reference.items():
        chosen = chosen[chosen[key] == value]
    best = curves[curves["run_id"].isin(chosen["run_id"])].groupby("run_id")[column]
    best = best.min() if lower_is_better else best.max()  # each run's, over its epochs
    medians = best.reindex(chosen["run_id"]).groupby(chosen[workload].to_numpy()).median()
    return {name: float(medians.get(name, math.nan)) for name in runs[workload].unique()}


def times_to_target(runs: pd.DataFrame, curves: pd.DataFrame, column: str, targets,
                    workload: str = "dataset", lower_is_better: bool = True) -> pd.DataFrame:
    """One row per run of ``runs``: run_id, the workload, target, steps, seconds. ``targets`` is
    one number for every workload or a dict workload -> number. A run that did not finish (status
    not ``ok``) or has no curve never reaches the target (inf)."""
    by_run = dict(tuple(curves.groupby("run_id")))
    rows = []
    for run in runs.itertuples(index=False):
        name = getattr(run, workload)
        target = targets[name] if isinstance(targets, dict) else float(targets)
        curve = by_run.get(run.run_id)
        steps, seconds = (math.inf, math.inf) if curve is None or run.status != "ok" else \
            time_to_target(curve, column, target, lower_is_better)
        rows.append({"run_id": run.run_id, workload: name, "target": target, "steps": steps,
                     "seconds": seconds})
    return pd.DataFrame(rows, columns=["run_id", workload, "target", *TIME_COLUMNS])


def performance_profile(times: pd.DataFrame, candidate: str, time: str = "steps",
                        workload: str = "dataset", taus=TAUS) -> pd.DataFrame:
    """Per candidate and tau: the share of workloads on which the candidate's time (the median
    over its rows there, e.g. over seeds) is at most tau times the fastest candidate's. Rows:
    candidate, tau, share (0..1), workloads (how many). A candidate without rows on a workload
    counts as never reaching it."""
    medians = times.groupby([workload, candidate])[time].median().unstack(candidate)
    fastest = medians.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = medians.div(fastest, axis=0)
    ratios = ratios.mask(medians.eq(fastest, axis=0), 1.0)  # the fastest, also at 0 steps
    ratios.loc[~np.isfinite(fastest.to_numpy())] = math.inf  # a workload nobody reached
    ratios = ratios.fillna(math.inf)  # a candidate absent on a workload
    n = len(ratios)
    rows = [{candidate: name, "tau": float(tau), "share": float((ratios[name] <= tau).sum() / n),
             "workloads": n} for name in ratios.columns for tau in taus]
    return pd.DataFrame(rows, columns=[candidate, "tau", "share", "workloads"])


@dataclass
class TimeToResult:
    """Time to result per grid point: ``times`` (one row per winner run: run_id, point, dataset,
    target, steps, seconds), ``table`` (per point the median steps and seconds over its seeds and
    how many reached the target) and ``profile`` (``performance_profile`` over
    the workloads, None for a single workload)."""

    column: str
    times: pd.DataFrame
    table: pd.DataFrame
    profile: pd.DataFrame | None


def _targets(plan: SearchPlan, target, winner_runs: pd.DataFrame, curves: pd.DataFrame,
             column: str, workload: str):
    """One number, or per workload the median best ``column`` of the reference's winners."""
    if not isinstance(target, dict):
        return float(target)
    reference = set(plan.points_matching(target["reference"]))
    labels = {plan.grid_labels[g] for g in reference}
    chosen = winner_runs[winner_runs["point"].isin(labels)]
    found = reference_targets(chosen, curves, column, {}, workload, plan.search.lower_is_better)
    return {name: found.get(name, math.nan) for name in winner_runs[workload].unique()}


def winner_times(plan: SearchPlan, section: SearchSection, runs: pd.DataFrame,
                   curves: pd.DataFrame, target, workload: str = "dataset") -> TimeToResult:
    """Steps and seconds until each winner's validation objective (``val_loss`` for a loss
    objective) first reaches ``target`` (a number, or ``{"reference": {grid values}}``: per
    workload the median over the reference winner's seeds of its best value), on every seed of
    the winner (its trial and its retrains); infinite when never reached."""
    column = "val_" + plan.search.objective.split("_", 1)[1]
    lower = plan.search.lower_is_better
    point_of = dict(zip(section.best_runs["run_id"], section.best_runs["point"]))
    winner_runs = runs[runs["run_id"].isin(point_of)].drop_duplicates("run_id", keep="last")
    winner_runs = winner_runs.assign(point=winner_runs["run_id"].map(point_of))
    targets = _targets(plan, target, winner_runs, curves, column, workload)
    times = times_to_target(winner_runs, curves, column, targets, workload, lower)
    times["point"] = times["run_id"].map(point_of)
    grouped = times.groupby("point", sort=False)
    table = pd.DataFrame({
        workload: grouped[workload].first(), "target": grouped["target"].first(),
        "steps": grouped["steps"].median(), "seconds": grouped["seconds"].median(),
        "reached": grouped["steps"].agg(lambda s: int(np.isfinite(s).sum())),
        "n": grouped.size()}).reset_index()
    order = {label: i for i, label in enumerate(plan.grid_labels)}
    table = table.sort_values("point", key=lambda s: s.map(order)).reset_index(drop=True)
    groups = workloads(plan)
    profile = None
    if len(set(groups.values())) > 1:
        profile = performance_profile(
            times.assign(candidate=times["point"].map(candidates(plan))), "candidate", "steps",
            workload)
    return TimeToResult(column, times, table, profile)
