"""What a searched study's report section shows, from its stored runs: the winners, the seed
summary and comparison tables, the checks as warnings, and the frames its figures draw:
``build(plan, runs, curves, baseline)``, ``plan`` the study's ``SearchPlan``, ``runs`` and
``curves`` its stored tables (curves may be None). Nothing here trains or writes.

A grid that crosses workloads (a grid key in ``WORKLOAD_KEYS`` with more than one value, as
optimizers_fair's optimizer x dataset) is compared within each workload only: every grid point of
a workload against that workload's best (by mean over seeds), never adjacent points across
workloads; the Holm correction runs over every comparison of the study.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from experiments.search import winners
from experiments.search.study import best_frame, point_label, trials_frame
from experiments.stats import holm
from experiments.study import SearchPlan

from ... import uncertainty
from .budget import budget_curve, retrain_seeds
from .checks import curve_warnings, diverged_shares, edge_warnings

@dataclass
class SearchSection:
    """The parts of the section: ``best`` (per grid point its winning trial and nuisance values),
    ``summary`` (median, IQM, mean over seeds), ``comparisons`` (with verdicts), ``warnings``
    (one line each, for the section and the top of the page)."""

    best: pd.DataFrame
    summary: pd.DataFrame
    comparisons: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    trials: pd.DataFrame | None = None     # ``trials_frame``: one row per stored trial
    best_runs: pd.DataFrame | None = None  # ``best_frame``: every stored run of each winner
    budget: pd.DataFrame | None = None     # ``budget.budget_curve`` of the trials

WORKLOAD_KEYS = ("dataset",)  # grid keys that name a workload: comparisons stay within one

def workloads(plan: SearchPlan) -> dict[str, str]:
    """Grid point label -> its workload's label (``dataset=digits``; "" for every point when the
    grid varies no key of ``WORKLOAD_KEYS``)."""
    keys = [key for key in WORKLOAD_KEYS
            if len({repr(point.get(key)) for point in plan.grid_points}) > 1]
    return {label: point_label({key: point[key] for key in keys if key in point})
            for label, point in zip(plan.grid_labels, plan.grid_points)}

def candidates(plan: SearchPlan) -> dict[str, str]:
    """Grid point label -> its label without the workload keys (``optimizer=adam``): what a
    performance profile compares across workloads."""
    return {label: point_label({k: v for k, v in point.items() if k not in WORKLOAD_KEYS})
            for label, point in zip(plan.grid_labels, plan.grid_points)}

def comparison_table(plan: SearchPlan, retrained: pd.DataFrame, baseline: str | None,
                     seed: int = 0) -> pd.DataFrame:
    """The comparisons of ``uncertainty.comparisons`` on the winners' retrain seeds (rows:
    point, seed, value): adjacent grid points and against ``baseline`` for one workload; within
    each workload against its best point when the grid crosses workloads (column ``workload``),
    with Holm over all rows."""
    lower = plan.search.lower_is_better
    present = set(retrained["point"])
    order = [label for label in plan.grid_labels if label in present]
    groups = workloads(plan)
    if len(set(groups.values())) <= 1:
        table = uncertainty.comparisons(retrained, "point", "value", lower, order=order,
                                        baseline=baseline if baseline in order else None, seed=seed)
        return table.assign(workload="")
    parts = []
    for i, workload in enumerate(dict.fromkeys(groups[label] for label in order)):
        members = [label for label in order if groups[label] == workload]
        frame = retrained[retrained["point"].isin(members)]
        means = frame.groupby("point")["value"].mean()
        best = means.idxmin() if lower else means.idxmax()
        table = uncertainty.comparisons(frame, "point", "value", lower, order=members,
                                        baseline=best, seed=seed + 1000 * i)
        parts.append(table[table["kind"] == "baseline"].assign(workload=workload))
    table = pd.concat(parts, ignore_index=True) if parts else uncertainty.comparisons(
        retrained, "point", "value", lower, order=[]).assign(workload="")
    table["p_holm"] = holm(table["p_value"]) if len(table) else []
    table["verdict"] = [uncertainty.verdict(d, p, lower)
                        for d, p in zip(table["difference"], table["p_holm"])]
    return table

def _curve_checks(plan: SearchPlan, best_trials: pd.DataFrame, curves: pd.DataFrame | None) -> list[str]:
    """Overfitting and too-few-epochs warnings on each winner's validation curve."""
    column = "val_" + plan.search.objective.split("_", 1)[1]
    if curves is None or column not in curves:
        return []
    lines = []
    for row in best_trials.itertuples():
        curve = curves[curves["run_id"] == row.run_id]
        lines += curve_warnings(curve, column, plan.search.lower_is_better, row.point)
    return lines

def build(plan: SearchPlan, runs: pd.DataFrame, curves: pd.DataFrame | None,
          baseline: str | None = None, seed: int = 0) -> SearchSection:
    """The section's tables and warnings, and the frames its figures draw."""
    search = plan.search
    outcome = winners(plan.trials, runs, curves, search)
    trials = trials_frame(plan, runs, curves)
    best_runs = best_frame(plan, outcome, runs, curves)
    best_ids = {trial.run_id for trial in outcome.best.values()}
    best_trials = trials[trials["run_id"].isin(best_ids)]
    warnings = [f"{plan.grid_labels[g]}: trials not all stored yet; no winner" for g in outcome.pending]
    warnings += [f"{plan.grid_labels[g]}: every trial diverged or failed; nothing to retrain"
                 for g in outcome.none_finished]
    warnings += edge_warnings(best_trials, "point", search.nuisance)
    warnings += diverged_shares(trials, "point")[1] if len(trials) else []
    warnings += _curve_checks(plan, best_trials, curves)
    retrained = retrain_seeds(best_runs)
    summary = uncertainty.seed_summary(retrained, ["point"], "value")
    table = comparison_table(plan, retrained, baseline, seed=seed)
    budget = (budget_curve(trials, "point", "value", search.lower_is_better, seed=seed)
              if len(trials) else None)
    return SearchSection(best_trials.reset_index(drop=True), summary, table, warnings,
                         trials=trials, best_runs=best_runs, budget=budget)
