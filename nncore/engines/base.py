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


class EpochRows:
    """X and Y in an epoch's order, gathered into buffers kept from epoch to epoch: for an engine
    that cannot gather a batch's rows itself. ``X[order]`` would allocate (and first touch) two
    fresh arrays of the data's size every epoch."""

    def __init__(self):
        self.X: np.ndarray | None = None
        self.Y: np.ndarray | None = None

    def of(self, X: np.ndarray, Y: np.ndarray, order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """X (n, in) and Y (n, out) with their rows in ``order`` (a permutation of range(n)), or
        as they are when it is None."""
        if order is None:
            return X, Y
        if self.X is None or self.X.shape != X.shape or self.Y.shape != Y.shape or self.X.dtype != X.dtype:
            self.X, self.Y = np.empty_like(X), np.empty_like(Y)
        # mode="clip" writes straight into the buffers (the default mode buffers ``out``)
        np.take(X, order, axis=0, out=self.X, mode="clip")
        np.take(Y, order, axis=0, out=self.Y, mode="clip")
        return self.X, self.Y


# The configuration keys an engine's ``supports`` may restrict, and where their values come from.
SUPPORT_KEYS = ("activation", "output", "loss", "dtype", "reduction")


class Engine:
    """The engine protocol. Subclassing is optional: any class with a ``name`` and
    ``summed_gradients`` works (duck typing), with ``train_epoch``, ``evaluate`` and ``supports``
    if it has them.
    """

    name: str = ""
    # Optional: the configuration values the engine handles, per key of ``SUPPORT_KEYS``, e.g.
    # ``{"activation": ("relu",), "dtype": ("float64",)}``; a missing key means every value.
    supports: dict[str, tuple[str, ...]] = {}
    # Optional, the one whole-epoch hook:
    # ``train_epoch(net, X, Y, batch_size, optimizer, reduction, grads, order) -> bool`` makes, in
    # one call, the steps that ``nncore.train_step`` makes with ``optimizer`` (an
    # ``nncore.optimizers`` instance, at its current ``lr``; its state vectors and ``steps``
    # advance in place) on the batches of X (n, in), Y (n, out) in ``order`` (an int64
    # permutation of range(n): batch k is the rows order[k * batch_size:(k + 1) * batch_size];
    # None: consecutive rows), and returns True; or returns False, changing nothing, for an
    # optimizer it has no path for. ``nncore.train`` tries it, else steps batch by batch.
    train_epoch = None
    # Optional: ``evaluate(net, X, Y) -> (sum_i L_i, rows classified correctly)`` over a whole
    # data set, forward only (``nncore.evaluation``; 0 correct for a regression).
    evaluate = None

    def summed_gradients(self, net, X: np.ndarray, Y: np.ndarray, grads: np.ndarray,
                         compute_loss: bool = True, scale: float = 1.0) -> float | None:
        """Overwrite ``grads`` with scale * sum_i dL_i/dparams over the rows of X (n, in), Y (n, out).

        ``grads`` is a vector laid out like ``net.flat_params()`` (see ``zero_gradients``).
        Returns the summed loss sum_i L_i (unscaled) when ``compute_loss`` is true, else None.
        """
        raise NotImplementedError
