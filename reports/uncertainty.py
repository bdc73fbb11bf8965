"""Conclusions with their uncertainty: seed summaries, differences with bootstrap intervals, Holm
verdicts and order claims ("wider is lower, step by step").

Pure functions on arrays and DataFrames (no drawing, no files). Differences are ``candidate -
reference`` in the objective's units; "better" means lower for a loss, higher for an accuracy
(``lower_is_better``). Intervals and Holm's correction come from ``experiments.stats`` (95%
percentile bootstraps, seeded, paired when both sides ran the same seeds); the p-value of a
difference is the two-sided share of its bootstrap distribution across 0, and a verdict needs its
Holm-adjusted p below 5%.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from experiments.stats import LEVEL, RESAMPLES, bootstrap, holm

ALPHA = 1 - LEVEL
# Fewer seeds than this never resolve a difference: two seeds of the same sign give every
# bootstrap resample that sign, a p-value near 0 that says nothing (a bootstrap interval from a
# handful of values is too narrow; from 3 on it is the usual compromise).
MIN_SEEDS = 3
VERDICTS = ("better", "worse", "not resolved")
COMPARISON_COLUMNS = ["kind", "reference", "candidate", "n", "paired", "reference_mean",
                      "candidate_mean", "difference", "low", "high", "p_value", "p_holm",
                      "prob_improvement", "verdict"]


def iqm(values: np.ndarray) -> float:
    """Interquartile mean: the mean of the middle half (scipy's 25% trimmed mean)."""
    return float(stats.trim_mean(np.asarray(values, dtype=float), 0.25))


def seed_summary(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """Per group of ``keys``: n (finite values over seeds), median, interquartile mean, mean."""
    rows = []
    for key, group in frame.groupby(keys, sort=False):
        values = group[column].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        key = key if isinstance(key, tuple) else (key,)
        summary = ({"median": np.median(values), "iqm": iqm(values), "mean": values.mean()}
                   if len(values) else {"median": np.nan, "iqm": np.nan, "mean": np.nan})
        rows.append({**dict(zip(keys, key)), "n": len(values), **summary})
    return pd.DataFrame(rows, columns=[*keys, "n", "median", "iqm", "mean"])


def probability_of_improvement(reference: np.ndarray, candidate: np.ndarray,
                               lower_is_better: bool) -> float:
    """P(a candidate seed beats a reference seed) over all pairs, ties counting half (the
    Mann-Whitney probability; 5 seeds a side give multiples of 1/25)."""
    c, r = np.asarray(candidate, float)[:, None], np.asarray(reference, float)[None, :]
    wins = (c < r) if lower_is_better else (c > r)
    return float(wins.mean() + 0.5 * (c == r).mean())


def compare(reference: np.ndarray, candidate: np.ndarray, lower_is_better: bool, paired: bool,
            seed: int = 0, resamples: int = RESAMPLES) -> dict:
    """Difference of means (candidate - reference) with its 95% bootstrap interval, a two-sided
    bootstrap p-value, the probability of improvement and n. ``paired``: the arrays are (n,) in
    the same seed order, and the per-seed differences are resampled; otherwise each side is
    resampled on its own. With fewer than 2 values a side: no interval, p = 1; with fewer than
    MIN_SEEDS, an interval but p = 1 (never resolved)."""
    reference, candidate = np.asarray(reference, float), np.asarray(candidate, float)
    n = len(reference) if paired else min(len(reference), len(candidate))
    result = {"n": n, "paired": paired, "reference_mean": reference.mean(),
              "candidate_mean": candidate.mean(), "difference": candidate.mean() - reference.mean(),
              "low": np.nan, "high": np.nan, "p_value": 1.0,
              "prob_improvement": probability_of_improvement(reference, candidate, lower_is_better)}
    if n < 2:
        return result
    if paired:
        data, statistic = (candidate - reference,), np.mean
    else:
        data = (candidate, reference)
        def statistic(c, r, axis=-1):
            return c.mean(axis=axis) - r.mean(axis=axis)
    boot = bootstrap(data, statistic, seed=seed, resamples=resamples)
    distribution = boot.bootstrap_distribution
    across = min((distribution <= 0).sum(), (distribution >= 0).sum())
    p_value = min(1.0, (2 * across + 1) / (resamples + 1)) if n >= MIN_SEEDS else 1.0
    result.update(low=boot.confidence_interval.low, high=boot.confidence_interval.high,
                  p_value=p_value)
    return result


def verdict(difference: float, p_adjusted: float, lower_is_better: bool, alpha: float = ALPHA) -> str:
    """"better", "worse" or "not resolved" for one difference at its adjusted p-value."""
    if not p_adjusted < alpha or difference == 0:
        return "not resolved"
    return "better" if (difference < 0) == lower_is_better else "worse"


def _sides(frame: pd.DataFrame, point: str, column: str, reference, candidate,
           seed_column: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """The two samples, paired by seed when both sides have the same seeds once each."""
    def values(name):
        rows = frame[(frame[point] == name) & np.isfinite(frame[column].astype(float))]
        return rows.set_index(seed_column)[column].astype(float) if seed_column in rows else rows[column]
    a, b = values(reference), values(candidate)
    paired = (seed_column in frame and a.index.is_unique and b.index.is_unique
              and set(a.index) == set(b.index) and len(a) > 1)
    if paired:
        b = b.reindex(a.index)
    return a.to_numpy(float), b.to_numpy(float), paired


def comparisons(frame: pd.DataFrame, point: str, column: str, lower_is_better: bool,
                order: list | None = None, baseline=None, seed: int = 0,
                seed_column: str = "seed") -> pd.DataFrame:
    """The comparison table: each adjacent pair of grid points in ``order`` (kind "step") and,
    when ``baseline`` is given, each other point against it (kind "baseline"); per row the
    difference (candidate - reference) with its 95% interval, p, Holm-adjusted p over all the
    rows, probability of improvement, n and the verdict. ``frame`` has one row per run: the grid
    point label in ``point``, the objective in ``column``, its seed in ``seed_column``."""
    order = list(order) if order is not None else list(dict.fromkeys(frame[point]))
    pairs = [("step", a, b) for a, b in zip(order, order[1:])]
    if baseline is not None:
        pairs += [("baseline", baseline, p) for p in order if p != baseline]
    rows = []
    for i, (kind, reference, candidate) in enumerate(pairs):
        a, b, paired = _sides(frame, point, column, reference, candidate, seed_column)
        if len(a) == 0 or len(b) == 0:
            continue
        rows.append({"kind": kind, "reference": reference, "candidate": candidate,
                     **compare(a, b, lower_is_better, paired, seed=seed + i)})
    table = pd.DataFrame(rows, columns=[c for c in COMPARISON_COLUMNS if c not in ("p_holm", "verdict")])
    table["p_holm"] = holm(table["p_value"]) if len(table) else []
    table["verdict"] = [verdict(d, p, lower_is_better) for d, p in zip(table["difference"], table["p_holm"])]
    return table[COMPARISON_COLUMNS]


def failing_steps(steps: pd.DataFrame, expected: str = "better") -> tuple[str, ...]:
    """The steps that fail a claim of order ("wider is lower"), checked on the ``comparisons``
    rows of kind "step" (each candidate the next grid point), as "50 -> 100: not resolved (5
    seeds)"; none when the claim holds. ``expected`` is the verdict the claim states for every
    step ("better" when the claimed direction is the objective's good one, else "worse")."""
    steps = steps[steps["kind"] == "step"] if "kind" in steps else steps
    failing = []
    for row in steps.itertuples():
        if row.verdict == expected:
            continue
        what = "not resolved" if row.verdict == "not resolved" else f"resolved the other way ({row.verdict})"
        seeds = "1 seed" if row.n == 1 else f"{row.n} seeds"
        failing.append(f"{row.reference} -> {row.candidate}: {what} ({seeds})")
    if len(steps) == 0:
        failing.append("no steps to compare")
    return tuple(failing)
