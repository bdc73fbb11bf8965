"""Any study whose spec has ``[resolve]`` (whatever its ``[report] section``): the comparisons its
sweep added seeds to, each with its sequential verdict, and the funnel of their intervals.

The verdicts and intervals are ``experiments.resolve`` 's (replayed from the stored runs when the
report loads the study): valid at every round at once, with the family-wise error over the
study's comparisons at most 1 - confidence, however many seeds the rounds added.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plotting import save
from ..tables import Table, number

TITLE = "Evidence on demand"
ORDER = 999  # after every study section: it adds to them, it binds no study of its own
PANELS_PER_ROW = 3
VERDICT_COLORS = {"better": "#2a9d4b", "worse": "#c0392b", "equivalent": "#4a7fd6",
                  "not resolved": "#e69500", "open": "#888888"}


def comparisons_table(name: str, replay, plan) -> Table:
    """One row per comparison: verdict, seeds per grid point, pairs used and dropped, the
    difference with its interval, the round that decided it."""
    rows = [{"comparison": o.comparison.text, **({"within": o.comparison.group} if o.comparison.group else {}),
             "verdict": o.verdict, "seeds": o.seeds, "pairs": o.n, "dropped": o.dropped,
             "difference": number(o.mean, 3),
             "interval": f"[{number(o.low, 3)}, {number(o.high, 3)}]" if math.isfinite(o.low) else "—",
             "round": o.round or "—"} for o in replay.outcomes]
    table = plan.table
    searched = (" The winning trial's seed is left out of the pairs (it was chosen for being best "
                "on that seed); the retrains are compared." if plan.searched else "")
    state = "" if replay.finished else (f" The sweep has not finished: round {replay.round + 1}; "
                                        "open comparisons may get more seeds.")
    return Table(f"{name}_resolve", "Comparisons, resolved by adding seeds", pd.DataFrame(rows),
                 f"Difference = candidate - reference of {table.metric} (paired by seed; "
                 f"{'lower' if table.lower_is_better else 'higher'} is better). Interval: Student t "
                 f"at 1 - {(1 - table.confidence):g} / (comparisons x planned rounds) = "
                 f"1 - {plan.alpha:.2g}, so all "
                 f"intervals of all rounds hold together with probability {table.confidence:g}; "
                 f"rounds add {table.add} seeds to the grid points of open comparisons, up to "
                 f"{table.max_seeds}; equivalent: inside ±{table.margin:g}. Seeds: per grid point "
                 "at the deciding (or last) round; pairs: seeds both sides finished; dropped: seeds "
                 f"a side diverged or failed.{searched}{state}")


def funnel_plot(replay, plan, path) -> None:
    """A panel per comparison: its interval (band) and difference (line) against the seeds per
    grid point at each round, zero dashed, the ±margin band shaded, the deciding round ringed;
    every panel spans all planned rounds, so where a comparison stopped reads across panels."""
    outcomes, table = replay.outcomes, plan.table
    columns = min(PANELS_PER_ROW, len(outcomes))
    rows = math.ceil(len(outcomes) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False,
                             layout="constrained")
    for ax, outcome in zip(axes.flat, outcomes):
        trace = np.array([t for t in outcome.trace if math.isfinite(t[3])], dtype=float).reshape(-1, 5)
        color = VERDICT_COLORS.get(outcome.verdict, "#888888")
        if table.margin > 0:
            ax.axhspan(-table.margin, table.margin, color="#4a7fd6", alpha=0.12, label="±margin")
        ax.axhline(0, color="#333333", lw=0.8, ls="--")
        if len(trace):
            ax.fill_between(trace[:, 0], trace[:, 3], trace[:, 4], color=color, alpha=0.25,
                            step=None, label="interval")
            ax.plot(trace[:, 0], trace[:, 2], "o-", color=color, ms=4, label="difference")
            if outcome.round:
                ax.plot(trace[-1, 0], trace[-1, 2], "o", ms=11, mfc="none", mec=color, mew=1.5)
        decided = f"round {outcome.round}" if outcome.round else f"{outcome.seeds} seeds"
        ax.set_title(f"{outcome.comparison.text}\n{outcome.verdict} ({decided})", fontsize=9)
        ax.set_xlabel("seeds per grid point")
        ax.set_xticks(plan.looks)
        ax.set_xlim(plan.looks[0] - 1, plan.looks[-1] + 1)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel(f"{table.metric} difference")
    fig.suptitle(f"Intervals narrowing as seeds are added ({table.confidence:.0%} family-wise)",
                 fontsize=11)
    save(fig, path)


def section(b) -> None:
    """The comparisons table and the funnel figure of a study with ``[resolve]``."""
    spec, replay = b.study.spec, b.study.resolved
    if spec is None or spec.resolve is None or replay is None:
        return
    name = b.study.name
    ids = [run.run_id for run in replay.needed]
    b.figure(f"{name}_resolve_funnel.png",
             "Each comparison's sequential interval against the seeds per grid point, round by "
             "round, until it excluded 0 (better/worse), fell inside the margin (equivalent) or "
             "the budget was spent (not resolved); the ring marks the deciding round.",
             lambda p: (funnel_plot(replay, spec.resolve, p), ids)[1])
    b.table("resolve comparisons", lambda: comparisons_table(name, replay, spec.resolve))
