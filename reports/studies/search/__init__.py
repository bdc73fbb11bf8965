"""Any searched study (a spec with ``[search]``, whether or not its ``[report]`` names this section): each
grid point at its own best nuisance values, with the uncertainty of every comparison.

Figures: the isolation plot (each grid point's winner, mean and 95% interval over its retrain
seeds), the axis plots (the objective against each nuisance, one point per trial), the budget
curve (the expected best after k trials) and, when ``[report] target`` is set and the grid crosses
workloads (datasets), the performance profile of time to result. Tables: the winners, the seed
summary (median, IQM), the comparisons (difference with its 95% bootstrap interval, probability of
improvement, n, Holm verdict) and time to result. The checks (edge of range, share diverged,
overfitting, too few epochs) are warnings in the section and at the top of the page.
Comparisons as ``analysis`` makes them, on the retrain seeds only (the winning trial's seed
chose it).
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd

from ... import uncertainty
from ...claims import NO, YES, Check, Claim, no_data, order_text, resolved_ordering, seeds_text
from ...interactive.trials import axis_chart, parallel_coordinates
from ...tables import Table, number
from . import analysis, figures
from .time_to_result import winner_times

TITLE = "Searched study"
ORDER = 25


def _section_of(study) -> tuple[object, analysis.SearchSection]:
    """(the plan, the section's statistics) of a study whose spec has ``[search]``; with
    ``[resolve]``, every seed its rounds may add counts as a retrain seed (those stored are shown)."""
    plan = study.spec.search
    if study.spec.resolve is not None:
        plan = dataclasses.replace(plan, seeds=study.spec.resolve.seeds)
    return plan, analysis.build(plan, study.runs, study.curves, study.report_options.get("baseline"))


def _warn(b, lines: list[str]) -> None:
    """Each check in the section and at the top of the page."""
    for line in lines:
        b.section.warnings.append(line)
        b.messages.warn(f"study '{b.study.name}': {line}")


def winners_table(name: str, plan, found) -> Table:
    frame = pd.DataFrame({
        "grid point": found.best["point"], "trial": found.best["trial"],
        plan.search.objective: [number(v, 4) for v in found.best["value"]],
        **{n.key: [number(v, 3) for v in found.best[n.key]] for n in plan.search.nuisance}})
    summary = found.summary.set_index("point").reindex(found.best["point"])  # NaN: no retrain seed
    frame["n (retrain seeds)"] = summary["n"].fillna(0).astype(int).to_numpy()
    for column in ("median", "iqm", "mean"):
        frame[f"{column} over seeds"] = [number(value, 4) for value in summary[column]]
    return Table(f"{name}_search_winners", "Winners: each grid point's best trial", frame,
                 f"{plan.search.trials} trials per grid point ({plan.search.sampler}); objective "
                 f"{plan.search.objective} at its {plan.search.at} epoch; median, interquartile "
                 "mean and mean over the winner's retrain seeds (its trial's seed chose it).")


def comparisons_table(name: str, found, resolving: bool = False) -> Table:
    table = found.comparisons
    frame = pd.DataFrame({
        **({"workload": table["workload"]} if (table["workload"] != "").any() else {}),
        "kind": table["kind"], "reference": table["reference"], "candidate": table["candidate"],
        "n": table["n"], "difference": [number(v, 3) for v in table["difference"]],
        "95% interval": [f"[{number(lo, 3)}, {number(hi, 3)}]" for lo, hi in zip(table["low"], table["high"])],
        "P(improvement)": [f"{v:.2f}" for v in table["prob_improvement"]],
        "p (Holm)": [f"{v:.3f}" for v in table["p_holm"]], "verdict": table["verdict"]})
    return Table(f"{name}_search_comparisons", "Comparisons, with their uncertainty", frame,
                 "Difference = candidate - reference (of the means over seeds), with its 95% "
                 "percentile bootstrap interval (scipy.stats.bootstrap, paired by seed); P: a "
                 "candidate seed beats a reference seed; the verdict needs the Holm-adjusted p "
                 f"below {uncertainty.ALPHA:.2f} and at least {uncertainty.MIN_SEEDS} seeds."
                 + (" Fixed-sample intervals: they ignore that [resolve] added seeds where a step "
                    "was open; its own table (Comparisons, resolved by adding seeds) gives the "
                    "verdicts valid under that stopping." if resolving else ""))


def _time_table(name: str, times) -> Table:
    table = times.table
    frame = pd.DataFrame({"grid point": table["point"], "target": [number(v, 4) for v in table["target"]],
                          "steps (median)": [number(v, 4).replace("—", "never (inf)") for v in table["steps"]],
                          "seconds (median)": [number(v, 3).replace("—", "never (inf)") for v in table["seconds"]],
                          "reached": [f"{r} of {n}" for r, n in zip(table["reached"], table["n"])]})
    return Table(f"{name}_search_time_to_result", "Time to result", frame,
                 f"Steps and training seconds until {times.column} first reaches the target "
                 "(median over the winner's seeds, its trial included; infinite when never "
                 "reached: a median of inf means most seeds never reached it).")


def _time_to_result(b, plan, found) -> None:
    target = b.study.report_options.get("target")
    if target is None or b.study.curves is None:
        return
    times = winner_times(plan, found, b.study.runs, b.study.curves, target)
    b.table("time to result", lambda: _time_table(b.study.name, times))
    if times.profile is not None:
        b.figure(f"{b.study.name}_search_profile.png",
                 "Performance profile: for each candidate the share of workloads on which its "
                 "median steps to the target are within a factor tau of the fastest.",
                 lambda p: (figures.profile_plot(times.profile, p, order=list(dict.fromkeys(
                     analysis.candidates(plan).values()))), list(times.times["run_id"]))[1])


def _per_workload(plan, found):
    """(workload, its trials, its budget curve) per workload, grid point labels without the
    workload (one figure each: fourteen colours in one legend are unreadable); one entry with
    workload "" when the grid crosses none."""
    groups = analysis.workloads(plan)
    if len(set(groups.values())) <= 1:
        return [("", found.trials, found.budget)]
    parts = []
    for workload in dict.fromkeys(groups.values()):
        def strip(frame, w=workload):
            if frame is None:
                return None
            frame = frame[frame["point"].map(groups) == w]
            return frame.assign(point=frame["point"].map(lambda label: figures.within(w, label)))
        parts.append((workload, strip(found.trials), strip(found.budget)))
    return parts


def section(b) -> None:
    """The searched study's figures, tables and checks; a study without ``[search]`` gets a
    warning naming its spec."""
    name, spec = b.study.name, b.study.spec
    b.section.title = b.section.title.replace(TITLE, f"{TITLE}: {name}", 1)
    if spec is None or spec.search is None:
        _warn(b, ["[report] section = 'search' but the spec has no [search] table; nothing to show"])
        return
    plan, found = _section_of(b.study)
    _warn(b, found.warnings)
    search = plan.search
    best_ids = list(found.best_runs["run_id"])
    if best_ids:  # else no grid point has a winner: the checks above say why
        b.figure(f"{name}_search_isolation.png",
                 "Each grid point at its own best nuisance values: mean and 95% interval over the "
                 "retrain seeds, dots per seed, the hollow diamond the trial that chose it.",
                 lambda p: (figures.isolation_plot(found.best_runs, p, search.objective,
                                                   search.lower_is_better,
                                                   workloads=analysis.workloads(plan)),
                            best_ids)[1])
    for workload, trials, budget in _per_workload(plan, found):
        suffix = "_" + "".join(c if c.isalnum() else "_" for c in workload).strip("_") if workload else ""
        where = f" ({workload})" if workload else ""
        ids = list(trials["run_id"])
        b.figure(f"{name}_search_axes{suffix}.png",
                 f"The objective against each nuisance{where}, one point per trial, a colour per "
                 "grid point; the best trial of each ringed, diverged trials as crosses.",
                 lambda p, t=trials, i=ids: (figures.axis_plots(
                     t, search.nuisance, p, search.objective, search.lower_is_better), i)[1],
                 lambda t=trials: axis_chart(t, search.nuisance, search.objective,
                                             search.lower_is_better),
                 lambda t=trials: parallel_coordinates(t, search.nuisance, search.objective,
                                                       search.lower_is_better))
        if budget is not None and budget["expected"].map(math.isfinite).any():  # else nothing to draw
            b.figure(f"{name}_search_budget{suffix}.png",
                     f"Budget curve{where}: the expected best objective after k trials (k = "
                     "1..trials), from the stored trials; flat by the last k: the trials were enough.",
                     lambda p, c=budget, i=ids: (figures.budget_plot(
                         c, p, search.objective, search.lower_is_better), i)[1])
    b.table("search winners", lambda: winners_table(name, plan, found))
    b.table("search comparisons", lambda: comparisons_table(name, found, spec.resolve is not None))
    _time_to_result(b, plan, found)


# --- claims --------------------------------------------------------------------------------------
def fair_ordering(study, what: str, claim: str, published: str) -> Claim:
    """Each adjacent grid point (in the spec's order) at its own best nuisance values must be
    better on the search objective, resolved at every step (``claims.order_text``)."""
    if study is None or study.spec is None or study.spec.search is None:
        return no_data(claim, published)
    plan = study.spec.search
    tuned = f"at each {what}'s own tuned {', '.join(n.key for n in plan.search.nuisance)}: "
    resolved = resolved_ordering(study, claim, published)
    if resolved is not None:
        resolved.ours = tuned + resolved.ours
        return resolved
    _, found = _section_of(study)
    steps = found.comparisons[found.comparisons["kind"] == "step"]
    if steps.empty:
        return no_data(claim, published)
    text, holds = order_text(steps)
    return Claim(claim, published, f"{plan.search.objective} ({plan.search.at}) {tuned}{text}", holds)


def _winner_text(workload: str, rows: pd.DataFrame) -> str:
    best = figures.within(workload, rows["reference"].iloc[0])
    beaten = [c for c, v in zip(rows["candidate"], rows["verdict"]) if v == "worse"]
    open_ = [f"{figures.within(workload, c)} ({d:+.2g} [{lo:.2g}, {hi:.2g}])" for c, v, d, lo, hi in
             zip(rows["candidate"], rows["verdict"], rows["difference"], rows["low"], rows["high"])
             if v != "worse"]
    text = f"{workload or 'the workload'}: {best} best ({rows['reference_mean'].iloc[0]:.4g}); "
    text += f"resolved against {len(beaten)} of {len(rows)}"
    if open_:
        text += f"; not resolved against {', '.join(open_)} ({seeds_text(int(rows['n'].min()))})"
    return text


def fair_winners(study, claim: str, published: str) -> Claim:
    """Per workload the best grid point (mean over retrain seeds); the claim holds when it is
    resolved better than every other grid point of its workload."""
    if study is None or study.spec is None or study.spec.search is None:
        return no_data(claim, published)
    _, found = _section_of(study)
    table = found.comparisons[found.comparisons["kind"] == "baseline"]
    if table.empty:
        return no_data(claim, published)
    parts = [_winner_text(w, rows) for w, rows in table.groupby("workload", sort=False)]
    holds = bool((table["verdict"] == "worse").all())
    return Claim(claim, published, "; ".join(parts), YES if holds else NO)


CLAIMS = (
    Check("width-fair-lower-loss", lambda study: fair_ordering(
        study, "width", "width_fair: at each width's own best lr, wider is lower, step by step",
        "wider is lower (the width study, at one hand-picked lr)"), study="width_fair"),
    Check("depth-fair-lower-loss", lambda study: fair_ordering(
        study, "depth", "depth_fair: at each depth's own best lr, deeper is lower, step by step",
        "deeper is lower (the depth study, at one hand-picked lr)"), study="depth_fair"),
    Check("optimizers-fair-winner", lambda study: fair_winners(
        study, "optimizers_fair: on each dataset one optimizer, at its own tuned hyperparameters, "
        "is best, resolved against every other",
        "a question of the study (no published value): which optimizer wins where"), study="optimizers_fair"),
)
