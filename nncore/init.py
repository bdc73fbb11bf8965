"""Weight initializers: each returns ``[(W, b), ...]`` with W (fan_in, fan_out), b (fan_out,)."""
from __future__ import annotations

import numpy as np


def normal(layer_sizes: list[int], rng: np.random.Generator, scale: float, dtype) -> list:
    """Weights *and* biases from N(0, scale), as in the original sin-cos study (scale 0.1)."""
    return [
        (rng.normal(0.0, scale, size=(fan_in, fan_out)).astype(dtype),
         rng.normal(0.0, scale, size=fan_out).astype(dtype))
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def he(layer_sizes: list[int], rng: np.random.Generator, scale: float, dtype) -> list:
    """He et al. (2015): W ~ N(0, scale * sqrt(2 / fan_in)), b = 0; for ReLU nets."""
    return [
        (rng.normal(0.0, scale * np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)).astype(dtype),
         np.zeros(fan_out, dtype=dtype))
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def he_uniform(layer_sizes: list[int], rng: np.random.Generator, scale: float, dtype) -> list:
    """He et al. (2015), uniform: W ~ U(-r, r), r = scale * sqrt(6 / fan_in) (variance 2 / fan_in,
    as ``he``), b = 0; torch.nn.init.kaiming_uniform_ with nonlinearity="relu"."""
    params = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        limit = scale * np.sqrt(6.0 / fan_in)
        params.append((rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype),
                       np.zeros(fan_out, dtype=dtype)))
    return params


def xavier(layer_sizes: list[int], rng: np.random.Generator, scale: float, dtype) -> list:
    """Glorot and Bengio (2010): W ~ U(-r, r), r = scale * sqrt(6 / (fan_in + fan_out)), b = 0."""
    params = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        limit = scale * np.sqrt(6.0 / (fan_in + fan_out))
        params.append((rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype),
                       np.zeros(fan_out, dtype=dtype)))
    return params


INITIALIZERS = {"normal": normal, "he": he, "xavier": xavier, "he_uniform": he_uniform}
