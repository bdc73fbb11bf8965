"""What every gradient engine provides.

An engine computes the *summed* per-sample gradients of the loss over a batch, times a scale,
into a gradient vector laid out like the network's parameter vector (``net.flat_params()``;
``parameter_views`` gives its ``(dW, db)`` pairs). The scale is where the caller puts the mean's
1/n (``backprop``) or the step size lr/n (``train``): every gradient is linear in the output
delta, so the vectorized engine applies it once there instead of once per parameter array.
Inputs arrive validated and cast to the network's dtype; engines never validate, so the training
step stays cheap.
"""
from __future__ import annotations

import numpy as np

from ..network import parameter_count


def zero_gradients(net) -> np.ndarray:
    """A zero gradient vector laid out like ``net.flat_params()``: shape (parameter_count,),
    the network's dtype. Since the two share a layout, an SGD step is one subtraction."""
    return np.zeros(parameter_count(net.layer_sizes), dtype=net.dtype)


class Workspaces(dict):
    """An engine's buffers, made by ``make(net, rows)`` once per network layout and batch rows and
    reused from step to step, so that a training step allocates nothing."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def for_batch(self, net, rows: int):
        key = (rows, tuple(net.layer_sizes), net.dtype.str, net.output.name)
        workspace = self.get(key)
        if workspace is None:
            workspace = self[key] = self.make(net, rows)
        return workspace


# The configuration keys an engine's ``supports`` may restrict, and where their values come from.
SUPPORT_KEYS = ("activation", "output", "loss", "dtype", "reduction")


class Engine:
    """The engine protocol. Subclassing is optional: any class with a ``name`` and
    ``summed_gradients`` works (duck typing), with ``sgd_epoch`` and ``supports`` if it has them.
    """

    name: str = ""
    # Optional: the configuration values the engine handles, per key of ``SUPPORT_KEYS``, e.g.
    # ``{"activation": ("relu",), "dtype": ("float64",)}``; a missing key means every value.
    supports: dict[str, tuple[str, ...]] = {}
    # Optional whole-epoch hook: ``sgd_epoch(net, X, Y, batch_size, lr, reduction, grads)`` makes,
    # in one call, the plain-SGD steps that ``nncore.sgd_step`` makes on consecutive batches of
    # X (n, in), Y (n, out), with the same result; ``nncore.train`` uses it when it is there.
    sgd_epoch = None
    # Optional whole-epoch hook for any update rule:
    # ``train_epoch(net, X, Y, batch_size, optimizer, reduction, grads) -> bool`` makes, in one call,
    # the steps that ``nncore.train_step`` makes with ``optimizer`` (an ``nncore.optimizers``
    # instance, at its current ``lr``; its state vectors and ``steps`` advance in place) on
    # consecutive batches, and returns True; or returns False, changing nothing, for an optimizer
    # it has no path for. ``nncore.train`` tries it first, then ``sgd_epoch``, then step by step.
    train_epoch = None

    def summed_gradients(self, net, X: np.ndarray, Y: np.ndarray, grads: np.ndarray,
                         compute_loss: bool = True, scale: float = 1.0) -> float | None:
        """Overwrite ``grads`` with scale * sum_i dL_i/dparams over the rows of X (n, in), Y (n, out).

        ``grads`` is a vector laid out like ``net.flat_params()`` (see ``zero_gradients``).
        Returns the summed loss sum_i L_i (unscaled) when ``compute_loss`` is true, else None.
        """
        raise NotImplementedError
