"""The gradient check: numerical (finite-difference) against backprop gradients, their time and
their largest relative difference, per architecture."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from nncore.network import parameter_count

from ..claims import Check, Claim, no_data, verdict
from ..data import StudyResults, architecture, metric
from ..plotting import legend_outside, plain_log, plt, save, sns
from ..tables import Table, number

TITLE = "Gradient check"
ORDER = 70
GRADIENT_TOLERANCE = 1e-6  # max relative error between numerical and backprop gradients


def gradcheck_stats(study: StudyResults) -> pd.DataFrame:
    """Per run: architecture, parameter count, numerical and backprop seconds, max relative
    error; smallest nets first."""
    ok = study.ok
    return pd.DataFrame({
        "run_id": ok["run_id"], "layers": ok["layer_sizes"].map(architecture),
        "parameters": ok["layer_sizes"].map(parameter_count),
        "numerical_s": metric(ok, "numerical_s"), "backprop_s": metric(ok, "backprop_s"),
        "max_rel_error": metric(ok, "max_rel_error")}).sort_values(
            ["parameters", "layers"], kind="stable").reset_index(drop=True)


def gradcheck_table(stats: pd.DataFrame, study: str = "gradcheck") -> Table:
    rows = [{"layers": layers, "parameters": group["parameters"].iloc[0], "checks": len(group),
             "numerical (s)": number(group["numerical_s"].median()),
             "backprop (s)": number(group["backprop_s"].median()),
             "numerical / backprop": number((group["numerical_s"] / group["backprop_s"]).median()),
             "max relative error": number(group["max_rel_error"].max(), 2)}
            for layers, group in stats.groupby("layers", sort=False)]
    return Table(f"{study}_summary", "Gradient check: numerical against backprop",
                 pd.DataFrame(rows), "Seconds for one full gradient (median over checks); "
                 "error: worst over checks.")


def gradcheck(stats: pd.DataFrame, path: Path, threshold: float) -> None:
    """Seconds per full gradient (numerical vs backprop, median over checks) and their max
    relative difference (each check a dot), one row per architecture, smallest on top."""
    order = list(dict.fromkeys(stats.sort_values("parameters")["layers"]))
    times = stats.melt(id_vars=["layers"], value_vars=["numerical_s", "backprop_s"],
                       var_name="method", value_name="seconds")
    times["method"] = times["method"].map({"numerical_s": "numerical (finite differences)",
                                           "backprop_s": "backprop (vectorized)"})
    height = 1.6 + 0.45 * len(order)
    fig, axes = plt.subplots(1, 2, figsize=(12.4, height), sharey=True, layout="constrained")
    sns.barplot(data=times, y="layers", x="seconds", hue="method", order=order, ax=axes[0],
                estimator="median", errorbar=None, orient="y")
    axes[0].set(xscale="log", title="time per full gradient (median)",
                ylabel="layer sizes", xlabel="seconds (log scale)")
    sns.stripplot(data=stats, y="layers", x="max_rel_error", order=order, ax=axes[1], size=7,
                  color="C2", orient="y", jitter=0.1)
    axes[1].axvline(threshold, color="C3", linestyle="--", label=f"agreement threshold {threshold:g}")
    axes[1].set(xscale="log", title="numerical vs backprop gradient",
                xlabel="max relative difference (log scale)", ylabel="")
    for ax in axes:
        plain_log(ax.xaxis)
    legend_outside(fig, [axes[0], axes[1]], None)
    fig.suptitle(f"Gradient check ({len(stats)} checks; one dot per check)")
    save(fig, path)


def section(b) -> None:
    stats = b.attempt("gradient check statistics", lambda: gradcheck_stats(b.study))
    if stats is None:
        return
    b.figure(f"{b.study.name}.png", "Time and error of numerical against backprop gradients.",
             lambda p: gradcheck(stats, p, GRADIENT_TOLERANCE))
    b.table("summary", lambda: gradcheck_table(stats, b.study.name))


def gradients_agree(study: StudyResults | None) -> Claim:
    claim = f"numerical and backprop gradients agree (max relative error < {GRADIENT_TOLERANCE:g})"
    errors = metric(study.ok, "max_rel_error").dropna() if study is not None else pd.Series(dtype=float)
    if errors.empty:
        return no_data(claim, "agree")
    worst = errors.max()
    return Claim(claim, "agree", f"worst {number(worst, 2)} over {len(errors)} checks",
                 verdict(bool(worst < GRADIENT_TOLERANCE)))


CLAIMS = (Check("gradients-agree", gradients_agree),)
