"""Conclusions with their uncertainty: seed summaries, differences with bootstrap intervals, Holm
verdicts, order claims, the budget curve of a search, and the checks of a searched study.

Pure functions on arrays and DataFrames (no drawing, no files). Differences are ``candidate -
reference`` in the objective's units; "better" means lower for a loss, higher for an accuracy
(``lower_is_better``). Intervals are 95% percentile bootstraps from ``scipy.stats.bootstrap``,
seeded, paired when both sides ran the same seeds; the p-value of a difference is the two-sided
share of its bootstrap distribution across 0, and a verdict needs its Holm-adjusted p below 5%.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from experiments.search import Nuisance, exp_text

LEVEL = 0.95
ALPHA = 1 - LEVEL
RESAMPLES = 4000
# Fewer seeds than this never resolve a difference: two seeds of the same sign give every
# bootstrap resample that sign, a p-value near 0 that says nothing (a bootstrap interval from a
# handful of values is too narrow; from 3 on it is the usual compromise).
MIN_SEEDS = 3
VERDICTS = ("better", "worse", "not resolved")
EDGE = 0.1                # best trial in the outer tenth of a range: widen it
DIVERGED_WARNING = 0.25   # warn when at least this share of a grid point's trials diverged
OVERFIT_SHARE = 0.1       # the last epoch gave back more than this share of the curve's range
IMPROVING_SHARE = 0.05    # the last quarter of epochs still gained more than this share of it
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


def mean_interval(values: np.ndarray, seed: int = 0,
                  resamples: int = RESAMPLES) -> tuple[float, float, float]:
    """(mean, low, high): the mean of the finite ``values`` (n,) and its 95% percentile-bootstrap
    interval (NaN bounds for fewer than two values)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return (float(values.mean()) if len(values) else math.nan), math.nan, math.nan
    boot = stats.bootstrap((values,), np.mean, n_resamples=resamples, confidence_level=LEVEL,
                           method="percentile", random_state=np.random.default_rng(seed))
    return float(values.mean()), float(boot.confidence_interval.low), float(boot.confidence_interval.high)


def retrain_seeds(best_runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of a winner's runs that statistics may use: its retrains (``stage`` "retrain")
    when there are any. The winning trial was chosen for being best on its own seed, so its value
    is optimistic (the winner's curse); without retrains (one seed) all rows are used."""
    if "stage" not in best_runs or not (best_runs["stage"] == "retrain").any():
        return best_runs
    return best_runs[best_runs["stage"] == "retrain"]


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
    rng = np.random.default_rng(seed)
    if paired:
        data, statistic = (candidate - reference,), np.mean
    else:
        data = (candidate, reference)
        def statistic(c, r, axis=-1):
            return c.mean(axis=axis) - r.mean(axis=axis)
    boot = stats.bootstrap(data, statistic, n_resamples=resamples, confidence_level=LEVEL,
                           method="percentile", random_state=rng, vectorized=True)
    distribution = boot.bootstrap_distribution
    across = min((distribution <= 0).sum(), (distribution >= 0).sum())
    p_value = min(1.0, (2 * across + 1) / (resamples + 1)) if n >= MIN_SEEDS else 1.0
    result.update(low=boot.confidence_interval.low, high=boot.confidence_interval.high,
                  p_value=p_value)
    return result


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down: the i-th smallest of m times m - i + 1,
    kept monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, p[order] * (len(p) - np.arange(len(p))))
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


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


@dataclass(frozen=True)
class OrderClaim:
    """An order claim checked step by step: ``holds`` only when every step is resolved in the
    stated direction; ``failing`` names the others ("50 -> 100: not resolved (5 seeds)")."""

    holds: bool
    failing: tuple[str, ...]

    @property
    def text(self) -> str:
        return "holds at every step" if self.holds else "; ".join(self.failing)


def order_claim(steps: pd.DataFrame, expected: str = "better") -> OrderClaim:
    """Check a claim of order ("wider is lower") on the ``comparisons`` rows of kind "step"
    (each candidate the next grid point): ``expected`` is the verdict the claim states for every
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
    return OrderClaim(not failing, tuple(failing))


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


# --- the checks of a searched study -----------------------------------------------------------
def _bound_text(nuisance: Nuisance, value: float) -> str:
    return exp_text(value) if nuisance.kind == "log" else f"{value:g}"


def edge_warnings(best: pd.DataFrame, point: str, nuisances: Iterable[Nuisance]) -> list[str]:
    """For each grid point's best trial (one row of ``best``: the label in ``point``, one column
    per nuisance key), each log or range nuisance whose value is in the outer tenth of its range
    (on the log scale for a log range): "lr: the best trial of width=64 is at the top of
    [1e-4, 1e-1]; widen the range". A value the grid point does not use (NaN) is skipped."""
    lines = []
    for row in best.to_dict("records"):
        for nuisance in nuisances:
            value = row.get(nuisance.key, math.nan)
            if nuisance.kind == "choice" or value is None or not np.isfinite(value):
                continue
            position = nuisance.position(float(value))
            side = "top" if position >= 1 - EDGE else "bottom" if position <= EDGE else None
            if side:
                lines.append(f"{nuisance.key}: the best trial of {row[point]} is at the {side} of "
                             f"[{_bound_text(nuisance, nuisance.low)}, "
                             f"{_bound_text(nuisance, nuisance.high)}]; widen the range")
    return lines


def diverged_shares(trials: pd.DataFrame, point: str) -> tuple[pd.DataFrame, list[str]]:
    """Per grid point the share of its trials whose status is "diverged" (columns point,
    trials, diverged, share), and a warning for each point at DIVERGED_WARNING or above."""
    table = (trials.assign(diverged=trials["status"] == "diverged")
             .groupby(point, sort=False)["diverged"].agg(trials="size", diverged="sum").reset_index())
    table["share"] = table["diverged"] / table["trials"]
    lines = [f"{row[point]}: {row['diverged']} of {row['trials']} trials diverged "
             f"({row['share']:.0%}); the search range may reach too far"
             for row in table.to_dict("records") if row["share"] >= DIVERGED_WARNING]
    return table, lines


def curve_warnings(curve: pd.DataFrame, column: str, lower_is_better: bool, label: str) -> list[str]:
    """Warnings on one best trial's curve (``epoch`` and ``column``, one row per recorded epoch):
    overfitting when the value at the last epoch gave back more than OVERFIT_SHARE of the curve's
    range since its best epoch; too few epochs when the last quarter of the epochs still gained
    more than IMPROVING_SHARE of it."""
    curve = curve.dropna(subset=[column]).sort_values("epoch")
    values, epochs = curve[column].to_numpy(float), curve["epoch"].to_numpy()
    if len(values) < 2 or not np.isfinite(values).all():
        return []
    sign = 1.0 if lower_is_better else -1.0
    spread = values.max() - values.min()
    if spread == 0:
        return []
    best = int(np.argmin(sign * values))
    lines = []
    given_back = sign * (values[-1] - values[best])
    if best < len(values) - 1 and given_back > OVERFIT_SHARE * spread:
        lines.append(f"{label}: the best trial's {column} worsens after epoch {epochs[best]} "
                     f"({values[best]:.3g} there, {values[-1]:.3g} at epoch {epochs[-1]}): "
                     "overfitting; stop earlier or regularize")
    quarter = int(round(0.75 * (len(values) - 1)))
    gained = sign * (values[quarter] - values[-1])
    if len(values) >= 4 and gained > IMPROVING_SHARE * spread:
        lines.append(f"{label}: the best trial's {column} still improves at its last epoch "
                     f"({values[quarter]:.3g} at epoch {epochs[quarter]}, {values[-1]:.3g} at "
                     f"epoch {epochs[-1]}): too few epochs")
    return lines
