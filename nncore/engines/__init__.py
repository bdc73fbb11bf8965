"""Interchangeable gradient engines behind one call, ``backprop``.

scalar (pure Python), loop (per sample, NumPy vectors), vectorized (mini-batch matrices),
compiled (vectorized's math compiled with numba, an optional extra) and numerical (finite
differences) agree on every gradient; only their cost differs. An engine written elsewhere is
named ``package.module:ClassName`` or by an entry point in ``nnstudy.engines`` (``plugins``);
``conformance`` is the kit every engine, nncore's own included, must pass.
"""
from __future__ import annotations

from ..network import parameter_views
from .base import SUPPORT_KEYS, Engine, zero_gradients
from .compiled import CompiledEngine
from .loop import LoopEngine
from .numerical import NumericalEngine
from .plugins import ENTRY_POINT_GROUP, EngineError, is_engine, resolve_class, unsupported
from .scalar import ScalarEngine
from .vectorized import VectorizedEngine

ENGINES: dict[str, type[Engine]] = {
    cls.name: cls for cls in (ScalarEngine, LoopEngine, VectorizedEngine, CompiledEngine,
                               NumericalEngine)
}
REDUCTIONS = ("mean", "sum")


def engine_class(engine: str) -> type:
    """The class an engine name stands for: a key of ``ENGINES``, ``package.module:ClassName``,
    or an entry point in ``nnstudy.engines``; ``EngineError`` (a ValueError) naming it otherwise."""
    return resolve_class(engine, ENGINES)


def get_engine(engine) -> Engine:
    """An engine instance from its name or class (or an instance, returned as it is)."""
    if is_engine(engine) and not isinstance(engine, type):
        return engine
    cls = engine if isinstance(engine, type) and is_engine(engine) else engine_class(engine)
    return cls()


def engine_label(engine) -> str:
    """The name to show for an engine given as a name, class or instance."""
    return engine if isinstance(engine, str) else getattr(engine, "name", None) or repr(engine)


def check_supported(engine, net, reduction: str, label: str | None = None) -> None:
    """``ValueError`` naming the engine, key and value when ``net``'s configuration (activation,
    output, loss, dtype) or ``reduction`` lies outside the engine's ``supports``."""
    values = {"activation": net.activation.name, "output": net.output.name,
              "loss": net.loss.name, "dtype": net.dtype.name, "reduction": reduction}
    problem = unsupported(engine, label or engine_label(engine), values)
    if problem:
        raise ValueError(problem)


def engine_for(engine, net, reduction: str) -> Engine:
    """The engine instance to use on ``net`` with ``reduction``: ``get_engine(engine)`` after
    checking the reduction and the engine's ``supports`` (``ValueError`` naming what is wrong)."""
    label = engine_label(engine)
    instance = get_engine(engine)
    check_reduction(reduction)
    check_supported(instance, net, reduction, label)
    return instance


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
    engine = engine_for(engine, net, reduction)
    X, Y = net.check_data(X, Y)
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one sample")
    grads = zero_gradients(net)
    n = X.shape[0]
    scale = 1.0 / n if reduction == "mean" else 1.0
    loss_sum = engine.summed_gradients(net, X, Y, grads, compute_loss=True, scale=scale)
    return loss_sum / n, parameter_views(grads, net.layer_sizes)


__all__ = ["ENGINES", "ENTRY_POINT_GROUP", "REDUCTIONS", "SUPPORT_KEYS", "Engine", "EngineError",
           "backprop", "check_supported", "engine_class", "engine_for", "get_engine",
           "zero_gradients"]
