"""Losses: per-sample value and the gradient that starts backpropagation.

Every loss is defined once, per sample (a row of ``a`` against the same row of ``y``); the batch
loss is the mean of per-sample values, and engines accumulate the *summed* per-sample gradients,
applying the 1/n of ``reduction="mean"`` as one scale at the end. ``output_delta`` returns
dL_i/dz for each sample row: the gradient with respect to the output layer's pre-activation,
fused with the output activation where the combination simplifies (softmax with cross-entropy,
sigmoid with binary cross-entropy: both ``a - y``).

Targets ``y`` always arrive here as float arrays shaped like ``a`` (one-hot for classifiers);
``nncore.network`` converts integer labels once at the boundary.
"""
from __future__ import annotations

import numpy as np

from .activations import Activation


def _safe_log(x: np.ndarray) -> np.ndarray:
    # Clip at the dtype's smallest normal number so that log(0) never yields -inf.
    return np.log(np.maximum(x, np.finfo(x.dtype).tiny))


def _scaled_difference(a: np.ndarray, y: np.ndarray, out: np.ndarray | None, scale: float) -> np.ndarray:
    out = np.subtract(a, y, out=out)
    if scale != 1.0:
        out *= scale
    return out


class Loss:
    name: str = ""
    requires_output: str | None = None  # the output activation this loss is defined on, if any

    def per_sample(self, a: np.ndarray, y: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """Loss of each sample: ``a`` and ``y`` of shape (n, out) -> (n,).

        ``z``, the output pre-activation, lets a loss defined on a squashing output compute from
        the logits, exact where ``a`` has rounded to 0 or 1.
        """
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray, out: np.ndarray | None = None,
                 scale: float = 1.0) -> np.ndarray:
        """scale * dL_i/da for each sample, shape (n, out)."""
        raise NotImplementedError

    def output_delta(self, output: Activation, a: np.ndarray, y: np.ndarray,
                     out: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
        """scale * dL_i/dz for each sample row, where a = output.forward(z); shape (n, out).

        ``scale`` rides along with the loss's own constant factor: one multiplication for both.
        """
        return output.backward(a, self.gradient(a, y, out=out, scale=scale), out=out)


class SquaredError(Loss):
    """sum over output dimensions of (a - y)**2, per sample, divided by ``divisor(n_outputs)``.

    One definition for both squared losses: ``sse`` divides by 1, ``mse`` by the number of
    outputs, and the gradient 2 (a - y) / divisor carries the same factor as the value.
    """

    def __init__(self, name: str, average_outputs: bool):
        self.name = name
        self.average_outputs = average_outputs

    def divisor(self, n_outputs: int) -> int:
        """What the summed squares are divided by: n_outputs for a mean, 1 for a sum."""
        return n_outputs if self.average_outputs else 1

    def per_sample(self, a, y, z=None):
        diff = a - y
        return np.sum(diff * diff, axis=-1) / self.divisor(a.shape[-1])

    def gradient(self, a, y, out=None, scale=1.0):
        return _scaled_difference(a, y, out, 2.0 * scale / self.divisor(a.shape[-1]))


class CrossEntropy(Loss):
    """-sum(y * log(a)) on softmax outputs; with softmax fused, dL/dz = a - y."""

    name = "cross_entropy"
    requires_output = "softmax"

    def per_sample(self, a, y, z=None):
        if z is None:
            return -np.sum(y * _safe_log(a), axis=-1)
        # -sum y log softmax(z) = sum(y) logsumexp(z) - sum(y z), with the max shifted out.
        top = z.max(axis=-1, keepdims=True)
        log_norm = np.log(np.sum(np.exp(z - top), axis=-1)) + top[..., 0]
        return np.sum(y, axis=-1) * log_norm - np.sum(y * z, axis=-1)

    def gradient(self, a, y, out=None, scale=1.0):
        return np.divide(-scale * y, np.maximum(a, np.finfo(a.dtype).tiny), out=out)

    def output_delta(self, output, a, y, out=None, scale=1.0):
        return _scaled_difference(a, y, out, scale)


class BinaryCrossEntropy(Loss):
    """-sum(y log a + (1 - y) log(1 - a)) on sigmoid outputs; fused, dL/dz = a - y."""

    name = "binary_cross_entropy"
    requires_output = "sigmoid"

    def per_sample(self, a, y, z=None):
        if z is None:
            return -np.sum(y * _safe_log(a) + (1 - y) * _safe_log(1 - a), axis=-1)
        # -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z, never rounding 1 - a.
        return np.sum(np.logaddexp(0, z) - y * z, axis=-1)

    def gradient(self, a, y, out=None, scale=1.0):
        tiny = np.finfo(a.dtype).tiny
        return np.divide(scale * (a - y), np.maximum(a * (1 - a), tiny), out=out)

    def output_delta(self, output, a, y, out=None, scale=1.0):
        return _scaled_difference(a, y, out, scale)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (SquaredError("mse", average_outputs=True), SquaredError("sse", average_outputs=False),
                 CrossEntropy(), BinaryCrossEntropy())
}
CLASSIFICATION_LOSSES = ("cross_entropy", "binary_cross_entropy")


def get_loss(name: str) -> Loss:
    if name not in LOSSES:
        raise ValueError(f"loss={name!r} is not one of {', '.join(LOSSES)}")
    return LOSSES[name]
