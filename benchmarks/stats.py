"""The statistics of a side-by-side comparison: medians, ratio interval, Mann-Whitney U, Holm, verdict.

Input per benchmark: the per-round values of BASE and of HEAD (one value per benchmark process,
seconds or bytes). Nothing here runs or times anything, so the tests prove it on fixed samples.

- ``ratio`` = median(HEAD) / median(BASE); its 95% interval is a seeded bootstrap of that ratio
  (``experiments.stats.ratio_interval``).
  ``fastest_ratio`` = min(HEAD) / min(BASE) is reported beside it (load only ever adds time, so on
  a busy machine the fastest rounds show a change the medians may blur) but never decides.
- The p-value is the two-sided Mann-Whitney U test over the per-round values, computed only when
  the sample sizes can reach the level at all (as asv does): with n and m rounds the smallest
  possible p is 2 / C(n + m, n), e.g. 0.1 for 3 and 3 rounds. Without one the verdict falls back on
  the ratio's interval excluding 1.
- Holm's step-down correction (``experiments.stats.holm``, the report's too) runs over the
  benchmarks compared (those that have a p-value), one family per metric.
- Verdict: ``unstable`` when a side's own spread (median absolute deviation / median of its rounds), or the calibrated
  noise, exceeds ``max_spread``; else ``slower`` / ``faster`` when the ratio is beyond the threshold
  and significant; else ``same``. Only ``slower`` fails a comparison.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from experiments.stats import holm, ratio_interval

ALPHA = 0.05
THRESHOLD = 0.10         # a ratio beyond 1.10 (or below 1 / 1.10) can count
MAX_SPREAD = 0.10        # a side whose median absolute deviation exceeds 10% of its median is unstable
NOISE_FACTOR = 2.0       # the threshold is at least NOISE_FACTOR x the calibrated noise
BOOTSTRAP_RESAMPLES = 2000
VERDICTS = ("slower", "faster", "same", "unstable")


@dataclass(frozen=True)
class Comparison:
    """One benchmark and metric, BASE against HEAD. ``p_value``/``p_holm`` are None when the
    sample sizes cannot reach the level; ``threshold`` is the relative change that counts."""

    benchmark: str
    metric: str               # "time_s" or "peak_bytes"
    base_median: float
    head_median: float
    ratio: float
    ci_low: float
    ci_high: float
    spread: float             # the larger side's median absolute deviation / median
    threshold: float
    p_value: float | None
    p_holm: float | None = None
    verdict: str = "same"
    fastest_ratio: float = math.nan   # min(head) / min(base): shown, never decides
    raw_ratio: float = math.nan       # median ratio before normalising by the reference workload


def smallest_p_value(n_base: int, n_head: int) -> float:
    """The smallest two-sided exact Mann-Whitney p-value that n_base and n_head rounds allow."""
    if n_base == 0 or n_head == 0:
        return 1.0
    return min(1.0, 2.0 / math.comb(n_base + n_head, n_base))


def mann_whitney_p(base: np.ndarray, head: np.ndarray, alpha: float = ALPHA) -> float | None:
    """Two-sided Mann-Whitney U p-value of the rounds, or None if no p below ``alpha`` is possible."""
    if smallest_p_value(len(base), len(head)) >= alpha:
        return None
    if np.ptp(np.concatenate([base, head])) == 0:
        return 1.0    # every round equal (a deterministic peak memory): no difference at all
    from scipy.stats import mannwhitneyu  # here: `nnstudy`'s other commands need not load SciPy

    return float(mannwhitneyu(head, base, alternative="two-sided").pvalue)


def relative_spread(values: np.ndarray) -> float:
    """Median absolute deviation over the median (0 for a single value or a zero median).

    Robust to a minority of rounds slowed by a busy spell: up to half the rounds can be off
    without moving it, where an IQR already moves with a quarter."""
    median = float(np.median(values))
    if len(values) < 2 or median == 0:
        return 0.0
    return float(np.median(np.abs(values - median)) / abs(median))


def effective_threshold(threshold: float, noise: float | None, noise_factor: float = NOISE_FACTOR) -> float:
    """The larger of ``threshold`` and ``noise_factor`` x the calibrated ``noise`` (if any)."""
    return threshold if noise is None else max(threshold, noise_factor * noise)


def measure(benchmark: str, metric: str, base, head, threshold: float = THRESHOLD,
            alpha: float = ALPHA, seed: int = 0) -> Comparison:
    """Medians, ratio and interval, spread and raw p-value of one benchmark (no verdict yet)."""
    base, head = np.asarray(base, dtype=float), np.asarray(head, dtype=float)
    if len(base) == 0 or len(head) == 0:
        raise ValueError(f"{benchmark} ({metric}): both sides need at least one round")
    base_median, head_median = float(np.median(base)), float(np.median(head))
    ratio = head_median / base_median if base_median else (1.0 if head_median == 0 else math.inf)
    low, high = (ratio_interval(head, base, seed=seed, resamples=BOOTSTRAP_RESAMPLES)
                 if base_median and np.all(base != 0) and max(len(base), len(head)) > 1 else (ratio, ratio))
    fastest = float(head.min() / base.min()) if base.min() > 0 else math.nan
    return Comparison(benchmark, metric, base_median, head_median, ratio, low, high,
                      max(relative_spread(base), relative_spread(head)), threshold,
                      mann_whitney_p(base, head, alpha), fastest_ratio=fastest)


def verdict(c: Comparison, alpha: float = ALPHA, max_spread: float = MAX_SPREAD,
            noise: float | None = None) -> str:
    """``unstable``, ``slower``, ``faster`` or ``same`` for a measured comparison (see the module)."""
    if max(c.spread, noise or 0.0) > max_spread:
        return "unstable"
    if c.p_holm is not None:
        significant = c.p_holm < alpha
    else:
        significant = c.ci_low > 1.0 or c.ci_high < 1.0
    if significant and c.ratio > 1.0 + c.threshold:
        return "slower"
    if significant and c.ratio < 1.0 / (1.0 + c.threshold):
        return "faster"
    return "same"


def decide(comparisons: list[Comparison], alpha: float = ALPHA, max_spread: float = MAX_SPREAD,
           noise: dict[tuple[str, str], float] | None = None) -> list[Comparison]:
    """Holm over the benchmarks compared, one family per metric (time, memory), then each one's
    verdict; ``noise`` maps (benchmark, metric) to its calibrated noise."""
    adjusted: list[float | None] = [None] * len(comparisons)
    for metric in {c.metric for c in comparisons}:
        family = [i for i, c in enumerate(comparisons) if c.metric == metric]
        for i, p in zip(family, holm([comparisons[i].p_value for i in family])):
            adjusted[i] = None if np.isnan(p) else float(p)
    noise = noise or {}
    decided = []
    for c, p_holm in zip(comparisons, adjusted):
        c = replace(c, p_holm=p_holm)
        decided.append(replace(c, verdict=verdict(c, alpha, max_spread, noise.get((c.benchmark, c.metric)))))
    return decided


def holm_can_reach(n_base: int, n_head: int, count: int, alpha: float = ALPHA) -> bool:
    """Whether the smallest p of n_base and n_head rounds passes Holm's strictest level alpha/count."""
    return smallest_p_value(n_base, n_head) < alpha / max(count, 1)
