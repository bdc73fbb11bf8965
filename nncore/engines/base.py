"""What every gradient engine provides.

An engine computes the *summed* per-sample gradients of the loss over a batch into buffers laid
out like ``net.params``. The caller turns sums into means with one 1/n scale (``backprop``) or
folds it into the learning rate (``train``). Inputs arrive validated and cast to the network's
dtype; engines never validate, so the training step stays cheap.
"""
from __future__ import annotations

import numpy as np


def zero_gradients(net) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fresh zero buffers ``[(dW, db), ...]`` shaped and typed like ``net.params``."""
    return [(np.zeros_like(W), np.zeros_like(b)) for W, b in net.params]


class Engine:
    name: str = ""

    def summed_gradients(self, net, X: np.ndarray, Y: np.ndarray,
                         grads: list[tuple[np.ndarray, np.ndarray]],
                         compute_loss: bool = True) -> float | None:
        """Overwrite ``grads`` with sum_i dL_i/dparams over the rows of X (n, in) and Y (n, out).

        Returns the summed loss sum_i L_i when ``compute_loss`` is true, else None.
        """
        raise NotImplementedError
