"""The classic toy datasets, generated in memory (no files, no downloads): sin-cos, XOR, the
people of the gender example, and random regression.

Each returns ``(X, Y, X_val, Y_val)``; a missing split is ``None``. Targets have shape
(n, outputs), 0/1 targets for the two classification toys (xor, people), as the originals used.
Arguments are checked here, at the boundary: a ValueError names the dataset, the argument and
what would be right.

The datasets a study can name (these, plus the loaders that read, download or cache: digits,
MNIST, MNIST-1D and the user's own ``file``) are records in ``nndata.DATASETS``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def check_integer(dataset: str, name: str, value, low: int) -> None:
    """ValueError unless ``value`` is an integer (not a bool) of at least ``low``."""
    if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low):
        raise ValueError(f"{dataset} {name} must be an integer >= {low}, got {value!r}")


def sincos_axis(n_val: int = 1000, seed: int = 0, step: float = 0.1) -> np.ndarray:
    """The coordinates of the sin-cos grid on each axis, ``np.arange(-5, 5, step)``, after
    checking ``sincos``'s arguments (a ValueError names the bad one)."""
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or not (
            math.isfinite(step) and step > 0):
        raise ValueError(f"sincos step must be a positive finite number, got {step!r}")
    check_integer("sincos", "n_val", n_val, 1)
    check_integer("sincos", "seed", seed, 0)
    return np.arange(-5, 5, step)


def sincos(n_val: int = 1000, seed: int = 0, step: float = 0.1):
    """y = sin(x1) - cos(x2) on the grid ``np.arange(-5, 5, step)`` squared (10,000 points at 0.1).

    Validation: ``n_val`` points uniform in [-5, 5]^2 from a generator seeded with ``seed``.
    """
    axis = sincos_axis(n_val, seed, step)
    x1, x2 = np.meshgrid(axis, axis, indexing="ij")
    X = np.column_stack([x1.ravel(), x2.ravel()])
    X_val = np.random.default_rng(seed).uniform(-5, 5, size=(n_val, 2))
    return X, sincos_target(X), X_val, sincos_target(X_val)


def sincos_target(X: np.ndarray) -> np.ndarray:
    """y = sin(x1) - cos(x2) for X (n, 2), shape (n, 1)."""
    return (np.sin(X[:, 0]) - np.cos(X[:, 1]))[:, None]


def xor():
    """The four points of XOR with 0/1 targets of shape (4, 1); no validation set."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    return X, Y, None, None


PEOPLE = {  # name: (weight - 135 lb, height - 66 in, female)
    "Alice": (-2, -1, 1), "Bob": (25, 6, 0), "Charlie": (17, 4, 0), "Diana": (-15, -6, 1),
}
HELD_OUT_PEOPLE = {"Emily": (-7, -3, 1), "Frank": (20, 2, 0)}


def people():
    """The 4-person gender toy set (shifted weight and height); validation: Emily and Frank."""
    def arrays(table):
        rows = np.array(list(table.values()), dtype=float)
        return rows[:, :2], rows[:, 2:]
    X, Y = arrays(PEOPLE)
    X_val, Y_val = arrays(HELD_OUT_PEOPLE)
    return X, Y, X_val, Y_val


def check_random_regression(n: int = 64, n_inputs: int = 1000, n_outputs: int = 10,
                            seed: int = 0) -> tuple[int, int, int]:
    """(inputs, outputs, samples) of ``random_regression`` with these arguments, after checking
    them (a ValueError names the bad one)."""
    for name, value, low in (("n", n, 1), ("n_inputs", n_inputs, 1), ("n_outputs", n_outputs, 1),
                             ("seed", seed, 0)):
        check_integer("random_regression", name, value, low)
    return int(n_inputs), int(n_outputs), int(n)


def random_regression(n: int = 64, n_inputs: int = 1000, n_outputs: int = 10, seed: int = 0):
    """X ~ N(0, 1) of shape (n, n_inputs), Y ~ N(0, 1) of shape (n, n_outputs); no validation."""
    check_random_regression(n, n_inputs, n_outputs, seed)
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_inputs)), rng.normal(size=(n, n_outputs)), None, None
