"""The ``numerical`` engine: central finite differences of the summed loss, for checking.

Every parameter is perturbed by +-eps in a float64 copy of the network, so the check is as exact
as float64 allows whatever the network's dtype. Cost: two forward passes per parameter.
Keep inputs away from the ReLU kink (pre-activations within eps of 0), where the derivative jumps.
"""
from __future__ import annotations

import numpy as np

from .base import Engine


class NumericalEngine(Engine):
    name = "numerical"

    def __init__(self, eps: float = 1e-6):
        self.eps = eps

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        exact = net.copy(dtype="float64")
        X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
        # The copy's W and b are views into this vector: perturbing an entry perturbs the network.
        params = exact.flat_params()
        for k in range(params.size):
            original = params[k]
            params[k] = original + self.eps
            loss_plus = exact.summed_loss(X64, Y64)
            params[k] = original - self.eps
            loss_minus = exact.summed_loss(X64, Y64)
            params[k] = original
            grads[k] = (loss_plus - loss_minus) / (2 * self.eps)
        grads *= scale
        return exact.summed_loss(X64, Y64) if compute_loss else None
