"""The optimizer study (issue 9): curves against training step, the best lr per optimizer.

Steps, not epochs, are the common clock: the datasets differ in size, and the study's question is
how fast each rule gets somewhere per update. The step of each recorded epoch is the ``step``
column the runner stores in ``curves``; the report never recounts it from dataset shapes.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import nncore

from ..claims import epochs_text
from ..data import StudyResults
from ..interactive.curves import Chart, curve_chart
from ..plotting import PercentFormatter, facet_lines, save, seeds_note, seeds_per_line
from ..tables import Table, mean_sd, number

TITLE = "Optimizers"
ORDER = 80

PLAIN_SGD = '{"kind":"sgd","weight_decay":0.0}'  # rows stored before the optimizer column existed
MODEL_NAMES = {"": "logistic regression", "100-100": "MLP 100-100"}


def optimizer_kind(text) -> str:
    """``adam`` from the stored canonical JSON (plain SGD for rows that predate the column)."""
    return json.loads(text if isinstance(text, str) else PLAIN_SGD)["kind"]


def labelled_runs(study: StudyResults) -> pd.DataFrame:
    """The finished runs with ``kind`` (optimizer) and ``model`` columns."""
    runs = study.ok.copy()
    runs["kind"] = runs["optimizer"].map(optimizer_kind)
    runs["model"] = runs["hidden"].map(lambda hidden: MODEL_NAMES.get(hidden, hidden))
    return runs


def curves_by_step(study: StudyResults, runs: pd.DataFrame) -> pd.DataFrame:
    """Curves of ``runs`` joined with their labels; ``step``: the stored optimizer steps taken by
    the end of each recorded epoch."""
    if "step" not in study.curves or study.curves["step"].isna().all():
        raise ValueError("the curves table has no step column (results older than the step count)")
    columns = ["run_id", "dataset", "kind", "model", "lr", "seed"]
    # the curves' own lr column (the rate of each epoch) gives way to the run's initial lr
    curves = study.curves.drop(columns=["study", "lr"], errors="ignore").merge(runs[columns], on="run_id")
    return curves[curves["step"].notna()]


def best_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and optimizer, the lr with the highest mean final validation accuracy over
    seeds (ties: the smaller lr). Columns dataset, kind, lr."""
    means = runs.groupby(["dataset", "kind", "lr"], as_index=False)["final_val_acc"].mean()
    means = means.sort_values(["dataset", "kind", "final_val_acc", "lr"],
                              ascending=[True, True, False, True])
    return means.drop_duplicates(["dataset", "kind"])[["dataset", "kind", "lr"]]


def _kind_rank(kinds: pd.Series) -> pd.Series:
    """The order of nncore.OPTIMIZERS (sgd first, adamw last); unknown kinds after them."""
    known = list(nncore.OPTIMIZERS)
    return kinds.map(lambda kind: known.index(kind) if kind in known else len(known))


def curves_at_best_lr(study: StudyResults) -> pd.DataFrame:
    """Curves of each optimizer's runs at its best lr per dataset, with an ``optimizer`` label
    naming the kind and its best lr per dataset in sorted dataset order (``adam (lr 0.01 /
    0.003)``), ordered as nncore.OPTIMIZERS, so that one optimizer keeps one colour in every panel."""
    runs = labelled_runs(study)
    best = best_lr(runs)
    curves = curves_by_step(study, runs.merge(best, on=["dataset", "kind", "lr"]))
    lrs = best.sort_values("dataset").groupby("kind", sort=False)["lr"].agg(
        lambda values: " / ".join(f"{lr:g}" for lr in values))
    kinds = sorted(lrs.index, key=lambda kind: _kind_rank(pd.Series([kind]))[0])
    labels = {kind: f"{kind} (lr {lrs[kind]})" for kind in kinds}
    curves["optimizer"] = pd.Categorical(curves["kind"].map(labels), categories=[labels[k] for k in kinds])
    return curves


def legend_curves(study: StudyResults) -> tuple[pd.DataFrame, str]:
    """``curves_at_best_lr`` with the optimizer column renamed to the legend's title (the hue
    column's name titles the legend: it says there which lr belongs to which panel), and that title."""
    curves = curves_at_best_lr(study)
    legend = f"optimizer (best lr: {' / '.join(sorted(curves['dataset'].unique()))})"
    return curves.rename(columns={"optimizer": legend}), legend


def optimizer_chart(study: StudyResults, column: str, title: str, log: bool) -> Chart:
    """The interactive companion of ``optimizer_figure``'s figure of ``column``."""
    curves, legend = legend_curves(study)
    return curve_chart(curves, "step", title, x_title="training step", cols="dataset", hue=legend,
                       log_y=log, value=column, title=f"{title[0].upper()}{title[1:]} against step")


def optimizer_figure(study: StudyResults, path: Path, column: str, ylabel: str, log: bool) -> list[str]:
    """``column`` against step, a panel per dataset, one line per optimizer at its best lr."""
    curves, legend = legend_curves(study)
    fig, axes = facet_lines(curves, "step", column, cols="dataset", hue=legend, log_y=log,
                            ylabel=ylabel, xlabel="training step", panel_title=lambda col, _: col,
                            palette="tab10")
    if not log:
        for ax in np.ravel(axes):
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    what = ylabel.removesuffix(" (log scale)")
    fig.suptitle(f"{what[0].upper()}{what[1:]} against step\n"
                 f"{seeds_note(seeds_per_line(curves, ['dataset', legend]))}")
    save(fig, path)
    return list(curves["run_id"].unique())


def optimizer_table(study: StudyResults) -> Table:
    """Best (over epochs) and final validation accuracy per dataset, optimizer and lr."""
    runs = labelled_runs(study)
    runs["best_val_acc"] = runs["run_id"].map(study.curves.groupby("run_id")["val_acc"].max())
    chosen = set(map(tuple, best_lr(runs).to_numpy()))
    stored = study.runs.assign(kind=study.runs["optimizer"].map(optimizer_kind))
    rows = []
    # Every stored group shows, also one whose runs all diverged (its accuracies are then dashes).
    for (dataset, _, kind, lr), group in stored.assign(rank=_kind_rank(stored["kind"])).groupby(
            ["dataset", "rank", "kind", "lr"]):
        ok = runs[runs["run_id"].isin(group["run_id"])]
        not_ok = group.loc[group["status"] != "ok", "status"].value_counts()
        rows.append({"dataset": dataset, "optimizer": kind, "lr": number(lr),
                     "best lr": "yes" if (dataset, kind, lr) in chosen else "",
                     "seeds": ok["seed"].nunique(),
                     "not finished": ", ".join(f"{n} {status}" for status, n in not_ok.items()) or "—",
                     "best val acc % (mean ± sd)": mean_sd(100 * ok["best_val_acc"]),
                     "final val acc % (mean ± sd)": mean_sd(100 * ok["final_val_acc"]),
                     "final train loss (mean ± sd)": mean_sd(ok["final_train_loss"])})
    return Table(f"{study.name}_summary", "Optimizers: validation accuracy per optimizer and lr",
                 pd.DataFrame(rows),
                 f"After {epochs_text(runs)} epochs; best val acc is each run's highest over epochs, final the "
                 "last; mean ± sd (ddof=1) over the seeds that finished. Best lr: the highest mean "
                 "final validation accuracy of its optimizer on that dataset.")


def section(b) -> None:
    """The ``optimizers`` study's section (``b`` is a ``reports.sections.SectionBuilder``)."""
    name = b.study.name
    if b.has("curves", "step curves"):
        b.figure(f"{name}_train_loss.png", "Training loss against step, each optimizer at its best "
                 "learning rate, faceted by dataset.",
                 lambda p: optimizer_figure(b.study, p, "train_loss", "training cross-entropy (log scale)",
                                            log=True),
                 lambda: optimizer_chart(b.study, "train_loss", "training cross-entropy", log=True))
        b.figure(f"{name}_val_acc.png", "Validation accuracy against step, each optimizer at its best "
                 "learning rate, faceted by dataset.",
                 lambda p: optimizer_figure(b.study, p, "val_acc", "validation accuracy", log=False),
                 lambda: optimizer_chart(b.study, "val_acc", "validation accuracy", log=False))
        b.table("summary", lambda: optimizer_table(b.study))
