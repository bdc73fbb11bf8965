"""The multilayer perceptron: its layout, forward pass and input validation.

Parameters are a list of ``(W, b)`` pairs with W of shape (fan_in, fan_out) and b of shape
(fan_out,); samples are rows. Engines read ``net.params`` on every call, so assigning new arrays
into the list changes the network.
"""
from __future__ import annotations

import numbers

import numpy as np

from .activations import Activation, get_activation
from .init import INITIALIZERS
from .losses import CLASSIFICATION_LOSSES, Loss, get_loss

DTYPES = ("float64", "float32")


def parameter_views(flat: np.ndarray, layer_sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(W, b), ...]`` laid out one after another in the vector ``flat``, as views into it.

    Each W (fan_in, fan_out) is followed by its b (fan_out,), layer by layer; ``flat`` holds
    ``parameter_count(layer_sizes)`` numbers. Parameters and gradients share this layout.
    """
    views, offset = [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        W = flat[offset:offset + fan_in * fan_out].reshape(fan_in, fan_out)
        offset += fan_in * fan_out
        views.append((W, flat[offset:offset + fan_out]))
        offset += fan_out
    return views


def parameter_count(layer_sizes: list[int]) -> int:
    """Weights and biases of an MLP with these layer sizes: the length of its parameter vector."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def _check_layer_sizes(layer_sizes) -> list[int]:
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise ValueError(f"layer_sizes must be a sequence of positive integers, got {layer_sizes!r}") from None
    if len(sizes) < 2 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
    ):
        raise ValueError("layer_sizes must list at least two positive integers (input, ..., output), "
                         f"got {layer_sizes!r}")
    return [int(s) for s in sizes]


class MLP:
    """A fully connected network.

    Args:
        layer_sizes: ``[n_inputs, hidden..., n_outputs]``, e.g. ``[2, 100, 1]``.
        activation: hidden activation: relu, sigmoid, tanh or identity.
        output: output activation: identity, relu, sigmoid, tanh or softmax.
        loss: mse, sse, cross_entropy (softmax output) or binary_cross_entropy (sigmoid output).
        init: normal (N(0, init_scale) for weights and biases), he or xavier.
        init_scale: standard deviation for ``normal``; a multiplier for ``he`` and ``xavier``.
        seed: seeds the initializer's ``numpy.random.Generator``.
        dtype: float64 or float32; parameters, activations and gradients all keep it.

    ``params`` is a list of ``(W, b)`` pairs, W (fan_in, fan_out) and b (fan_out,). Assigning a
    new pair into it changes the network: at the next engine call its values are copied into the
    network's own parameter vector (see ``flat_params``).
    """

    def __init__(self, layer_sizes, activation: str = "relu", output: str = "identity",
                 loss: str = "mse", init: str = "normal", init_scale: float = 0.1,
                 seed: int = 0, dtype: str = "float64"):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.activation: Activation = get_activation(activation)
        self.output: Activation = get_activation(output, argument="output", hidden=False)
        self.loss: Loss = get_loss(loss)
        if self.loss.requires_output and self.loss.requires_output != self.output.name:
            raise ValueError(f"loss={loss!r} needs output={self.loss.requires_output!r}, got output={output!r}")
        if init not in INITIALIZERS:
            raise ValueError(f"init={init!r} is not one of {', '.join(INITIALIZERS)}")
        if not (isinstance(init_scale, numbers.Real) and np.isfinite(init_scale) and init_scale > 0):
            raise ValueError(f"init_scale must be a positive finite number, got {init_scale!r}")
        if str(dtype) not in DTYPES:
            raise ValueError(f"dtype={dtype!r} is not one of {', '.join(DTYPES)}")
        if not (isinstance(seed, numbers.Integral) and seed >= 0):
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.dtype = np.dtype(str(dtype))
        self.init, self.init_scale, self.seed = init, float(init_scale), int(seed)
        rng = np.random.default_rng(seed)
        self.params: list[tuple[np.ndarray, np.ndarray]] = INITIALIZERS[init](
            self.layer_sizes, rng, self.init_scale, self.dtype)
        self._pack()

    def _pack(self) -> None:
        """Move every W and b into one contiguous vector and make ``params`` views into it.

        An SGD step is then one in-place subtraction of a gradient vector of the same layout
        instead of two per layer: at batch 10 each NumPy call is a measurable share of a step.
        """
        flat = np.empty(parameter_count(self.layer_sizes), dtype=self.dtype)
        views = parameter_views(flat, self.layer_sizes)
        if len(self.params) != len(views):
            raise ValueError(f"params must hold {len(views)} (W, b) pairs for layer_sizes "
                             f"{self.layer_sizes}, got {len(self.params)}")
        for layer, ((W, b), (W_view, b_view)) in enumerate(zip(self.params, views)):
            if np.shape(W) != W_view.shape or np.shape(b) != b_view.shape:
                raise ValueError(f"params[{layer}] must be W of shape {W_view.shape} and b of shape "
                                 f"{b_view.shape}, got {np.shape(W)} and {np.shape(b)}")
            W_view[...] = W
            b_view[...] = b
        self.params = list(views)
        self._packed = (flat, views)

    def flat_params(self) -> np.ndarray:
        """The contiguous vector behind ``params`` (each W followed by its b, layer by layer).

        In-place changes to W and b (``W -= ...``) write into it. After new arrays were assigned
        into ``params`` their values are first copied into fresh storage, and ``params`` becomes
        views into that.
        """
        flat, views = self._packed
        if len(self.params) != len(views) or any(p is not v for p, v in zip(self.params, views)):
            self._pack()
        return self._packed[0]

    # --- layout -----------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return len(self.layer_sizes) - 1

    @property
    def activations(self) -> list[Activation]:
        """The activation applied after each weight layer."""
        return [self.activation] * (self.n_layers - 1) + [self.output]

    @property
    def is_classifier(self) -> bool:
        return self.loss.name in CLASSIFICATION_LOSSES

    def copy(self, dtype: str | None = None) -> "MLP":
        """An independent copy, optionally in another dtype."""
        clone = object.__new__(MLP)
        clone.__dict__.update(self.__dict__)
        clone.dtype = np.dtype(dtype) if dtype else self.dtype
        clone.params = [(W.astype(clone.dtype), b.astype(clone.dtype)) for W, b in self.params]
        clone._pack()
        return clone

    def __repr__(self) -> str:
        return (f"MLP({self.layer_sizes}, activation={self.activation.name!r}, "
                f"output={self.output.name!r}, loss={self.loss.name!r}, dtype={self.dtype.name!r})")

    # --- computing ---------------------------------------------------------------------------
    def forward(self, X) -> np.ndarray:
        """Outputs of shape (n, n_outputs) for inputs X of shape (n, n_inputs)."""
        return self.forward_pass(self.check_inputs(X))[1]

    def forward_layers(self, X: np.ndarray):
        """Yield (z, a) of every layer in turn, each (n, fan_out), for already validated X.

        The last pair is the output layer's; the others are the hidden layers' (what
        ``nncore.activation_stats`` inspects).
        """
        a = X
        for (W, b), act in zip(self.params, self.activations):
            z = a @ W + b
            a = act.forward(z)
            yield z, a

    def forward_pass(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, a) of the output layer, both (n, n_outputs), for already validated X."""
        for z, a in self.forward_layers(X):
            pass
        return z, a

    def summed_loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """sum_i L_i over already validated X (n, n_inputs) and Y (n, n_outputs)."""
        z, a = self.forward_pass(X)
        return float(np.sum(self.loss.per_sample(a, Y, z)))

    def loss_value(self, X, Y) -> float:
        """Mean loss over the samples of X (n, n_inputs) against targets Y."""
        X, Y = self.check_data(X, Y)
        return self.summed_loss(X, Y) / X.shape[0]

    # --- validation at the boundary ----------------------------------------------------------
    def check_inputs(self, X, name: str = "X") -> np.ndarray:
        """X as a 2-D array of the network's dtype, or ``ValueError``.

        Also takes in any arrays assigned into ``params``, checking their shapes.
        """
        self.flat_params()
        X = np.asarray(X)
        if X.ndim == 1 and self.layer_sizes[0] == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"{name} must have shape (n, {self.layer_sizes[0]}), got {X.shape}")
        if not np.issubdtype(X.dtype, np.number) or not np.all(np.isfinite(X)):
            raise ValueError(f"{name} must hold finite numbers (no NaN or infinity)")
        return np.ascontiguousarray(X, dtype=self.dtype)

    def check_targets(self, Y, n: int, name: str = "Y") -> np.ndarray:
        """Targets as a float array (n, n_outputs); integer class labels become one-hot."""
        Y = np.asarray(Y)
        n_out = self.layer_sizes[-1]
        if not np.issubdtype(Y.dtype, np.number) and Y.dtype != bool:
            raise ValueError(f"{name} must be numeric, got dtype {Y.dtype}")
        if self.loss.name == "cross_entropy" and Y.ndim == 1:
            if not np.issubdtype(Y.dtype, np.integer):
                if not np.all(np.isfinite(Y)) or np.any(Y != np.round(Y)):
                    raise ValueError(f"{name} class labels must be integers in [0, {n_out - 1}]")
            if Y.size and (Y.min() < 0 or Y.max() >= n_out):
                raise ValueError(f"{name} class labels must lie in [0, {n_out - 1}] for "
                                 f"{n_out} outputs, got range [{Y.min()}, {Y.max()}]")
            one_hot = np.zeros((Y.shape[0], n_out), dtype=self.dtype)
            one_hot[np.arange(Y.shape[0]), Y.astype(np.int64)] = 1
            Y = one_hot
        elif Y.ndim == 1 and n_out == 1:
            Y = Y[:, None]
        if Y.ndim != 2 or Y.shape != (n, n_out):
            raise ValueError(f"{name} must have shape ({n}, {n_out})"
                             + (f" or ({n},) integer labels" if self.loss.name == "cross_entropy" else "")
                             + f", got {Y.shape}")
        if not np.all(np.isfinite(Y)):
            raise ValueError(f"{name} must hold finite numbers (no NaN or infinity)")
        if self.is_classifier and (Y.min() < 0 or Y.max() > 1):
            raise ValueError(f"{name} for loss={self.loss.name!r} must lie in [0, 1] (labels or "
                             f"one-hot rows), got range [{Y.min()}, {Y.max()}]")
        return np.ascontiguousarray(Y, dtype=self.dtype)

    def check_data(self, X, Y, names: tuple[str, str] = ("X", "Y")) -> tuple[np.ndarray, np.ndarray]:
        X = self.check_inputs(X, names[0])
        return X, self.check_targets(Y, X.shape[0], names[1])
