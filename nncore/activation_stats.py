"""Per-layer activation statistics: the distribution of each hidden layer's outputs over a batch.

The classic initialization picture (Glorot and Bengio 2010; Saito's *Deep Learning from Scratch*,
ch. 6.2): push a batch through a deep net and look at each hidden layer's activations. With
sigmoid, N(0, 1) weights pile them at 0 and 1 (saturated), N(0, 0.01) collapses them onto 0.5,
and Xavier keeps them spread; with ReLU, He keeps the spread layer after layer.

A unit's output counts as *saturated* when it lies within ``SATURATION_MARGIN`` of the
activation's range from one of its bounds (sigmoid: below 0.01 or above 0.99; tanh: |a| > 0.98),
and as *dead* when an activation with one finite bound sits exactly on it (ReLU: exactly 0).
The bounds come from each activation's ``bounds`` (nncore.activations).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HISTOGRAM_BINS = 20
SATURATION_MARGIN = 0.01  # as a share of the activation's range (bounded activations)


@dataclass
class LayerStats:
    """One hidden layer's activations over a batch of n samples and its u units.

    ``saturated``: share of the n * u values saturated or dead (see the module docstring);
    ``dead_units``: share of the u units saturated or dead on *every* sample;
    ``bin_edges`` (bins + 1,) and ``counts`` (bins,): histogram of the n * u values, over the
    activation's range when it is bounded, else over [lower bound or min, max] of the values.
    """

    layer: int  # 1 = first hidden layer
    activation: str
    mean: float
    std: float
    saturated: float
    dead_units: float
    bin_edges: np.ndarray
    counts: np.ndarray


def saturated_mask(a: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Bool mask of the values of ``a`` that are saturated (both bounds finite) or dead (one)."""
    low, high = bounds
    if np.isfinite(low) and np.isfinite(high):
        margin = SATURATION_MARGIN * (high - low)
        return (a <= low + margin) | (a >= high - margin)
    if np.isfinite(low):
        return a == low
    if np.isfinite(high):
        return a == high
    return np.zeros(a.shape, dtype=bool)


def _histogram_range(a: np.ndarray, bounds: tuple[float, float]) -> tuple[float, float]:
    low = bounds[0] if np.isfinite(bounds[0]) else float(a.min())
    high = bounds[1] if np.isfinite(bounds[1]) else float(a.max())
    if not high > low:  # every value on one point (e.g. all ReLU units dead): a unit-wide range
        high = low + 1.0
    return low, high


def layer_stats(a: np.ndarray, layer: int, activation, bins: int = HISTOGRAM_BINS) -> LayerStats:
    """Statistics of one layer's activations ``a`` (n, u) produced by ``activation``."""
    mask = saturated_mask(a, activation.bounds)
    with np.errstate(all="ignore"):
        finite = a[np.isfinite(a)]
        if finite.size:
            counts, edges = np.histogram(finite, bins=bins,
                                         range=_histogram_range(finite, activation.bounds))
        else:
            counts, edges = np.zeros(bins, dtype=np.int64), np.linspace(0.0, 1.0, bins + 1)
        return LayerStats(layer=layer, activation=activation.name, mean=float(np.mean(a)),
                          std=float(np.std(a)), saturated=float(np.mean(mask)),
                          dead_units=float(np.mean(mask.all(axis=0))),
                          bin_edges=edges.astype(np.float64), counts=counts.astype(np.int64))


def per_layer(net, X, bins: int = HISTOGRAM_BINS) -> list[LayerStats]:
    """Per hidden layer of ``net``, statistics of its activations on inputs X (n, n_inputs).

    Uses the network's own forward pass (``MLP.forward_layers``); the output layer is left out.
    Does not change the network.
    """
    if not (isinstance(bins, int) and bins >= 1):
        raise ValueError(f"bins must be an integer >= 1, got {bins!r}")
    X = net.check_inputs(X)
    stats = []
    with np.errstate(over="ignore", invalid="ignore"):
        # The list runs out first, so the output layer is never computed.
        for layer, (activation, (_, a)) in enumerate(zip(net.activations[:-1], net.forward_layers(X)),
                                                     start=1):
            stats.append(layer_stats(a, layer, activation, bins))
    return stats
