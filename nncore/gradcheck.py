"""Comparing gradients: the relative error used to check engines against each other."""
from __future__ import annotations

import numpy as np


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max|a - b| / max(max|a|, max|b|, floor): one scale for the whole array, so entries that
    are zero in both do not blow up the ratio."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), floor)
    return float(np.max(np.abs(a - b), initial=0.0) / scale)


def flatten(grads) -> np.ndarray:
    """All of ``[(dW, db), ...]`` as one float64 vector."""
    return np.concatenate([np.ravel(g).astype(np.float64) for pair in grads for g in pair])


def max_relative_error(grads_a, grads_b) -> float:
    """``relative_error`` of two gradient lists taken as whole vectors.

    One scale for the whole gradient: a layer whose gradient is tiny (a saturated unit, a deep
    layer behind small weights) is judged against the gradient's largest entry, where the
    finite-difference noise of ~1e-10 is negligible, instead of against its own size.
    """
    return relative_error(flatten(grads_a), flatten(grads_b))
