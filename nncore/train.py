"""Mini-batch training with any engine, optimizer and learning-rate schedule.

One path: ``train`` -> per epoch, the engine's ``train_epoch`` hook if it has one (see
``nncore.engines.base.Engine``) -> else ``train_step`` per batch, the one public step.
"""
from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from .engines import engine_for, zero_gradients
from .engines.base import EpochRows
from .evaluation import Evaluation
from .optimizers import Optimizer, make_optimizer
from .schedules import make_schedule


@dataclass
class History:
    """Per-epoch record; index 0 is the state before any training.

    Losses are batch-mean losses over the whole training (validation) set, evaluated after each
    epoch (or each ``evaluate_every``-th, see ``train``). ``lr`` is the learning rate used during
    that epoch (NaN at epoch 0), ``epoch_s`` the wall seconds of its training steps (evaluation
    excluded; 0 at epoch 0), averaged over the epochs since the previous record when not every
    epoch is evaluated. ``step`` is the number of optimizer steps taken by the end of that epoch
    (0 at epoch 0); ``steps`` the running total.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_s: list[float] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    steps: int = 0
    diverged: bool = False

    @property
    def epochs_run(self) -> int:
        return self.epoch[-1] if self.epoch else 0

    def record(self, epoch: int, lr: float, seconds: float, train: tuple[float, float],
               validation: tuple[float, float]) -> None:
        """Append one evaluated epoch: ``train`` and ``validation`` are (mean loss, accuracy);
        a non-finite training loss marks the run diverged."""
        self.epoch.append(epoch)
        self.train_loss.append(train[0])
        self.val_loss.append(validation[0])
        self.train_acc.append(train[1])
        self.val_acc.append(validation[1])
        self.lr.append(lr)
        self.epoch_s.append(seconds)
        self.step.append(self.steps)
        if not np.isfinite(train[0]):
            self.diverged = True

    def as_dict(self) -> dict[str, list]:
        return {name: list(getattr(self, name)) for name in
                ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr", "epoch_s", "step")}


def _positive_int(value, name: str, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check_arguments(epochs, evaluate_every, batch_size, lr, seed) -> tuple[int, int, int]:
    """``train``'s scalar arguments checked: (epochs, evaluate_every, batch_size) as ints."""
    counts = (_positive_int(epochs, "epochs", allow_zero=True),
              _positive_int(evaluate_every, "evaluate_every"), _positive_int(batch_size, "batch_size"))
    if not (isinstance(lr, numbers.Real) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if not (isinstance(seed, numbers.Integral) and seed >= 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return counts


def train_step(net, engine, X: np.ndarray, Y: np.ndarray, grads: np.ndarray, optimizer: Optimizer,
               reduction: str) -> None:
    """One update of ``net`` in place by ``optimizer`` at its current ``lr`` from the batch
    X (n, in), Y (n, out), already validated (``net.check_data``); ``grads`` is a buffer from
    ``nncore.engines.zero_gradients(net)``. The primitive of a training loop of one's own.

    The optimizer sees the batch-mean (``reduction="mean"``) or the summed gradient. Plain SGD
    without weight decay (``optimizer.folds_into_gradient``) is one subtraction: the engine writes
    lr * gradient (the mean's 1/n folded in) straight into ``grads``, laid out like the parameter
    vector.
    """
    if optimizer.folds_into_gradient:
        step = optimizer.lr / X.shape[0] if reduction == "mean" else optimizer.lr
        engine.summed_gradients(net, X, Y, grads, compute_loss=False, scale=step)
        params = net.flat_params()
        params -= grads
        return
    scale = 1.0 / X.shape[0] if reduction == "mean" else 1.0
    engine.summed_gradients(net, X, Y, grads, compute_loss=False, scale=scale)
    optimizer.step(net.flat_params(), grads)


def _epoch(net, engine, X: np.ndarray, Y: np.ndarray, batch_size: int, optimizer: Optimizer,
           reduction: str, grads: np.ndarray, order: np.ndarray | None, rows: EpochRows) -> None:
    """One epoch over the batches of X, Y in ``order``: the engine's ``train_epoch`` hook when it
    has one that takes this optimizer, else ``train_step`` batch by batch on the rows gathered
    into ``rows``' buffers."""
    hook = getattr(engine, "train_epoch", None)
    if hook is not None and hook(net, X, Y, batch_size, optimizer, reduction, grads, order):
        return
    X, Y = rows.of(X, Y, order)
    for start in range(0, X.shape[0], batch_size):
        train_step(net, engine, X[start:start + batch_size], Y[start:start + batch_size], grads,
                   optimizer, reduction)


def _checked_data(net, X, Y, validation):
    """(X, Y, validation) as ``net.check_data`` makes them; ValueError for no samples."""
    X, Y = net.check_data(X, Y)
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one sample")
    if validation is not None:
        validation = net.check_data(*validation, names=("X_val", "Y_val"))
    return X, Y, validation


def train(net, X, Y, epochs: int, batch_size: int, lr: float, schedule=None,
          engine="vectorized", reduction: str = "mean", validation=None,
          shuffle: bool = True, seed: int = 0, callback=None, optimizer="sgd",
          evaluate_every: int = 1) -> History:
    """Train ``net`` in place and return its ``History``.

    Args:
        X, Y: training inputs (n, n_inputs) and targets (n, n_outputs) or class labels (n,).
        epochs: passes over the data (0 only evaluates).
        batch_size: samples per step; the last batch of an epoch may be smaller.
        lr: initial learning rate; ``schedule`` (None, an object or a dict such as
            ``{"kind": "step", "factor": 0.9, "every": 3}``) maps the 0-based epoch to its rate.
        engine: a name of ``nncore.ENGINES``, ``package.module:ClassName``, an entry-point name
            in ``nnstudy.engines``, a class or an instance (``nncore.engines.plugins``).
        reduction: ``mean`` steps along the batch-mean gradient, ``sum`` along the summed one.
        validation: optional ``(X_val, Y_val)``.
        shuffle: reshuffle each epoch from a generator seeded with ``seed`` (two engines given
            the same seed see the same batches).
        callback: ``callback(epoch, net, history)`` after each evaluated epoch, epoch 0 included.
        optimizer: a kind from ``nncore.OPTIMIZERS`` (``"sgd"``, ``"adam"``, ...), a dict such as
            ``{"kind": "adam", "beta1": 0.8}`` (omitted hyperparameters take their defaults) or
            None (sgd). The schedule sets its ``lr`` at the start of each epoch.
        evaluate_every: evaluate (record losses, call ``callback``) after epoch 0, every
            ``evaluate_every``-th epoch and the last one (``nncore.evaluation``).

    A NaN or infinite loss stops training and sets ``history.diverged``; it does not raise.
    """
    epochs, evaluate_every, batch_size = _check_arguments(epochs, evaluate_every, batch_size, lr, seed)
    engine = engine_for(engine, net, reduction)  # names, plugins, supports: nncore.engines
    lr_at = make_schedule(schedule, float(lr))
    X, Y, validation = _checked_data(net, X, Y, validation)
    n = X.shape[0]

    optimizer = make_optimizer(optimizer, net.flat_params(), float(lr))
    history, rng, grads = History(), np.random.default_rng(seed), zero_gradients(net)
    evaluation, rows = Evaluation(net, engine), EpochRows()

    def record(epoch: int, epoch_lr: float, seconds: float) -> None:
        history.record(epoch, epoch_lr, seconds, evaluation(X, Y),
                       evaluation(*validation) if validation is not None else (np.nan, np.nan))
        if callback is not None:
            callback(epoch, net, history)

    record(0, float("nan"), 0.0)
    unrecorded_s = 0.0  # training seconds since the last record
    for epoch in range(1, epochs + 1):
        if history.diverged:
            break
        epoch_lr = float(lr_at(epoch - 1))
        optimizer.lr = epoch_lr
        order = rng.permutation(n) if shuffle else None  # the batches' rows, none copied here
        started = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            _epoch(net, engine, X, Y, batch_size, optimizer, reduction, grads, order, rows)
        history.steps += -(-n // batch_size)
        unrecorded_s += time.perf_counter() - started
        if epoch % evaluate_every == 0 or epoch == epochs:  # seconds averaged since the last record
            record(epoch, epoch_lr, unrecorded_s / (epoch - history.epoch[-1]))
            unrecorded_s = 0.0
    return history
