"""The reproduction scorecard: each published claim, its published value, ours, and whether it holds.

A claim whose study (or metric) is absent is listed as ``no data``, never dropped, so that a reader
sees what was not checked. Tolerances are stated in the claim text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from . import double_descent, init_study
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
# --- the initialization study: the classic picture, at initialization, mean over seeds ---------
INIT_SATURATED = 0.25     # sigmoid N(0, 1): share saturated in every layer past the first
INIT_COLLAPSE = 0.01      # sigmoid N(0, 0.01): |mean - 0.5| and, times 2, the sd
INIT_SPREAD_SD = 0.05     # Xavier: every layer's sd at least this, and under 2% saturated
INIT_SPREAD_SATURATED = 0.02
INIT_DEAD_UNITS = 0.05    # He: under 5% dead units in every layer, deepest sd >= half the first's


def _layers(values, percent: bool = False) -> str:
    return " / ".join(f"{100 * v:.0f}%" if percent else f"{v:.2g}" for v in values)


def _init_claim(init: Study | None, claim: str, published: str, needed: list[tuple[str, str]],
                judge: Callable[[dict], tuple[bool, str]]) -> Claim:
    """A claim about the per-layer statistics at initialization of the (activation, init)
    pairs in ``needed``; ``judge(picture)`` returns (holds, ours)."""
    picture = init_study.picture(init)
    if picture is None or any(key not in picture for key in needed):
        return _no_data(claim, published)
    holds, ours = judge(picture)
    seeds = int(min(picture[key]["seeds"].min() for key in needed))
    return Claim(claim, published, f"{ours} (layers 1 / ... / {len(picture[needed[0]]['std'])}, "
                                   f"mean of {_seeds(seeds)})", _verdict(holds))


def init_sigmoid_saturates(init: Study | None) -> Claim:
    def judge(p):
        saturated = p[("sigmoid", "N(0, 1)")]["saturated"]
        return bool(np.all(saturated[1:] >= INIT_SATURATED)), f"saturated {_layers(saturated, True)}"
    return _init_claim(init, "init: sigmoid with N(0, 1) weights saturates (at least "
                       f"{100 * INIT_SATURATED:.0f}% of the values within 1% of 0 or 1 in every "
                       "layer past the first)", "activations pile up at 0 and 1",
                       [("sigmoid", "N(0, 1)")], judge)


def init_sigmoid_collapses(init: Study | None) -> Claim:
    def judge(p):
        stats = p[("sigmoid", "N(0, 0.01)")]
        holds = bool(np.all(np.abs(stats["mean"] - 0.5) < INIT_COLLAPSE)
                     and np.all(stats["std"] < 2 * INIT_COLLAPSE))
        return holds, f"mean {_layers(stats['mean'])}, sd {_layers(stats['std'])}"
    return _init_claim(init, "init: sigmoid with N(0, 0.01) weights collapses onto 0.5 (every "
                       f"layer's mean within {INIT_COLLAPSE:g} of 0.5, sd < {2 * INIT_COLLAPSE:g})",
                       "all outputs near 0.5", [("sigmoid", "N(0, 0.01)")], judge)


def init_xavier_spreads(init: Study | None) -> Claim:
    keys = [("sigmoid", "Xavier"), ("tanh", "Xavier")]

    def judge(p):
        holds = all(np.all(p[k]["std"] >= INIT_SPREAD_SD)
                    and np.all(p[k]["saturated"] < INIT_SPREAD_SATURATED) for k in keys)
        return holds, "; ".join(f"{a}: sd {_layers(p[(a, i)]['std'])}, saturated "
                                f"{_layers(p[(a, i)]['saturated'], True)}" for a, i in keys)
    return _init_claim(init, "init: Xavier keeps sigmoid and tanh spread (every layer's sd >= "
                       f"{INIT_SPREAD_SD:g}, < {100 * INIT_SPREAD_SATURATED:.0f}% saturated)",
                       "spread in every layer", keys, judge)


def init_he_keeps_relu_alive(init: Study | None) -> Claim:
    def judge(p):
        he, tiny = p[("relu", "He")], p[("relu", "N(0, 0.01)")]
        holds = bool(np.all(he["dead_units"] < INIT_DEAD_UNITS) and he["std"][-1] >= 0.5 * he["std"][0])
        ours = (f"He: sd {_layers(he['std'])}, dead units {_layers(he['dead_units'], True)}; "
                f"N(0, 0.01) for contrast: sd {_layers(tiny['std'])}, dead units "
                f"{_layers(tiny['dead_units'], True)}")
        return holds, ours
    return _init_claim(init, "init: He keeps ReLU layers from dying (< "
                       f"{100 * INIT_DEAD_UNITS:.0f}% dead units in every layer, deepest sd at "
                       "least half the first's)", "spread kept layer after layer",
                       [("relu", "He"), ("relu", "N(0, 0.01)")], judge)


def double_descent_peaks(study: Study | None) -> Claim:
    """Whatever the curve does is reported; the claim holds only for a peak near the
    interpolation threshold standing above both the valley before it and the widest net."""
    claim = (f"double descent: test error peaks near the interpolation threshold (within "
             f"{double_descent.NEAR_THRESHOLD:g}x of its width) and falls again beyond it (both by "
             f"at least {100 * double_descent.MARGIN:g} points)")
    published = "peak at the interpolation threshold, lower again for wider nets"
    if study is None:
        return _no_data(claim, published)
    try:
        found = double_descent.descent(study)
    except ValueError:
        return _no_data(claim, published)
    return Claim(claim, published, double_descent.summary_text(found), _verdict(found.holds))


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
    lambda s: init_sigmoid_saturates(s.get("init")),
    lambda s: init_sigmoid_collapses(s.get("init")),
    lambda s: init_xavier_spreads(s.get("init")),
    lambda s: init_he_keeps_relu_alive(s.get("init")),
    lambda s: double_descent_peaks(s.get("double_descent")),
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
