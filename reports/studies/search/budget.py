"""Were the trials enough? The budget curve of a search: per grid point, the expected best
objective after k of its trials, with the band of the best of k resampled trials; and which of a
winner's runs statistics may use (its retrains, not the trial that chose it)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...uncertainty import ALPHA


def retrain_seeds(best_runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of a winner's runs that statistics may use: its retrains (``stage`` "retrain")
    when there are any. The winning trial was chosen for being best on its own seed, so its value
    is optimistic (the winner's curse); without retrains (one seed) all rows are used."""
    if "stage" not in best_runs or not (best_runs["stage"] == "retrain").any():
        return best_runs
    return best_runs[best_runs["stage"] == "retrain"]


def expected_best(values: np.ndarray, k: int, lower_is_better: bool) -> float:
    """E[best of k trials drawn without replacement from ``values`` (T,)], exactly: the i-th best
    is the best of k with probability C(T - i, k - 1) / C(T, k). NaN (a diverged trial) counts as
    the worst value possible, so the expectation is infinite while k draws can all diverge."""
    worst = math.inf if lower_is_better else -math.inf
    ordered = np.sort(np.where(np.isnan(values), worst, values))
    ordered = ordered if lower_is_better else ordered[::-1]
    T = len(ordered)
    weights = np.array([math.comb(T - i, k - 1) for i in range(1, T + 1)], float) / math.comb(T, k)
    used = weights > 0
    return float(np.sum(weights[used] * ordered[used]))


def budget_curve(frame: pd.DataFrame, point: str, column: str, lower_is_better: bool,
                 seed: int = 0, resamples: int = 2000) -> pd.DataFrame:
    """Per grid point and k = 1..trials: the expected best objective after k trials
    (``expected_best``) and the 2.5-97.5% band of the best of k resampled trials (seeded)."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, group in frame.groupby(point, sort=False):
        values = group[column].to_numpy(float)
        worst = math.inf if lower_is_better else -math.inf
        filled = np.where(np.isfinite(values), values, worst)
        shuffled = np.argsort(rng.random((resamples, len(values))), axis=1)
        for k in range(1, len(values) + 1):
            drawn = filled[shuffled[:, :k]]
            best = drawn.min(axis=1) if lower_is_better else drawn.max(axis=1)
            # no interpolation: a band edge at an infinite (diverged) value stays infinite
            low, high = np.quantile(best, [ALPHA / 2, 1 - ALPHA / 2], method="inverted_cdf")
            rows.append({point: name, "k": k, "expected": expected_best(values, k, lower_is_better),
                         "low": low, "high": high})
    return pd.DataFrame(rows, columns=[point, "k", "expected", "low", "high"])
