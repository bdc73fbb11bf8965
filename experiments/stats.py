"""Fixed-sample statistics shared by the report and the benchmarks: percentile-bootstrap intervals
(of a mean, of a ratio, per group of a table) and Holm's step-down correction.

Pure NumPy/SciPy on arrays and DataFrames, in ``experiments`` so that ``reports`` and
``benchmarks`` (which ``reports`` reads) both import it without an arrow pointing up. Every
interval is ``scipy.stats.bootstrap`` with the percentile method and a seeded generator, so a
rebuilt report or a rerun comparison gives the same numbers.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95
RESAMPLES = 4000        # one interval that decides something (a comparison, a speedup)
BAND_RESAMPLES = 1000   # the bands of a curve figure: hundreds of groups, drawn, not decided


def bootstrap(samples: Sequence[np.ndarray], statistic: Callable, *, seed: int = 0,
              resamples: int = RESAMPLES, level: float = LEVEL, paired: bool = False):
    """``scipy.stats.bootstrap`` with the percentile method over the last axis of each sample
    (shape (..., n): leading axes are independent groups of equal size), seeded by ``seed``.
    ``statistic(*samples, axis=-1)`` must be vectorised. Returns scipy's result
    (``confidence_interval.low``/``.high``, ``bootstrap_distribution``)."""
    return stats.bootstrap(tuple(np.asarray(s, float) for s in samples), statistic,
                           n_resamples=resamples, confidence_level=level, method="percentile",
                           paired=paired, vectorized=True, axis=-1, rng=np.random.default_rng(seed))


def mean_interval(values, seed: int = 0, resamples: int = RESAMPLES,
                  level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, low, high): the mean of the finite ``values`` (n,) and its percentile-bootstrap
    interval (NaN bounds for fewer than two values, which have no spread to resample)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return (float(values.mean()) if len(values) else math.nan), math.nan, math.nan
    interval = bootstrap((values,), np.mean, seed=seed, resamples=resamples,
                         level=level).confidence_interval
    return float(values.mean()), float(interval.low), float(interval.high)


def mean_intervals(frame: pd.DataFrame, keys: list[str], column: str, seed: int = 0,
                   resamples: int = BAND_RESAMPLES) -> pd.DataFrame:
    """Per group of ``keys`` (sorted): n, the mean of ``column``'s non-missing values and its
    percentile-bootstrap interval (``low``, ``high``; NaN for a group of one). Groups of equal
    size are resampled in one batch (a curve figure has hundreds to thousands of small groups)."""
    valid = frame[frame[column].notna()]
    if valid.empty:
        return pd.DataFrame(columns=[*keys, "n", "mean", "low", "high"])
    grouped = valid.groupby(keys, sort=True, observed=True)
    sizes = grouped.size()
    # Rows in group order, cut at the group sizes: no Python loop over the groups.
    order = np.argsort(grouped.ngroup().to_numpy(), kind="stable")
    values = np.split(valid[column].to_numpy(float)[order], np.cumsum(sizes.to_numpy())[:-1])
    counts = sizes.to_numpy()
    low, high = np.full(len(counts), np.nan), np.full(len(counts), np.nan)
    for size in np.unique(counts[counts > 1]):
        members = np.flatnonzero(counts == size)
        batch = np.stack([values[i] for i in members])  # (groups of this size, size)
        interval = bootstrap((batch,), np.mean, seed=seed, resamples=resamples).confidence_interval
        low[members], high[members] = interval.low, interval.high
    table = sizes.index.to_frame(index=False) if len(keys) > 1 else pd.DataFrame({keys[0]: sizes.index})
    return table.assign(n=counts, mean=grouped[column].mean().to_numpy(), low=low,
                        high=high)[[*keys, "n", "mean", "low", "high"]]


def ratio_interval(numerator, denominator, center: Callable = np.median, seed: int = 0,
                   resamples: int = RESAMPLES, level: float = LEVEL) -> tuple[float, float]:
    """Percentile-bootstrap interval of ``center(numerator) / center(denominator)``, resampling
    each side on its own (two independent samples, e.g. timed rounds of two builds); a side of
    one value is held fixed. With fewer than two values on both sides: (NaN, NaN)."""
    sides = [np.asarray(numerator, float), np.asarray(denominator, float)]
    varying = [i for i, side in enumerate(sides) if len(side) > 1]
    if not varying:
        return math.nan, math.nan
    fixed = [center(side) for side in sides]
    def ratio(*drawn, axis=-1):
        values = list(fixed)
        for i, sample in zip(varying, drawn):
            values[i] = center(sample, axis=axis)
        return values[0] / values[1]
    interval = bootstrap([sides[i] for i in varying], ratio, seed=seed, resamples=resamples,
                         level=level).confidence_interval
    return float(interval.low), float(interval.high)


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, in the given order (step-down: the i-th smallest of m
    times m - i + 1, kept monotone, capped at 1). A missing p-value (None or NaN) stays NaN and
    is not counted in m."""
    p = np.array([math.nan if value is None else value for value in p_values], dtype=float)
    present = np.flatnonzero(~np.isnan(p))
    order = present[np.argsort(p[present], kind="stable")]
    scaled = np.minimum(1.0, p[order] * (len(order) - np.arange(len(order))))
    adjusted = np.full_like(p, np.nan)
    adjusted[order] = np.maximum.accumulate(scaled) if len(order) else scaled
    return adjusted
