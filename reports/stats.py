"""Intervals over replicates: percentile bootstrap of a mean, and of a ratio of summed costs.

Seeded generators only, so a rebuilt report draws the same bands. The resampling is vectorised
(one ``(resamples, n)`` index array per group): a report has hundreds of small groups.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

CURVE_RESAMPLES = 1000
SPEEDUP_RESAMPLES = 2000
LEVEL = 0.95


def mean_ci(frame: pd.DataFrame, keys: list[str], column: str, seed: int = 0,
            resamples: int = CURVE_RESAMPLES) -> pd.DataFrame:
    """Per group of ``keys``: n, mean of ``column`` and its 95% percentile-bootstrap interval
    (``low``, ``high``; NaN for a group of one, which has no spread to resample)."""
    rng = np.random.default_rng(seed)
    tail = 100 * (1 - LEVEL) / 2
    rows = []
    for key, group in frame.groupby(keys, sort=True):
        values = group[column].dropna().to_numpy(dtype=float)
        if len(values) == 0:
            continue
        low = high = np.nan
        if len(values) > 1:
            means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
            low, high = np.percentile(means, [tail, 100 - tail])
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, key)), "n": len(values), "mean": values.mean(),
                     "low": low, "high": high})
    return pd.DataFrame(rows, columns=[*keys, "n", "mean", "low", "high"])


def ratio_of_sums(baseline: np.ndarray, candidate: np.ndarray, rng: np.random.Generator,
                  resamples: int = SPEEDUP_RESAMPLES) -> tuple[float, float, float]:
    """Speedup = mean baseline cost / mean candidate cost (summed seconds over equal epochs),
    with a 95% percentile-bootstrap interval resampling each engine's epochs independently."""
    speedup = baseline.mean() / candidate.mean()
    if len(baseline) < 2 and len(candidate) < 2:
        return speedup, np.nan, np.nan
    b = baseline[rng.integers(0, len(baseline), (resamples, len(baseline)))].mean(axis=1)
    c = candidate[rng.integers(0, len(candidate), (resamples, len(candidate)))].mean(axis=1)
    low, high = np.percentile(b / c, [2.5, 97.5])
    return speedup, low, high
