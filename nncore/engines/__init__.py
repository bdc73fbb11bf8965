"""Interchangeable gradient engines behind one call, ``backprop``.

scalar (pure Python), loop (per sample, NumPy vectors), vectorized (mini-batch matrices),
compiled (vectorized's math compiled with numba, an optional extra) and numerical (finite
differences) agree on every gradient; only their cost differs.
"""
from __future__ import annotations

from ..network import parameter_views
from .base import Engine, zero_gradients
from .compiled import CompiledEngine
from .loop import LoopEngine
from .numerical import NumericalEngine
from .scalar import ScalarEngine
from .vectorized import VectorizedEngine

ENGINES: dict[str, type[Engine]] = {
    cls.name: cls for cls in (ScalarEngine, LoopEngine, VectorizedEngine, CompiledEngine,
                               NumericalEngine)
}
REDUCTIONS = ("mean", "sum")


def get_engine(engine: str | Engine) -> Engine:
    """An engine instance from its name (or the instance itself)."""
    if isinstance(engine, Engine):
        return engine
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r} is not one of {', '.join(ENGINES)}")
    return ENGINES[engine]()


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r} is not one of {', '.join(REDUCTIONS)}")
    return reduction


def backprop(net, X, Y, engine: str | Engine = "vectorized", reduction: str = "mean"):
    """Loss and gradients of ``net`` on the batch X (n, n_inputs), Y (n, n_outputs) or labels (n,).

    Returns ``(loss, grads)``: ``loss`` is the batch-mean loss, ``grads`` a list of ``(dW, db)``
    laid out like ``net.params``, the gradient of the batch-mean loss (``reduction="mean"``) or
    the sum of per-sample gradients (``reduction="sum"``). Pure: neither the network nor the
    inputs are modified, and the caller owns the returned arrays.
    """
    engine = get_engine(engine)
    check_reduction(reduction)
    X, Y = net.check_data(X, Y)
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one sample")
    grads = zero_gradients(net)
    n = X.shape[0]
    scale = 1.0 / n if reduction == "mean" else 1.0
    loss_sum = engine.summed_gradients(net, X, Y, grads, compute_loss=True, scale=scale)
    return loss_sum / n, parameter_views(grads, net.layer_sizes)


__all__ = ["ENGINES", "REDUCTIONS", "Engine", "backprop", "get_engine", "zero_gradients"]
