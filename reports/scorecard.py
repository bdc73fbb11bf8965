"""The reproduction scorecard: each published claim, its published value, ours, and whether it holds.

A claim whose study (or metric) is absent is listed as ``no data``, never dropped, so that a reader
sees what was not checked. Tolerances are stated in the claim text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .data import Study, metric
from .optimizers import MODEL_NAMES
from .tables import Table, mean_sd, number

GRADIENT_TOLERANCE = 1e-6      # max relative error between numerical and backprop gradients
RANDOM_REGRESSION_ZERO = 1e-3  # "driven to ~0"
PEOPLE_TOLERANCE = 0.05        # absolute, on the predicted probability of being female
FINAL_FACTOR = 2.0             # published MSE reproduced within this factor either way
MNIST1D_POINTS = 3.0           # published test accuracy reproduced within this many points
MNIST1D_PUBLISHED = {"logistic regression": 32.0, "MLP 100-100": 68.0}  # Greydanus (2020), table 1
MNIST1D_HIDDEN = {name: hidden for hidden, name in MODEL_NAMES.items()}  # model -> runs' hidden


@dataclass
class Claim:
    claim: str
    published: str
    ours: str
    holds: str  # "yes", "no" or "no data"


def _seeds(count: int) -> str:
    return f"{count} seed" if count == 1 else f"{count} seeds"


def _verdict(holds: bool) -> str:
    return "yes" if holds else "no"


def _no_data(claim: str, published: str) -> Claim:
    return Claim(claim, published, "—", "no data")


def ordering(study: Study | None, by: str, claim: str, published: str) -> Claim:
    """Mean final training loss over seeds must fall strictly as ``by`` grows."""
    if study is None:
        return _no_data(claim, published)
    means = study.ok.groupby(by)["final_train_loss"].mean().sort_index()
    if len(means) < 2 or not np.isfinite(means).all():
        return _no_data(claim, published)
    holds = bool(np.all(np.diff(means.to_numpy()) < 0))
    epochs = ", ".join(str(e) for e in sorted(study.ok["epochs_run"].unique()))
    parts = [f"{by} {level}: {mean_sd(group)}"
             for level, group in study.ok.groupby(by)["final_train_loss"]]
    ours = f"after {epochs} epochs, mean ± sd: " + "; ".join(parts)
    return Claim(claim, published, ours, _verdict(holds))


def within_factor(study: Study | None, column: str, published_value: float, claim: str) -> Claim:
    published = f"{published_value:g}"
    if study is None or not np.isfinite(study.ok[column]).any():
        return _no_data(claim, published)
    ours = study.ok[column].mean()
    ratio = ours / published_value
    holds = 1 / FINAL_FACTOR <= ratio <= FINAL_FACTOR
    epochs = ", ".join(str(e) for e in sorted(study.ok["epochs_run"].unique()))
    text = (f"{mean_sd(study.ok[column])} after {epochs} epochs (mean ± sd of "
            f"{_seeds(study.ok[column].notna().sum())}; mean {number(ratio, 2)}x published)")
    return Claim(claim, published, text, _verdict(holds))


def _task(classics: Study | None, dataset: str) -> pd.DataFrame | None:
    if classics is None:
        return None
    runs = classics.ok[classics.ok["dataset"] == dataset]
    return runs if len(runs) else None


def xor_solved(classics: Study | None) -> Claim:
    """The tutorial showed one run solving XOR; a 2-3-1 ReLU net can also lose units to the dead
    side of ReLU and stall, so the claim is that training *can* solve it, and "ours" says how
    often it does."""
    claim = "XOR (2-3-1 ReLU, lr 0.01, full batch) can be solved within 10,000 steps"
    published = "solved, in 3,315 steps (one run)"
    runs = _task(classics, "xor")
    solved = metric(runs, "solved").dropna() if runs is not None else pd.Series(dtype=float)
    if solved.empty:
        return _no_data(claim, published)
    steps = metric(runs, "steps_to_solve").dropna()
    ours = f"solved by {int(solved.sum())} of {_seeds(len(solved))}"
    if len(steps):
        ours += f", median {int(steps.median()):,} steps"
    return Claim(claim, published, ours, _verdict(bool(solved.any())))


def person(classics: Study | None, key: str, published_value: float) -> Claim:
    claim = (f"people: {key.capitalize()}'s predicted probability of being female "
             f"(within ±{PEOPLE_TOLERANCE:g})")
    published = f"~{published_value:g}"
    runs = _task(classics, "people")
    values = metric(runs, key).dropna() if runs is not None else pd.Series(dtype=float)
    if values.empty:
        return _no_data(claim, published)
    holds = abs(values.mean() - published_value) <= PEOPLE_TOLERANCE
    return Claim(claim, published, f"{mean_sd(values)} (mean ± sd of {_seeds(len(values))})",
                 _verdict(holds))


def random_regression(classics: Study | None) -> Claim:
    claim = f"random regression (1000-100-10) training loss driven to ~0 (< {RANDOM_REGRESSION_ZERO:g})"
    runs = _task(classics, "random_regression")
    if runs is None or not np.isfinite(runs["final_train_loss"]).any():
        return _no_data(claim, "~0")
    loss = runs["final_train_loss"].mean()
    return Claim(claim, "~0", f"{mean_sd(runs['final_train_loss'])} (mean ± sd of "
                              f"{_seeds(len(runs))})",
                 _verdict(bool(loss < RANDOM_REGRESSION_ZERO)))


def gradients_agree(gradcheck: Study | None) -> Claim:
    claim = f"numerical and backprop gradients agree (max relative error < {GRADIENT_TOLERANCE:g})"
    if gradcheck is None:
        return _no_data(claim, "agree")
    errors = metric(gradcheck.ok, "max_rel_error").dropna()
    if errors.empty:
        return _no_data(claim, "agree")
    worst = errors.max()
    return Claim(claim, "agree", f"worst {number(worst, 2)} over {len(errors)} checks",
                 _verdict(bool(worst < GRADIENT_TOLERANCE)))


def mnist1d_accuracy(study: Study | None, model: str) -> Claim:
    """The paper's test accuracy for ``model``, held when our mean is within MNIST1D_POINTS."""
    published_value = MNIST1D_PUBLISHED[model]
    claim = (f"MNIST-1D {model} ({'40-100-100-10' if MNIST1D_HIDDEN[model] else '40-10'}, Adam "
             f"lr 1e-2, batch 100, 8,000 steps): test accuracy within {MNIST1D_POINTS:g} points")
    published = f"{published_value:g}%"
    if study is None:
        return _no_data(claim, published)
    runs = study.ok[study.ok["hidden"] == MNIST1D_HIDDEN[model]]
    accuracy = 100 * runs["final_val_acc"].dropna()
    if accuracy.empty:
        return _no_data(claim, published)
    epochs = ", ".join(str(e) for e in sorted(runs["epochs_run"].unique()))
    ours = f"{mean_sd(accuracy)}% after {epochs} epochs (mean ± sd of {_seeds(len(accuracy))})"
    return Claim(claim, published, ours,
                 _verdict(bool(abs(accuracy.mean() - published_value) <= MNIST1D_POINTS)))


CLAIMS: tuple[Callable[[dict[str, Study]], Claim], ...] = (
    lambda s: ordering(s.get("width"), "width",
                       "width: the wider the hidden layer, the lower the training loss",
                       "wider is lower after 30 epochs"),
    lambda s: ordering(s.get("depth"), "depth",
                       "depth: the deeper the net, the lower the training loss",
                       "deeper is lower after 30 epochs"),
    lambda s: within_factor(s.get("final"), "final_train_loss", 0.00015,
                            f"final model (100-80-50-30-10): training MSE, within {FINAL_FACTOR:g}x"),
    lambda s: within_factor(s.get("final"), "final_val_loss", 0.00016,
                            f"final model (100-80-50-30-10): validation MSE, within {FINAL_FACTOR:g}x"),
    lambda s: xor_solved(s.get("classics")),
    lambda s: person(s.get("classics"), "emily", 0.95),
    lambda s: person(s.get("classics"), "frank", 0.04),
    lambda s: random_regression(s.get("classics")),
    lambda s: gradients_agree(s.get("gradcheck")),
    lambda s: mnist1d_accuracy(s.get("mnist1d"), "logistic regression"),
    lambda s: mnist1d_accuracy(s.get("mnist1d"), "MLP 100-100"),
)


def scorecard(studies: dict[str, Study]) -> list[Claim]:
    """Every claim, judged on the loaded studies (absent ones give ``no data``)."""
    return [judge(studies) for judge in CLAIMS]


def scorecard_table(claims: list[Claim], quick: bool = False) -> Table:
    frame = pd.DataFrame([vars(c) for c in claims])
    held = sum(c.holds == "yes" for c in claims)
    checked = sum(c.holds != "no data" for c in claims)
    return Table("scorecard", "Reproduction scorecard", frame,
                 f"{held} of {checked} checked claims hold; {len(claims) - checked} without data. "
                 "Ours: mean ± sd over the seeds of the finished runs."
                 + (" Judged on --quick smoke runs (few epochs, one seed): not a reproduction."
                    if quick else ""))
