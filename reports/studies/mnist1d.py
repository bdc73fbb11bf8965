"""MNIST-1D: the paper's two models (Greydanus 2020, table 1), their accuracy against step and
the published test accuracy they should reproduce."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..claims import Check, Claim, epochs_text, no_data, seeds_text, verdict
from ..data import StudyResults
from ..interactive.curves import curve_chart
from ..plotting import PercentFormatter, facet_lines, save, seeds_note, seeds_per_line, split_frame
from ..tables import Table, mean_sd, number
from .optimizers import MODEL_NAMES, curves_by_step, labelled_runs

TITLE = "MNIST-1D (the paper's table)"
ORDER = 90
MNIST1D_POINTS = 3.0  # published test accuracy reproduced within this many points
MNIST1D_PUBLISHED = {"logistic regression": 32.0, "MLP 100-100": 68.0}  # Greydanus (2020), table 1
MNIST1D_HIDDEN = {name: hidden for hidden, name in MODEL_NAMES.items()}  # model -> runs' hidden


def accuracy_frame(study: StudyResults) -> pd.DataFrame:
    """Long form: run_id, seed, step, model, split (training, test), value (accuracy)."""
    curves = curves_by_step(study, labelled_runs(study))
    return split_frame(curves, {"train_acc": "training", "val_acc": "test"},
                       ["run_id", "seed", "step", "model"])


def mnist1d_figure(study: StudyResults, path: Path) -> list[str]:
    """Training and test accuracy against step, one colour per model."""
    long = accuracy_frame(study)
    note = seeds_note(seeds_per_line(long, ["model"]))
    fig, axes = facet_lines(long, "step", "value", hue="model", style="split", log_y=False,
                            ylabel="accuracy", xlabel="training step", panel_size=(7.5, 4.6),
                            panel_title=lambda *_: f"MNIST-1D, Adam lr 1e-2, batch 100\n{note}")
    for ax in np.ravel(axes):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    save(fig, path)
    return list(long["run_id"].unique())


def _steps(study: StudyResults, run_ids) -> str:
    """The most optimizer steps any of ``run_ids`` took, from the curves' stored step count."""
    if study.curves is None or "step" not in study.curves:
        return "—"
    steps = study.curves.loc[study.curves["run_id"].isin(run_ids), "step"].dropna()
    return f"{int(steps.max())}" if len(steps) else "—"


def mnist1d_table(study: StudyResults, published: dict[str, float]) -> Table:
    """Test accuracy per model, ours (mean ± sd over seeds) beside the paper's."""
    runs = labelled_runs(study)
    rows = []
    for model, group in runs.groupby("model"):
        accuracy = 100 * group["final_val_acc"]
        rows.append({"model": model, "layer sizes": "-".join(map(str, group["layer_sizes"].iloc[0])),
                     "seeds": group["seed"].nunique(),
                     "steps": _steps(study, group["run_id"]),
                     "test accuracy % (mean ± sd)": mean_sd(accuracy),
                     "min-max %": f"{number(accuracy.min())}-{number(accuracy.max())}",
                     "paper %": number(published.get(model, np.nan))})
    return Table(f"{study.name}_summary", "MNIST-1D: test accuracy against the paper's table",
                 pd.DataFrame(rows), "Test accuracy after the last step (not the best epoch); "
                 "mean ± sd (ddof=1) over seeds. Paper: Greydanus (2020), table 1.")


def section(b) -> None:
    if b.has("curves", "step curves"):
        b.figure(f"{b.study.name}_curves.png", "Training loss and test accuracy against step.",
                 lambda p: mnist1d_figure(b.study, p),
                 lambda: curve_chart(accuracy_frame(b.study), "step", "accuracy", hue="model",
                                     style="split", x_title="training step",
                                     title="MNIST-1D: accuracy against step"))
    b.table("summary", lambda: mnist1d_table(b.study, MNIST1D_PUBLISHED))


def mnist1d_accuracy(study: StudyResults | None, model: str) -> Claim:
    """The paper's test accuracy for ``model``, held when our mean is within MNIST1D_POINTS."""
    published_value = MNIST1D_PUBLISHED[model]
    claim = (f"MNIST-1D {model} ({'40-100-100-10' if MNIST1D_HIDDEN[model] else '40-10'}, Adam "
             f"lr 1e-2, batch 100, 8,000 steps): test accuracy within {MNIST1D_POINTS:g} points")
    published = f"{published_value:g}%"
    if study is None:
        return no_data(claim, published)
    runs = study.ok[study.ok["hidden"] == MNIST1D_HIDDEN[model]]
    accuracy = 100 * runs["final_val_acc"].dropna()
    if accuracy.empty:
        return no_data(claim, published)
    ours = (f"{mean_sd(accuracy)}% after {epochs_text(runs)} epochs (mean ± sd of "
            f"{seeds_text(len(accuracy))})")
    return Claim(claim, published, ours,
                 verdict(bool(abs(accuracy.mean() - published_value) <= MNIST1D_POINTS)))


CLAIMS = (
    Check("mnist1d-logistic", lambda study: mnist1d_accuracy(study, "logistic regression")),
    Check("mnist1d-mlp", lambda study: mnist1d_accuracy(study, "MLP 100-100")),
)
