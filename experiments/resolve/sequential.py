"""Verdicts that stay valid when seeds are added until a comparison is resolved (issue 25).

The one place a ``[resolve]`` verdict comes from: pure functions on arrays (numpy and scipy).

Method: a group-sequential t-test over the planned looks with a union (Bonferroni) bound.
A study of K comparisons plans L looks, one per round, at n_1 < n_2 < ... < n_L = max_seeds
paired seeds (``looks``). At every look each comparison gets the two-sided Student t interval of
the mean of its paired differences (candidate - reference, one per seed both sides finished) at
level 1 - alpha / (K * L) (``look_alpha``). By the union bound, with probability at least 1 - alpha
every interval the schedule could ever compute (all K comparisons at all L looks) covers its true
mean at once, whatever the data decide about stopping. So the verdicts read off them
(``verdict_codes``: "better"/"worse" when the interval excludes 0, "equivalent" when it lies
inside (-margin, +margin)) are all correct together with probability at least
``confidence``, and a comparison may stop at its first decided look and stay decided.

Assumption: within a comparison the paired differences are independent and identically
distributed and close enough to normal for the t interval (exact for normal differences; the
calibration tests check skewed lognormal ones too). Seeds dropped because a side diverged or
failed are assumed unrelated to the value the run would have had.

Reference: the Bonferroni bound over planned analyses of group-sequential designs, Jennison &
Turnbull (2000), "Group Sequential Methods with Applications to Clinical Trials", ch. 2-3; it is
the most conservative member of the Lan-DeMets alpha-spending family (equal spending over looks).
"""
from __future__ import annotations

import warnings

import numpy as np

# Verdict codes (arrays) and their names; OPEN: no decision yet, NOT_RESOLVED: budget spent.
OPEN, BETTER, WORSE, EQUIVALENT, NOT_RESOLVED = 0, 1, 2, 3, 4
VERDICTS = ("open", "better", "worse", "equivalent", "not resolved")
MIN_PAIRS = 2  # a t interval needs a spread: fewer finished pairs never decide


def looks(first: int, add: int, max_seeds: int) -> list[int]:
    """The planned looks, as seeds per grid point: ``first``, ``first + add``, ... capped at
    ``max_seeds`` (the last round adds fewer when the steps do not land on it).
    ``looks(5, 5, 50)`` -> [5, 10, ..., 50]; ``looks(5, 10, 20)`` -> [5, 15, 20]."""
    if first < 1 or add < 1 or max_seeds < first:
        raise ValueError(f"need 1 <= first <= max_seeds and add >= 1, got {first}, {add}, {max_seeds}")
    return [*range(first, max_seeds, add), max_seeds] if first < max_seeds else [first]


def look_alpha(confidence: float, n_comparisons: int, n_looks: int) -> float:
    """The two-sided error allowed to one comparison at one look: (1 - confidence) / (K * L)."""
    if not 0 < confidence < 1 or n_comparisons < 1 or n_looks < 1:
        raise ValueError(f"need 0 < confidence < 1 and counts >= 1, got {confidence}, "
                         f"{n_comparisons}, {n_looks}")
    return (1 - confidence) / (n_comparisons * n_looks)


def t_interval(differences: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(n, mean, low, high) over the last axis of ``differences`` (..., seeds), NaN (a dropped
    seed) left out: the finite count, their mean and its two-sided 1 - alpha Student t interval.
    Fewer than MIN_PAIRS finite values give NaN bounds (never decided). All differences equal give
    the degenerate interval [mean, mean]."""
    from scipy import stats  # here, not at the top: a sweep's workers import this module, never call it

    differences = np.asarray(differences, dtype=float)
    finite = np.isfinite(differences)
    n = finite.sum(axis=-1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row: NaN is the answer
        mean = np.nanmean(np.where(finite, differences, np.nan), axis=-1)
        sd = np.nanstd(np.where(finite, differences, np.nan), axis=-1, ddof=1)
        df = np.maximum(n - 1, 1)
        half = stats.t.ppf(1 - alpha / 2, df) * sd / np.sqrt(n)
    half = np.where(n >= MIN_PAIRS, half, np.nan)
    return n, mean, mean - half, mean + half


def verdict_codes(low: np.ndarray, high: np.ndarray, margin: float,
                  lower_is_better: bool) -> np.ndarray:
    """The verdict each interval [low, high] of ``candidate - reference`` allows: EQUIVALENT when
    it lies strictly inside (-margin, +margin) (never for margin 0), else BETTER or WORSE when it
    excludes 0 (better: lower for a loss, higher for an accuracy), else OPEN. NaN bounds: OPEN."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    with np.errstate(invalid="ignore"):
        equivalent = (low > -margin) & (high < margin)
        below, above = high < 0, low > 0
    good, bad = (below, above) if lower_is_better else (above, below)
    return np.select([equivalent, good, bad], [EQUIVALENT, BETTER, WORSE], OPEN)


def run_looks(differences: np.ndarray, seeds_at: list[int], alpha: float, margin: float,
              lower_is_better: bool) -> dict[str, np.ndarray]:
    """Every comparison in ``differences`` (..., N) (paired differences in seed order, NaN where a
    seed was dropped) followed through the looks ``seeds_at`` (each <= N) and stopped at its first
    decided look. Returns arrays over the leading axes: ``verdict`` (a code; NOT_RESOLVED when no
    look decided), ``look`` (index of the deciding look, the last one if none), and ``n``,
    ``mean``, ``low``, ``high`` at that look; plus ``trace_*`` (..., L) of every look, for the
    funnel figure (NaN after the deciding look)."""
    differences = np.asarray(differences, dtype=float)
    shape = differences.shape[:-1]
    verdict = np.full(shape, OPEN)
    look = np.full(shape, len(seeds_at) - 1)
    traces = {key: np.full((*shape, len(seeds_at)), np.nan) for key in ("n", "mean", "low", "high")}
    for index, seeds in enumerate(seeds_at):
        n, mean, low, high = t_interval(differences[..., :seeds], alpha)
        still_open = verdict == OPEN
        for key, value in zip(("n", "mean", "low", "high"), (n, mean, low, high)):
            traces[key][..., index] = np.where(still_open, value, np.nan)
        decided = still_open & (verdict_codes(low, high, margin, lower_is_better) != OPEN)
        verdict = np.where(decided, verdict_codes(low, high, margin, lower_is_better), verdict)
        look = np.where(decided, index, look)
    verdict = np.where(verdict == OPEN, NOT_RESOLVED, verdict)
    at_look = {key: np.take_along_axis(trace, look[..., None], axis=-1)[..., 0]
               for key, trace in traces.items()}
    return {"verdict": verdict, "look": look, **at_look,
            **{f"trace_{key}": trace for key, trace in traces.items()}}


def verdict_name(code: int) -> str:
    """``"better"`` for BETTER, and so on (``VERDICTS``)."""
    return VERDICTS[int(code)]
