"""The batch-size study: statistical against hardware efficiency.

The same loss costs more epochs at a large batch (fewer, averaged steps) but fewer seconds per
epoch (bigger matrix products); loss against epoch, against optimizer step and against training
seconds shows the trade, and time-to-target turns it into one number per batch size.

Each run is one of two learning-rate rules: the *fixed* lr (the one most batch sizes share) or an
lr *scaled* with the batch; the batch size where the two rules meet is one run and belongs to both.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import cost, plotting
from ..data import StudyResults
from ..interactive.curves import Chart, curve_chart
from ..tables import Table, number

TITLE = "Batch size"
ORDER = 110
FIXED, SCALED = "fixed lr", "lr scaled with batch"
X_AXES = (("epoch", "epoch"), ("step", "optimizer step (log scale)"),
          (cost.SECONDS, "training seconds (log scale)"))


def rules(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, rule) it belongs to, with a ``rule`` column; per dataset, the fixed lr
    is the one most batch sizes share."""
    parts = []
    for _, group in runs.groupby("dataset"):
        fixed_lr = group.groupby("lr")["batch_size"].nunique().idxmax()
        fixed = group["lr"] == fixed_lr
        # the scaled rule's member at the reference batch is the fixed-lr run of that batch
        scaled_batches = set(group.loc[~fixed, "batch_size"])
        reference = group[fixed & ~group["batch_size"].isin(scaled_batches)]
        parts.append(group[fixed].assign(rule=FIXED))
        if (~fixed).any():
            parts.append(pd.concat([group[~fixed], reference]).assign(rule=SCALED))
    return pd.concat(parts, ignore_index=True) if parts else runs.assign(rule=[])


def curves_by_rule(study: StudyResults) -> pd.DataFrame:
    """Curves of finished runs with dataset, batch size, lr, seed, rule and training seconds."""
    curves = study.curves_of_ok_runs(("dataset", "batch_size", "lr", "seed", "loss"))
    curves = cost.with_training_seconds(curves)
    # membership from every stored run: a configuration that diverged still holds its place
    membership = rules(study.runs)[["run_id", "rule"]]
    return curves.merge(membership, on="run_id")


def targets(study: StudyResults) -> dict[str, float]:
    """Per dataset, the target validation loss: the median over configurations (batch size and
    lr) of their mean final validation loss, so about half of the configurations reach it."""
    ok = study.ok[np.isfinite(study.ok["final_val_loss"])]
    finals = ok.groupby(["dataset", "batch_size", "lr"])["final_val_loss"].mean()
    return {dataset: float(values.median()) for dataset, values in finals.groupby("dataset")}


def rule_curves(study: StudyResults, rule: str) -> pd.DataFrame:
    """``curves_by_rule`` of one lr rule; a ValueError naming the rule when it has no runs."""
    curves = curves_by_rule(study)
    curves = curves[curves["rule"] == rule]
    if curves.empty:
        raise ValueError(f"no runs with the rule '{rule}'")
    return curves


def loss_chart(study: StudyResults, rule: str, x: str, x_label: str) -> Chart:
    """The interactive companion of one column of ``loss_figure``'s figure: validation loss
    against ``x`` (one of X_AXES), a panel per dataset, a line per batch size. Against step or
    seconds the means are taken per epoch, at the mean ``x`` there (as the PNG)."""
    curves = rule_curves(study, rule)
    curves = curves if x == "epoch" else curves[curves[x] > 0]
    label = ((lambda batch: f"{batch} (lr {curves.loc[curves['batch_size'] == batch, 'lr'].iloc[0]:g})")
             if rule == SCALED else str)
    return curve_chart(curves, x, "validation loss", x_title=x_label.removesuffix(" (log scale)"),
                       cols="dataset", hue="batch_size", label=label, log_x=x != "epoch",
                       log_y=True, value="val_loss", along=None if x == "epoch" else "epoch",
                       title=f"Batch size ({rule}): validation loss against {x}")


def loss_figure(study: StudyResults, path: Path, rule: str) -> list[str]:
    """Validation loss against epoch, step and training seconds (columns), a row per dataset, a
    line per batch size (mean over seeds); the time-to-target loss is the dotted line."""
    curves = rule_curves(study, rule)
    datasets = sorted(curves["dataset"].unique())
    colors = plotting.level_colors(sorted(curves["batch_size"].unique()))
    goal = targets(study)
    fig, axes = plotting.plt.subplots(len(datasets), len(X_AXES), figsize=(15, 3.9 * len(datasets)),
                                     squeeze=False, sharey="row", layout="constrained")
    for row, dataset in enumerate(datasets):
        rows = curves[curves["dataset"] == dataset]
        lrs = rows.groupby("batch_size")["lr"].first()
        for col, (x, x_label) in enumerate(X_AXES):
            ax = axes[row][col]
            data = rows if x == "epoch" else rows[rows[x] > 0]
            cost.mean_against_seconds(ax, data, "val_loss", "batch_size", colors,
                                      label=lambda b: f"{b} (lr {lrs[b]:g})" if rule == SCALED
                                      else str(b), x=x)
            if dataset in goal:
                ax.axhline(goal[dataset], color="grey", linestyle=":", linewidth=1.2,
                           label="target" if col == 0 else None)
            ax.set_yscale("log")
            plotting.plain_log(ax.yaxis)
            if x != "epoch":
                ax.set_xscale("log")
                plotting.plain_log(ax.xaxis)
            ax.set(xlabel=x_label, title=f"{dataset}: against {x_label.split(' (')[0]}")
        loss = rows["loss"].iloc[0]
        axes[row][0].set_ylabel(f"validation {loss.replace('_', ' ')} (log scale)")
        if row == 0:  # one legend: the rules give every dataset the same lr per batch size
            plotting.legend_outside(fig, axes[0][0], "batch size" + (" (lr)" if rule == SCALED else ""))
    seeds = curves.groupby(["dataset", "batch_size"])["seed"].nunique()
    lr_text = (f"lr {curves['lr'].iloc[0]:g} at every batch size" if rule == FIXED
               else "lr proportional to the batch size")
    fig.suptitle(f"Batch size, {lr_text}: validation loss against epoch, optimizer step and "
                 f"training seconds\nmean over {plotting.seeds_count(seeds)} seeds at each epoch; "
                 "dotted: the time-to-target loss (the median configuration's final loss)")
    plotting.save(fig, path)
    return list(curves["run_id"].unique())


def time_to_target(study: StudyResults) -> pd.DataFrame:
    """Per dataset, rule and batch size: seeds, seeds reaching the target, and the median over
    those of the epoch, optimizer step and training seconds at which validation loss first
    falls to the target."""
    curves = curves_by_rule(study)
    goal = targets(study)
    rows = []
    for (dataset, rule, batch), group in curves.groupby(["dataset", "rule", "batch_size"]):
        target = goal.get(dataset, np.nan)
        reached = group[group["val_loss"] <= target].sort_values("epoch").groupby("run_id").first()
        rows.append({"dataset": dataset, "rule": rule, "batch_size": batch,
                     "lr": group["lr"].iloc[0], "target": target,
                     "seeds": group["run_id"].nunique(), "reached": len(reached),
                     **reached[["epoch", "step", cost.SECONDS]].median().set_axis(  # NaN: none reached
                         ["epochs", "steps", "seconds"]).to_dict()})
    return pd.DataFrame(rows)


def time_to_target_table(study: StudyResults) -> Table:
    frame = time_to_target(study)
    rows = [{"dataset": r.dataset, "lr rule": r.rule, "batch": r.batch_size, "lr": f"{r.lr:g}",
             "target val loss": number(r.target), "reached": f"{r.reached}/{r.seeds}",
             "epochs": number(r.epochs), "steps": f"{int(r.steps):,}" if np.isfinite(r.steps) else "—",
             "seconds": number(r.seconds)}
            for r in frame.sort_values(["dataset", "rule", "batch_size"]).itertuples()]
    return Table(f"{study.name}_time_to_target", "Batch size: time to a target validation loss",
                 pd.DataFrame(rows),
                 "Target per dataset: the median over configurations of their mean final validation "
                 "loss (so about half of them reach it). Epochs, optimizer steps and "
                 "training seconds (evaluation excluded; one run at a time) until the validation loss "
                 "first falls to the target: median over the seeds that reach it; — where none does.")


def section(b) -> None:
    name = b.study.name
    if not b.has("curves", "loss curves"):
        return
    for rule, stem in ((FIXED, "fixed_lr"), (SCALED, "scaled_lr")):
        b.figure(f"{name}_{stem}.png", f"Validation loss against epoch, optimizer step and training "
                 f"seconds, a line per batch size ({rule}).",
                 lambda p, rule=rule: loss_figure(b.study, p, rule),
                 *[lambda rule=rule, x=x, x_label=x_label: loss_chart(b.study, rule, x, x_label)
                   for x, x_label in X_AXES])
    b.table("time to target", lambda: time_to_target_table(b.study))
