"""Comparing gradients: the relative error used to check engines against each other."""
from __future__ import annotations

import numpy as np


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max|a - b| / max(max|a|, max|b|, floor): one scale for the whole array, so entries that
    are zero in both do not blow up the ratio."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), floor)
    return float(np.max(np.abs(a - b), initial=0.0) / scale)


def max_relative_error(grads_a, grads_b) -> float:
    """Largest ``relative_error`` over every (dW, db) pair of two gradient lists."""
    return max(relative_error(x, y) for pair_a, pair_b in zip(grads_a, grads_b)
               for x, y in zip(pair_a, pair_b))
