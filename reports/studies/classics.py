"""The classic tasks of the tutorial: XOR, the people example, random regression; their final
loss and accuracy, and the tutorial's claims about each."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..claims import Check, Claim, no_data, seeds_text, verdict
from ..data import StudyResults, architecture, metric
from ..plotting import legend_outside, loss_name, plain_log, plt, save, sns, split_frame
from ..tables import Table, mean_sd

TITLE = "Classic tasks"
ORDER = 60
RANDOM_REGRESSION_ZERO = 1e-3  # "driven to ~0"
PEOPLE_TOLERANCE = 0.05        # absolute, on the predicted probability of being female
SPLIT_COLORS = {"train": "C0", "validation": "C1"}


def _task_note(runs: pd.DataFrame) -> str:
    """The task's own metric for a panel title: XOR solved count, people's two predictions."""
    solved = metric(runs, "solved").dropna()
    if len(solved):
        return f"solved in {int(solved.sum())}/{len(solved)} seeds"
    people = [f"{key.capitalize()} {metric(runs, key).mean():.2f}" for key in ("emily", "frank")
              if metric(runs, key).notna().any()]
    return ", ".join(people)


def classics(study: StudyResults, path: Path) -> list[str]:
    """A panel per task with its final loss (own log axis: the tasks' losses differ by orders of
    magnitude), and one panel of final accuracy for the classifiers; a dot per seed."""
    ok = study.ok
    splits = {"final_train_loss": "train", "final_val_loss": "validation"}
    tasks = sorted(ok["dataset"].unique())
    accuracy = split_frame(ok, {"final_train_acc": "train", "final_val_acc": "validation"},
                           ["dataset", "seed"], value="accuracy")
    panels = len(tasks) + (1 if len(accuracy) else 0)
    fig, axes = plt.subplots(1, panels, figsize=(3.3 * panels, 4.6), squeeze=False,
                             layout="constrained")
    for ax, task in zip(axes[0], tasks):
        runs = ok[ok["dataset"] == task]
        loss = split_frame(runs, splits, ["seed"], value="loss")
        sns.stripplot(data=loss, x="split", y="loss", hue="split", palette=SPLIT_COLORS,
                      order=[s for s in splits.values() if s in set(loss["split"])], ax=ax,
                      size=6, jitter=0.15, legend=False)
        note = _task_note(runs)
        ax.set(yscale="log", xlabel="", ylabel=f"final {loss_name(StudyResults(task, runs))} (log scale)",
               title=f"{task.replace('_', ' ')} ({architecture(runs['layer_sizes'].iloc[0])})"
                     + (f"\n{note}" if note else ""))
        plain_log(ax.yaxis)
    if len(accuracy):
        ax = axes[0][-1]
        sns.stripplot(data=accuracy, x="dataset", y="accuracy", hue="split", palette=SPLIT_COLORS,
                      dodge=True, order=sorted(accuracy["dataset"].unique()), ax=ax, size=6,
                      jitter=0.15)
        ax.set(ylim=(0, 1.05), title="accuracy (classifiers)", xlabel="task",
               ylabel="fraction correct")
        legend_outside(fig, ax, "split")
    fig.suptitle(f"Classic tasks: final loss and accuracy, one dot per seed "
                 f"({ok['seed'].nunique()} seeds)")
    save(fig, path)
    return list(ok["run_id"])


def classics_table(study: StudyResults) -> Table:
    """Per task: architecture, final loss and accuracy (mean ± sd over seeds), task metrics."""
    rows = []
    ok = study.ok.assign(arch=study.ok["layer_sizes"].map(architecture))
    for (dataset, arch), group in ok.groupby(["dataset", "arch"], sort=True):
        extras = []
        for key in ("solved", "emily", "frank"):
            values = metric(group, key).dropna()
            if len(values):
                extras.append(f"{key} {mean_sd(values)}" if key != "solved"
                              else f"solved {int(values.sum())}/{len(values)}")
        rows.append({"task": dataset, "layers": arch, "seeds": group["seed"].nunique(),
                     "final train loss": mean_sd(group["final_train_loss"]),
                     "final val loss": mean_sd(group["final_val_loss"]),
                     "train acc": mean_sd(group["final_train_acc"]),
                     "val acc": mean_sd(group["final_val_acc"]),
                     "metrics": "; ".join(extras) or "—"})
    return Table(f"{study.name}_summary", "Classic tasks: final loss and accuracy", pd.DataFrame(rows),
                 "mean ± sd over seeds; accuracy only for classifiers.")


def section(b) -> None:
    b.figure(f"{b.study.name}.png", "Final loss and accuracy per classic task.",
             lambda p: classics(b.study, p))
    b.table("summary", lambda: classics_table(b.study))


def _task(classics: StudyResults | None, dataset: str) -> pd.DataFrame | None:
    if classics is None:
        return None
    runs = classics.ok[classics.ok["dataset"] == dataset]
    return runs if len(runs) else None


def xor_solved(classics: StudyResults | None) -> Claim:
    """The tutorial showed one run solving XOR; a 2-3-1 ReLU net can also lose units to the dead
    side of ReLU and stall, so the claim is that training *can* solve it, and "ours" says how
    often it does."""
    claim = "XOR (2-3-1 ReLU, lr 0.01, full batch) can be solved within 10,000 steps"
    published = "solved, in 3,315 steps (one run)"
    runs = _task(classics, "xor")
    solved = metric(runs, "solved").dropna() if runs is not None else pd.Series(dtype=float)
    if solved.empty:
        return no_data(claim, published)
    steps = metric(runs, "steps_to_solve").dropna()
    ours = f"solved by {int(solved.sum())} of {seeds_text(len(solved))}"
    if len(steps):
        ours += f", median {int(steps.median()):,} steps"
    return Claim(claim, published, ours, verdict(bool(solved.any())))


def person(classics: StudyResults | None, key: str, published_value: float) -> Claim:
    claim = (f"people: {key.capitalize()}'s predicted probability of being female "
             f"(within ±{PEOPLE_TOLERANCE:g})")
    published = f"~{published_value:g}"
    runs = _task(classics, "people")
    values = metric(runs, key).dropna() if runs is not None else pd.Series(dtype=float)
    if values.empty:
        return no_data(claim, published)
    holds = abs(values.mean() - published_value) <= PEOPLE_TOLERANCE
    return Claim(claim, published, f"{mean_sd(values)} (mean ± sd of {seeds_text(len(values))})",
                 verdict(holds))


def random_regression(classics: StudyResults | None) -> Claim:
    claim = f"random regression (1000-100-10) training loss driven to ~0 (< {RANDOM_REGRESSION_ZERO:g})"
    runs = _task(classics, "random_regression")
    if runs is None or not np.isfinite(runs["final_train_loss"]).any():
        return no_data(claim, "~0")
    loss = runs["final_train_loss"].mean()
    return Claim(claim, "~0", f"{mean_sd(runs['final_train_loss'])} (mean ± sd of "
                              f"{seeds_text(len(runs))})",
                 verdict(bool(loss < RANDOM_REGRESSION_ZERO)))


CLAIMS = (
    Check("xor-solved", xor_solved),
    Check("people-emily", lambda study: person(study, "emily", 0.95)),
    Check("people-frank", lambda study: person(study, "frank", 0.04)),
    Check("random-regression-zero", random_regression),
)
