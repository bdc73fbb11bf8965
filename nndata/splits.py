"""How a data file without its own validation split is split, and its features scaled: by class
(stratified) for a classifier, seeded, and standardized by the training split alone."""
from __future__ import annotations

import numpy as np


def validation_rows(counts: list[int], fraction: float) -> list[int]:
    """Validation samples taken from each group (class, or all rows) of the given sizes:
    round(fraction * size), leaving at least one sample of each group for training."""
    return [min(int(np.floor(fraction * size + 0.5)), size - 1) for size in counts]


def split_indices(labels: np.ndarray | None, n: int, fraction: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices, each sorted: ``round(fraction * size)`` rows of each class
    (of all rows when ``labels`` is None) go to validation, drawn by a generator seeded with
    ``seed``; every class keeps at least one training sample."""
    rng = np.random.default_rng(seed)
    groups = ([np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None
              else [np.arange(n)])
    taken = validation_rows([len(g) for g in groups], fraction)
    held_out = np.concatenate([rng.permutation(g)[:k] for g, k in zip(groups, taken)])
    mask = np.zeros(n, dtype=bool)
    mask[held_out] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def standardized(X: np.ndarray, X_val: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """X and X_val (n, inputs) minus the training mean, over the training standard deviation."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale <= np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))] = 1.0
    return (X - mean) / scale, None if X_val is None else (X_val - mean) / scale
