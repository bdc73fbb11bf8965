"""scikit-learn's bundled 8x8 digits (1,797 images; nothing is downloaded)."""
from __future__ import annotations

import numbers

import numpy as np

from nncore.datasets import check_integer

from .record import Dataset

DIGITS_SAMPLES = 1797  # images in scikit-learn's bundled digits


def _test_rows(test_size: float = 0.2, seed: int = 0) -> int:
    """Images held out for testing; ValueError unless both splits keep at least one image."""
    check_integer("digits", "seed", seed, 0)
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) or not (
            0 < round(test_size * DIGITS_SAMPLES) < DIGITS_SAMPLES):
        raise ValueError(f"digits test_size must be a fraction leaving images on both sides of "
                         f"the split, in (0, 1), got {test_size!r}")
    return int(round(test_size * DIGITS_SAMPLES))


def digits(test_size: float = 0.2, seed: int = 0):
    """8x8 digits shipped inside scikit-learn, pixels scaled to [0, 1], labels (n,) in 0..9.

    Split into train and test by a permutation from a generator seeded with ``seed``.
    """
    n_test = _test_rows(test_size, seed)
    from sklearn.datasets import load_digits  # bundled data; no download

    data = load_digits()
    X, y = data.data / 16.0, data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


DIGITS = Dataset(load=digits, task="classification",
                 cheap_shape=lambda test_size=0.2, seed=0: (
                     64, 10, DIGITS_SAMPLES - _test_rows(test_size, seed)),
                 validation_samples=lambda test_size=0.2, seed=0: _test_rows(test_size, seed))
