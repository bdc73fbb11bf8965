"""The conformance kit: the checks every engine, nncore's own included, must pass.

Each check runs over small seeded random networks (``cases``): several shapes and every
activation, output, loss, dtype and reduction the engine ``supports``, every value at least once.
A check returns the worst error over what it compares and the tolerance it allows; an engine that
raises fails the check with the exception's one-line message. ``run_kit`` runs them all and
``format_table`` prints the table ``nnstudy check-engine`` shows. The references are nncore's
``numerical`` engine (finite differences in float64) and ``vectorized``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..gradcheck import relative_error
from ..losses import LOSSES
from ..optimizers import OPTIMIZERS, make_optimizer
from . import backprop, engine_label, get_engine, zero_gradients
from .base import SUPPORT_KEYS
from .kit_cases import (BATCH_ROWS, DOMAIN, KINK, REDUCTIONS, SHAPES, TRAINING_BATCH,  # noqa: F401
                        TRAINING_ROWS, Case, allowed, cases, compatible)
from .kit_guards import CheckTimeout, NotFinite, require_finite, time_limit
from .plugins import supports_of

# Relative errors (to the largest entry of the whole gradient or parameter vector) allowed against
# ``vectorized`` in the engine's dtype; finite differences carry ~1e-10 of noise in float64.
TOLERANCE = {"float64": 1e-6, "float32": 1e-4}
NUMERICAL_TOLERANCE = {"float64": 1e-6, "float32": 1e-3}
# The whole-epoch hook against the same engine's per-batch steps: the same math, so tighter.
HOOK_TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


@dataclass
class Outcome:
    """One check on one case: the worst error, the tolerance, and a note (why it failed, or why
    it does not apply)."""

    check: str
    configuration: str
    worst_error: float
    tolerance: float
    note: str = ""

    @property
    def passed(self) -> bool:
        # A NaN compares False with everything: only a finite error within tolerance passes.
        return (not self.note.startswith("raised") and math.isfinite(self.worst_error)
                and self.worst_error <= self.tolerance)


def _flat(grads) -> np.ndarray:
    return np.concatenate([np.ravel(g).astype(np.float64) for pair in grads for g in pair])


def _loss_error(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


# --- the checks: each (engine, fresh, case) -> (worst error, tolerance[, note]); fresh() makes
# a new instance of the engine ----------------
def gradients_vs_numerical(engine, fresh, case):
    """Gradient and loss against central finite differences, in float64 when supported."""
    dtype = "float64" if "float64" in allowed(supports_of(engine), "dtype") else case.dtype
    net = case.network(dtype)
    X, Y = case.batch(net)
    loss, grads = backprop(net, X, Y, engine=engine, reduction=case.reduction)
    require_finite("loss", loss)
    require_finite("gradient", _flat(grads))
    reference_loss, reference = backprop(net, X, Y, engine="numerical", reduction=case.reduction)
    error = max(relative_error(_flat(grads), _flat(reference)), _loss_error(loss, reference_loss))
    return error, NUMERICAL_TOLERANCE[dtype]


def _summed(engine, net, X, Y, scale):
    """``summed_gradients`` into a buffer filled with NaN: an engine must overwrite, not add.
    ``NotFinite`` when the loss or a gradient entry is not finite, saying whether the same call
    into a zeroed buffer gives finite gradients (the engine adds into the buffer)."""
    grads = np.full_like(zero_gradients(net), np.nan)
    loss_sum = float(engine.summed_gradients(net, X, Y, grads, compute_loss=True, scale=scale))
    require_finite("loss", loss_sum)
    if not np.isfinite(grads).all():
        zeroed = zero_gradients(net)
        engine.summed_gradients(net, X, Y, zeroed, compute_loss=True, scale=scale)
        hint = ("; finite into a zeroed buffer: the engine adds into the buffer it is given "
                "instead of overwriting it") if np.isfinite(zeroed).all() else ""
        require_finite("gradient", grads, hint)
    return loss_sum, grads


def gradients_vs_vectorized(engine, fresh, case, rows: int | None = None):
    """``summed_gradients`` (scaled, into a NaN-filled buffer) and its loss against vectorized's,
    on a batch of several rows (or ``rows``), in the case's dtype."""
    rows = rows or case.rows
    net = case.network()
    X, Y = case.batch(net, rows)
    scale = 0.75 / rows if case.reduction == "mean" else 0.75
    loss, grads = _summed(engine, net, X, Y, scale)
    reference_loss, reference = _summed(get_engine("vectorized"), net, X, Y, scale)
    error = max(relative_error(grads, reference), _loss_error(loss, reference_loss))
    return error, TOLERANCE[case.dtype]


def batch_of_one(engine, fresh, case):
    """As ``gradients_vs_vectorized`` on a single row."""
    return gradients_vs_vectorized(engine, fresh, case, 1)


def purity(engine, fresh, case):
    """``backprop`` leaves the network's parameters and the inputs unchanged."""
    net = case.network()
    X, Y = case.batch(net)
    before = [net.flat_params().copy(), X.copy(), Y.copy()]
    params = list(net.params)
    backprop(net, X, Y, engine=engine, reduction=case.reduction)
    after = [net.flat_params(), X, Y]
    changed = max(float(np.max(np.abs(a.astype(np.float64) - b), initial=0.0))
                  for a, b in zip(after, before))
    rebound = sum(p is not q for p, q in zip(net.params, params))
    return changed + rebound, 0.0


def dtype_kept(engine, fresh, case):
    """After backprop and a training epoch the parameters, gradients and outputs keep the dtype:
    the worst error counts the arrays of another dtype."""
    from ..train import train

    net = case.network()
    X, Y = case.batch(net)
    _, grads = backprop(net, X, Y, engine=engine, reduction=case.reduction)
    train(net, *case.batch(net, TRAINING_ROWS), epochs=1, batch_size=TRAINING_BATCH, lr=1e-3,
          engine=engine, reduction=case.reduction, shuffle=False)
    arrays = [g for pair in grads for g in pair] + [net.flat_params(), net.forward(X)]
    arrays += [p for pair in net.params for p in pair]
    return float(sum(np.asarray(a).dtype != net.dtype for a in arrays)), 0.0


def determinism(engine, fresh, case):
    """The same call twice, and once more on a fresh engine, gives the same bits."""
    net = case.network()
    X, Y = case.batch(net)
    scale = 1.0 / case.rows if case.reduction == "mean" else 1.0
    first = _summed(engine, net, X, Y, scale)[1]
    second = _summed(engine, net, X, Y, scale)[1]
    third = _summed(fresh(), net, X, Y, scale)[1]
    return max(float(np.max(np.abs(first - other), initial=0.0)) for other in (second, third)), 0.0


# Training checks: TRAINING_ROWS = 11 rows in batches of five, so that the last batch holds one
# row; the batch shapes are those of the gradient checks (five rows, one row), which spares an
# engine that compiles per shape (jax) compiles of shapes no other check uses.
def training_vs_vectorized(engine, fresh, case):
    """Three shuffled epochs of ``nncore.train`` (the whole-epoch hook if the engine has one)
    against vectorized's, from the same network and seed: final parameters and losses."""
    from ..train import train

    lr = 0.05 if case.reduction == "mean" else 0.0125
    results = []
    for candidate in (engine, "vectorized"):
        net = case.network()
        X, Y = case.batch(net, TRAINING_ROWS)
        history = train(net, X, Y, epochs=3, batch_size=TRAINING_BATCH, lr=lr, engine=candidate,
                        reduction=case.reduction, seed=case.seed)
        require_finite("training loss", history.train_loss)
        require_finite("parameter after training", net.flat_params())
        results.append((net.flat_params().astype(np.float64), np.array(history.train_loss)))
    (params, losses), (reference, reference_losses) = results
    return max(relative_error(params, reference), relative_error(losses, reference_losses)), \
        TOLERANCE[case.dtype]


# The update rules ``train_epoch_hook`` runs: every kind at its defaults, and coupled weight
# decay on each kind whose default has none (plain SGD then stops folding into the gradient).
HOOK_OPTIMIZERS = tuple({"kind": kind} for kind in OPTIMIZERS) + tuple(
    {"kind": kind, "weight_decay": 0.01} for kind, rule in OPTIMIZERS.items()
    if rule.defaults.get("weight_decay", 0.0) == 0.0)
HOOK_EPOCHS = 2  # the second epoch starts from the state the first one left


def _hook_order(case: Case, epoch: int, n: int) -> np.ndarray | None:
    """The batches' order of each epoch of the hook checks: a seeded permutation first (the
    rows gathered by the hook), then consecutive rows (None)."""
    return np.random.default_rng(case.seed).permutation(n) if epoch == 0 else None


def optimizer_label(settings: dict) -> str:
    """``adam``, ``sgd(weight_decay=0.01)``: an optimizer as the kit's table names it."""
    extra = ", ".join(f"{k}={v:g}" for k, v in settings.items() if k != "kind")
    return f"{settings['kind']}({extra})" if extra else settings["kind"]


def _optimizer_epochs(engine, case: Case, settings: dict, hooked: bool):
    """``HOOK_EPOCHS`` epochs of one optimizer from a fresh network, in ``_hook_order``, through
    the engine's ``train_epoch`` (``hooked``) or ``nncore.train_step`` batch by batch on the
    rows in that order: (network, optimizer, what each hook call returned)."""
    from ..train import train_step

    lr = 0.01 if case.reduction == "mean" else 0.0025
    net = case.network()
    X, Y = case.batch(net, TRAINING_ROWS)
    optimizer, grads, took = make_optimizer(settings, net.flat_params(), lr), zero_gradients(net), []
    for epoch in range(HOOK_EPOCHS):
        order = _hook_order(case, epoch, X.shape[0])
        if hooked:
            took.append(bool(engine.train_epoch(net, X, Y, TRAINING_BATCH, optimizer,
                                                case.reduction, grads, order)))
            continue
        for start in range(0, X.shape[0], TRAINING_BATCH):
            rows = slice(start, start + TRAINING_BATCH) if order is None else order[start:start + TRAINING_BATCH]
            train_step(net, engine, X[rows], Y[rows], grads, optimizer, case.reduction)
    return net, optimizer, took


def _rule_error(hooked, stepped) -> float:
    """Relative error of one optimizer's state vectors against another's, plus the difference
    of their step counts."""
    errors = [relative_error(hooked.state[name], stepped.state[name]) for name in stepped.state_names]
    return max(errors, default=0.0) + abs(hooked.steps - stepped.steps)


def train_epoch_hook(engine, fresh, case):
    """``train_epoch`` with every optimizer kind of ``nncore.OPTIMIZERS`` (``HOOK_OPTIMIZERS``),
    two epochs (a shuffled order, then consecutive rows), against the same engine's per-batch
    ``nncore.train_step``s on the same rows: parameters, state vectors and step counts. An optimizer the hook declines (returns False) must find itself and
    the network as they were."""
    if getattr(engine, "train_epoch", None) is None:
        return 0.0, HOOK_TOLERANCE[case.dtype], "no train_epoch: not applicable"
    worst, declined = 0.0, []
    for settings in HOOK_OPTIMIZERS:
        net, rule, took = _optimizer_epochs(engine, case, settings, hooked=True)
        if any(took) and not all(took):  # an engine takes an optimizer or not, not by the epoch
            return math.inf, 0.0, f"{optimizer_label(settings)}: train_epoch returned {took}"
        if not any(took):  # declined: nothing may have moved
            fresh_rule = type(rule)(case.network().flat_params(), rule.lr, **rule.hyperparameters)
            error = relative_error(net.flat_params(), case.network().flat_params()) + \
                _rule_error(rule, fresh_rule)
            declined.append(optimizer_label(settings))
        else:
            stepped_net, stepped_rule, _ = _optimizer_epochs(engine, case, settings, hooked=False)
            error = max(relative_error(net.flat_params(), stepped_net.flat_params()),
                        _rule_error(rule, stepped_rule))
        worst = max(worst, error)
    note = f"declined {', '.join(declined)}" if declined else ""
    return worst, HOOK_TOLERANCE[case.dtype], note


def evaluate_hook(engine, fresh, case):
    """``evaluate`` (the mean loss and accuracy ``nncore.train`` records) against nncore's NumPy
    evaluation of the same network and rows (``nncore.evaluation``)."""
    from ..evaluation import Evaluation

    if getattr(engine, "evaluate", None) is None:
        return 0.0, HOOK_TOLERANCE[case.dtype], "no evaluate: not applicable"
    net = case.network()
    X, Y = case.batch(net, TRAINING_ROWS)
    (loss, accuracy), (reference, reference_accuracy) = Evaluation(net, engine)(X, Y), Evaluation(net)(X, Y)
    error = relative_error(np.array([loss]), np.array([reference]))
    same_accuracy = accuracy == reference_accuracy or (np.isnan(accuracy) and np.isnan(reference_accuracy))
    return (error if same_accuracy else math.inf), HOOK_TOLERANCE[case.dtype]


def _outside(supports: dict, key: str, case: Case) -> Case | None:
    """``case`` with ``key`` set to a value outside ``supports`` (output and loss kept a valid
    pair), or None when the engine supports every value of ``key``."""
    others = [v for v in DOMAIN[key] if v not in allowed(supports, key)]
    if not others:
        return None
    changed = replace(case, **{key: others[0]})
    if key == "output" and not compatible(changed.output, changed.loss):
        changed = replace(changed, loss="mse")
    if key == "loss" and LOSSES[changed.loss].requires_output:
        changed = replace(changed, output=LOSSES[changed.loss].requires_output)
    if changed.loss == "cross_entropy" and changed.layer_sizes[-1] < 2:
        changed = replace(changed, layer_sizes=(*changed.layer_sizes[:-1], 2))
    return changed


def unsupported_refused(engine, fresh, case):
    """Each value outside ``supports`` is refused by ``backprop`` and ``train`` with a ValueError
    naming the engine, the key and the value; the worst error counts those not refused so."""
    from ..train import train

    supports, missed, tried = supports_of(engine), 0, []
    for key in SUPPORT_KEYS:
        outside = _outside(supports, key, case)
        if outside is None:
            continue
        value = getattr(outside, key)
        tried.append(f"{key}={value}")
        net = outside.network()
        X, Y = outside.batch(net)
        for call in (lambda: backprop(net, X, Y, engine=engine, reduction=outside.reduction),
                     lambda: train(net, X, Y, epochs=1, batch_size=5, lr=1e-3, engine=engine,
                                   reduction=outside.reduction)):
            try:
                call()
                missed += 1
            except ValueError as error:
                named = (repr(engine_label(engine)), key, repr(value))
                missed += not all(part in str(error) for part in named)
    return float(missed), 0.0, ("refused " + ", ".join(tried)) if tried else "supports every value"


CHECKS = {check.__name__: check for check in (
    gradients_vs_numerical, gradients_vs_vectorized, batch_of_one, purity, dtype_kept,
    determinism, training_vs_vectorized, train_epoch_hook, evaluate_hook, unsupported_refused)}
# Checks that look at the engine's declaration as a whole: run once, not once per case.
ONCE = ("unsupported_refused",)


def _one_case(name: str, instance, fresh, case: Case) -> Outcome:
    """One check on one case; the engine's exception or a non-finite value fails it, named."""
    try:
        worst, tolerance, *note = CHECKS[name](instance, fresh, case)
        if not math.isfinite(worst) and not note:
            note = [f"non-finite error ({worst})"]
    except NotFinite as error:
        worst, tolerance, note = math.nan, 0.0, [str(error)]
    except Exception as error:  # the engine's failure is the check's result, not a crash
        message = str(error).splitlines()[0] if str(error) else ""
        worst, tolerance, note = math.inf, 0.0, [f"raised {type(error).__name__}: {message}"]
    return Outcome(name, case.label, float(worst), tolerance, note[0] if note else "")


def run_check(engine, name: str, timeout: float | None = None) -> list[Outcome]:
    """One check over every case the engine supports; ``engine`` is a name, class or instance
    (``EngineError`` when it cannot be loaded). A check still running after ``timeout`` seconds
    (all its cases together) stops and fails, naming the case it was in."""
    instance = get_engine(engine)
    fresh = (lambda: get_engine(engine)) if isinstance(engine, (str, type)) else \
        (lambda: type(instance)())
    every = cases(supports_of(instance))
    todo = every[:1] if name in ONCE else every
    outcomes: list[Outcome] = []
    try:
        with time_limit(timeout):
            for case in todo:
                outcomes.append(_one_case(name, instance, fresh, case))
    except CheckTimeout:
        left = len(todo) - len(outcomes) - 1
        outcomes.append(Outcome(name, todo[len(outcomes)].label, math.inf, 0.0,
                                f"timed out after {timeout:g} s in this case"
                                + (f"; {left} more cases not run" if left else "")))
    return outcomes


def run_kit(engine, checks=None, timeout: float | None = None) -> list[Outcome]:
    """Every check (or those named in ``checks``) on ``engine``, each within ``timeout`` seconds
    if given; raises only when the engine cannot be loaded (``EngineError``)."""
    get_engine(engine)  # fails here, before any check, when the engine cannot be loaded
    return [outcome for name in (checks or CHECKS) for outcome in run_check(engine, name, timeout)]


def summary(outcomes: list[Outcome]) -> list[Outcome]:
    """Per check, its worst outcome (the first failure, else the largest error relative to its
    tolerance), with ``configuration`` telling how many cases it covered."""
    rows = []
    for name in dict.fromkeys(o.check for o in outcomes):
        mine = [o for o in outcomes if o.check == name]
        failed = [o for o in mine if not o.passed]
        worst = failed[0] if failed else max(mine, key=lambda o: o.worst_error / (o.tolerance or 1.0))
        if failed:
            where = f"{len(failed)} of {len(mine)} failed, e.g. {worst.configuration}"
        elif worst.worst_error > 0:
            where = f"{len(mine)} cases, worst {worst.configuration}"
        else:
            where = f"{len(mine)} cases" if len(mine) > 1 else worst.configuration
        rows.append(replace(worst, configuration=where))
    return rows


def format_table(outcomes: list[Outcome], every_case: bool = False) -> str:
    """The kit's table: check, configuration, worst error, tolerance, pass (one row per check,
    or per check and case with ``every_case``)."""
    rows = outcomes if every_case else summary(outcomes)
    width = max([len(r.configuration) for r in rows] + [13])
    lines = [f"{'check':<24} {'configuration':<{width}} {'worst error':>11} {'tolerance':>9}  pass"]
    for r in rows:
        lines.append(f"{r.check:<24} {r.configuration:<{width}} {r.worst_error:>11.2e} "
                     f"{r.tolerance:>9.0e}  {'yes' if r.passed else 'NO'}"
                     + (f"  ({r.note})" if r.note else ""))
    return "\n".join(lines)
