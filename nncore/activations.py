"""Activation functions and their derivatives, shared by every engine.

Each activation maps pre-activations ``z`` to outputs ``a`` (any shape, rows are samples) and
knows how to pull a gradient back through itself. The derivative is written in terms of the
*output* ``a`` (ReLU: ``a > 0``, sigmoid: ``a (1 - a)``, tanh: ``1 - a**2``), so engines only
keep activations, never pre-activations.

``out=`` lets the vectorized engine work in preallocated buffers; ``out`` may be the input.
"""
from __future__ import annotations

import numpy as np


class Activation:
    """Base class: ``forward(z) -> a`` and ``backward(a, grad) -> grad * da/dz``."""

    name: str = ""
    elementwise: bool = True
    # The range of the outputs (an infinite end: unbounded); activation statistics use it to
    # tell saturated (sigmoid, tanh) and dead (ReLU) units.
    bounds: tuple[float, float] = (-np.inf, np.inf)

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, a: np.ndarray, grad: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return dL/dz given a = forward(z) and grad = dL/da (same shape as ``a``)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    name = "relu"
    bounds = (0.0, np.inf)

    def forward(self, z, out=None):
        return np.maximum(z, 0, out=out)

    def backward(self, a, grad, out=None):
        # The derivative at 0 is taken as 0: a == 0 exactly where z <= 0.
        return np.multiply(grad, a > 0, out=out)


class Sigmoid(Activation):
    name = "sigmoid"
    bounds = (0.0, 1.0)

    def forward(self, z, out=None):
        # 1 / (1 + exp(-z)) == (1 + tanh(z / 2)) / 2, which never overflows.
        out = np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1
        out *= 0.5
        return out

    def backward(self, a, grad, out=None):
        out = np.multiply(grad, a, out=out)
        out -= out * a  # grad * a * (1 - a)
        return out


class Tanh(Activation):
    name = "tanh"
    bounds = (-1.0, 1.0)

    def forward(self, z, out=None):
        return np.tanh(z, out=out)

    def backward(self, a, grad, out=None):
        out = np.multiply(grad, a * a - 1, out=out)
        np.negative(out, out=out)  # grad * (1 - a**2)
        return out


class Identity(Activation):
    """The linear activation ("purelin" in the original sin-cos study)."""

    name = "identity"

    def forward(self, z, out=None):
        if out is None:
            return np.array(z, copy=True)
        if out is not z:
            np.copyto(out, z)
        return out

    def backward(self, a, grad, out=None):
        return self.forward(grad, out=out)


class Softmax(Activation):
    """Row-wise softmax over the last axis; used as an output activation only."""

    name = "softmax"
    elementwise = False
    bounds = (0.0, 1.0)

    def forward(self, z, out=None):
        # Subtracting the row maximum keeps exp() from overflowing.
        out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
        return out

    def backward(self, a, grad, out=None):
        # Jacobian-vector product: a * (grad - <grad, a>) row by row.
        inner = np.sum(grad * a, axis=-1, keepdims=True)
        out = np.subtract(grad, inner, out=out)
        out *= a
        return out


ACTIVATIONS: dict[str, Activation] = {
    act.name: act for act in (ReLU(), Sigmoid(), Tanh(), Identity(), Softmax())
}
HIDDEN_ACTIVATIONS = tuple(name for name, act in ACTIVATIONS.items() if act.elementwise)
OUTPUT_ACTIVATIONS = tuple(ACTIVATIONS)


def get_activation(name: str, *, argument: str = "activation", hidden: bool = True) -> Activation:
    """Resolve an activation name, raising ``ValueError`` naming the valid choices."""
    choices = HIDDEN_ACTIVATIONS if hidden else OUTPUT_ACTIVATIONS
    if name not in choices:
        raise ValueError(f"{argument}={name!r} is not one of {', '.join(choices)}")
    return ACTIVATIONS[name]
