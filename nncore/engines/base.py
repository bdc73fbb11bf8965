"""What every gradient engine provides.

An engine computes the *summed* per-sample gradients of the loss over a batch, times a scale,
into buffers laid out like ``net.params``. The scale is where the caller puts the mean's 1/n
(``backprop``) or the step size lr/n (``train``): every gradient is linear in the output delta,
so the vectorized engine applies it once there instead of once per parameter array. Inputs arrive validated and cast to the network's
dtype; engines never validate, so the training step stays cheap.
"""
from __future__ import annotations

import numpy as np

from ..network import parameter_count, parameter_views


class Gradients(list):
    """``[(dW, db), ...]`` laid out like ``net.params``, all views into the vector ``flat``."""

    flat: np.ndarray


def zero_gradients(net) -> Gradients:
    """Fresh zero buffers ``[(dW, db), ...]`` shaped and typed like ``net.params``."""
    flat = np.zeros(parameter_count(net.layer_sizes), dtype=net.dtype)
    grads = Gradients(parameter_views(flat, net.layer_sizes))
    grads.flat = flat
    return grads


class Engine:
    name: str = ""

    def summed_gradients(self, net, X: np.ndarray, Y: np.ndarray,
                         grads: list[tuple[np.ndarray, np.ndarray]],
                         compute_loss: bool = True, scale: float = 1.0) -> float | None:
        """Overwrite ``grads`` with scale * sum_i dL_i/dparams over the rows of X (n, in), Y (n, out).

        Returns the summed loss sum_i L_i (unscaled) when ``compute_loss`` is true, else None.
        """
        raise NotImplementedError


def scale_gradients(grads, scale: float) -> None:
    """Multiply every (dW, db) in place; a no-op for scale 1."""
    if scale != 1.0:
        for dW, db in grads:
            dW *= scale
            db *= scale
