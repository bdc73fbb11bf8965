"""What a searched study's report section shows, from its stored runs: the winners, the seed
summary and comparison tables, the checks as warnings, and the three figures.

    section = build(plan, runs, curves, directory, baseline="width=16")

``plan`` is the study's ``experiments.search.study.SearchPlan``; ``runs`` and ``curves`` the
study's stored tables (curves may be None). Nothing here trains or writes outside ``directory``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from experiments.search import winners
from experiments.search.study import SearchPlan, best_frame, trials_frame

from . import search_figures, uncertainty


@dataclass
class SearchSection:
    """The parts of the section: ``best`` (per grid point its winning trial and nuisance values),
    ``summary`` (median, IQM, mean over seeds), ``comparisons`` (with verdicts), ``warnings``
    (one line each, for the section and the top of the page) and ``figures`` (name -> PNG)."""

    best: pd.DataFrame
    summary: pd.DataFrame
    comparisons: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    figures: dict[str, Path] = field(default_factory=dict)


def _curve_checks(plan: SearchPlan, best_trials: pd.DataFrame, curves: pd.DataFrame | None) -> list[str]:
    """Overfitting and too-few-epochs warnings on each winner's validation curve."""
    column = "val_" + plan.search.objective.split("_", 1)[1]
    if curves is None or column not in curves:
        return []
    lines = []
    for row in best_trials.itertuples():
        curve = curves[curves["run_id"] == row.run_id]
        lines += uncertainty.curve_warnings(curve, column, plan.search.lower_is_better, row.point)
    return lines


def build(plan: SearchPlan, runs: pd.DataFrame, curves: pd.DataFrame | None, directory: Path,
          baseline: str | None = None, seed: int = 0) -> SearchSection:
    """The section's tables, warnings and figures (written into ``directory``)."""
    search = plan.search
    outcome = winners(plan.trials, runs, curves, search)
    trials = trials_frame(plan, runs, curves)
    best_runs = best_frame(plan, outcome, runs, curves)
    best_ids = {trial.run_id for trial in outcome.best.values()}
    best_trials = trials[trials["run_id"].isin(best_ids)]
    warnings = [f"{plan.grid_labels[g]}: trials not all stored yet; no winner" for g in outcome.pending]
    warnings += [f"{plan.grid_labels[g]}: every trial diverged or failed; nothing to retrain"
                 for g in outcome.none_finished]
    warnings += uncertainty.edge_warnings(best_trials, "point", search.nuisance)
    warnings += uncertainty.diverged_shares(trials, "point")[1] if len(trials) else []
    warnings += _curve_checks(plan, best_trials, curves)
    retrained = uncertainty.retrain_seeds(best_runs)
    order = [label for label in plan.grid_labels if label in set(retrained["point"])]
    summary = uncertainty.seed_summary(retrained, ["point"], "value")
    table = uncertainty.comparisons(retrained, "point", "value", search.lower_is_better,
                                    order=order, baseline=baseline if baseline in order else None,
                                    seed=seed)
    directory = Path(directory)
    figures = {}
    if len(best_runs):
        figures["isolation"] = search_figures.isolation_plot(
            best_runs, directory / "isolation.png", search.objective, search.lower_is_better, seed=seed)
    if len(trials):
        figures["axes"] = search_figures.axis_plots(trials, search.nuisance, directory / "axes.png",
                                                    search.objective, search.lower_is_better, seed=seed)
        curve = uncertainty.budget_curve(trials, "point", "value", search.lower_is_better, seed=seed)
        figures["budget"] = search_figures.budget_plot(curve, directory / "budget.png",
                                                       search.objective, search.lower_is_better)
    return SearchSection(best_trials.reset_index(drop=True), summary, table, warnings, figures)
