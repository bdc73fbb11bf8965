"""The optimizer and MNIST-1D studies (issue 9): curves against training step, best lr per optimizer.

Steps, not epochs, are the common clock: the datasets differ in size, and the optimizer study's
question is how fast each rule gets somewhere per update. A run's step at the end of epoch e is
e * ceil(n_train / batch_size), with n_train from the dataset's declared shape.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

import nncore
from experiments.config import dataset_shape

from .data import Study
from .figures import facet_lines, save, seeds_note, seeds_per_line, split_frame
from .tables import Table, mean_sd, number

PLAIN_SGD = '{"kind":"sgd","weight_decay":0.0}'  # rows stored before the optimizer column existed
MODEL_NAMES = {"": "logistic regression", "100-100": "MLP 100-100"}


def optimizer_kind(text) -> str:
    """``adam`` from the stored canonical JSON (plain SGD for rows that predate the column)."""
    return json.loads(text if isinstance(text, str) else PLAIN_SGD)["kind"]


def steps_per_epoch(runs: pd.DataFrame) -> pd.Series:
    """ceil(training samples / batch size) per run, from the dataset's declared shape."""
    def steps(row) -> int:
        _, _, n_train = dataset_shape(row["dataset"], json.loads(row["dataset_options"]))
        return math.ceil(n_train / row["batch_size"])
    return runs.apply(steps, axis=1)


def labelled_runs(study: Study) -> pd.DataFrame:
    """The finished runs with ``kind`` (optimizer), ``model`` and ``steps_per_epoch`` columns."""
    runs = study.ok.copy()
    runs["kind"] = runs["optimizer"].map(optimizer_kind)
    runs["model"] = runs["hidden"].map(lambda hidden: MODEL_NAMES.get(hidden, hidden))
    runs["steps_per_epoch"] = steps_per_epoch(runs)
    return runs


def curves_by_step(study: Study, runs: pd.DataFrame) -> pd.DataFrame:
    """Curves of ``runs`` joined with their labels, with ``step`` = epoch * steps per epoch."""
    columns = ["run_id", "dataset", "kind", "model", "lr", "seed", "steps_per_epoch"]
    # the curves' own lr column (the rate of each epoch) gives way to the run's initial lr
    curves = study.curves.drop(columns=["study", "lr"], errors="ignore").merge(runs[columns], on="run_id")
    curves["step"] = curves["epoch"] * curves["steps_per_epoch"]
    return curves


def best_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and optimizer, the lr with the highest mean final validation accuracy over
    seeds (ties: the smaller lr). Columns dataset, kind, lr."""
    means = runs.groupby(["dataset", "kind", "lr"], as_index=False)["final_val_acc"].mean()
    means = means.sort_values(["dataset", "kind", "final_val_acc", "lr"],
                              ascending=[True, True, False, True])
    return means.drop_duplicates(["dataset", "kind"])[["dataset", "kind", "lr"]]


# --- the optimizers study ------------------------------------------------------------------------

def _kind_rank(kinds: pd.Series) -> pd.Series:
    """The order of nncore.OPTIMIZERS (sgd first, adamw last); unknown kinds after them."""
    known = list(nncore.OPTIMIZERS)
    return kinds.map(lambda kind: known.index(kind) if kind in known else len(known))


def curves_at_best_lr(study: Study) -> pd.DataFrame:
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


def optimizer_figure(study: Study, path: Path, column: str, ylabel: str, log: bool) -> list[str]:
    """``column`` against step, a panel per dataset, one line per optimizer at its best lr."""
    curves = curves_at_best_lr(study)
    # The legend's title is the hue column's name: say there which lr belongs to which panel.
    legend = f"optimizer (best lr: {' / '.join(sorted(curves['dataset'].unique()))})"
    curves = curves.rename(columns={"optimizer": legend})
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


def optimizer_table(study: Study) -> Table:
    """Best (over epochs) and final validation accuracy per dataset, optimizer and lr."""
    runs = labelled_runs(study)
    best_epoch = study.curves.groupby("run_id")["val_acc"].max().rename("best_val_acc")
    runs = runs.merge(best_epoch, left_on="run_id", right_index=True, how="left")
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
    epochs = ", ".join(str(e) for e in sorted(runs["epochs_run"].unique()))
    return Table(f"{study.name}_summary", "Optimizers: validation accuracy per optimizer and lr",
                 pd.DataFrame(rows),
                 f"After {epochs} epochs; best val acc is each run's highest over epochs, final the "
                 "last; mean ± sd (ddof=1) over the seeds that finished. Best lr: the highest mean "
                 "final validation accuracy of its optimizer on that dataset.")


def optimizers_section(b) -> None:
    """The ``optimizers`` study's report section (``b`` is a reports.build.SectionBuilder)."""
    name = b.study.name
    if b.has("curves", "step curves"):
        b.figure(f"{name}_train_loss.png", "Training loss against step, each optimizer at its best "
                 "learning rate, faceted by dataset.",
                 lambda p: optimizer_figure(b.study, p, "train_loss", "training cross-entropy (log scale)",
                                            log=True))
        b.figure(f"{name}_val_acc.png", "Validation accuracy against step, each optimizer at its best "
                 "learning rate, faceted by dataset.",
                 lambda p: optimizer_figure(b.study, p, "val_acc", "validation accuracy", log=False))
        b.table("summary", lambda: optimizer_table(b.study))


# --- the MNIST-1D paper's table -------------------------------------------------------------------

def mnist1d_figure(study: Study, path: Path) -> list[str]:
    """Training and test accuracy against step, one colour per model."""
    curves = curves_by_step(study, labelled_runs(study))
    long = split_frame(curves, {"train_acc": "training", "val_acc": "test"},
                       ["run_id", "seed", "step", "model"])
    note = seeds_note(seeds_per_line(long, ["model"]))
    fig, axes = facet_lines(long, "step", "value", hue="model", style="split", log_y=False,
                            ylabel="accuracy", xlabel="training step", panel_size=(7.5, 4.6),
                            panel_title=lambda *_: f"MNIST-1D, Adam lr 1e-2, batch 100\n{note}")
    for ax in np.ravel(axes):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    save(fig, path)
    return list(long["run_id"].unique())


def mnist1d_table(study: Study, published: dict[str, float]) -> Table:
    """Test accuracy per model, ours (mean ± sd over seeds) beside the paper's."""
    runs = labelled_runs(study)
    rows = []
    for model, group in runs.groupby("model"):
        accuracy = 100 * group["final_val_acc"]
        rows.append({"model": model, "layer sizes": "-".join(map(str, group["layer_sizes"].iloc[0])),
                     "seeds": group["seed"].nunique(),
                     "steps": int((group["epochs_run"] * group["steps_per_epoch"]).max()),
                     "test accuracy % (mean ± sd)": mean_sd(accuracy),
                     "min-max %": f"{number(accuracy.min())}-{number(accuracy.max())}",
                     "paper %": number(published.get(model, np.nan))})
    return Table(f"{study.name}_summary", "MNIST-1D: test accuracy against the paper's table",
                 pd.DataFrame(rows), "Test accuracy after the last step (not the best epoch); "
                 "mean ± sd (ddof=1) over seeds. Paper: Greydanus (2020), table 1.")


def mnist1d_section(b, published: dict[str, float]) -> None:
    """The ``mnist1d`` study's report section; ``published`` maps model name to the paper's %."""
    if b.has("curves", "step curves"):
        b.figure(f"{b.study.name}_curves.png", "Training loss and test accuracy against step.",
                 lambda p: mnist1d_figure(b.study, p))
    b.table("summary", lambda: mnist1d_table(b.study, published))
