"""Where a benchmark's level changed along its history: PELT (``ruptures``) on log values.

A history is one value per commit, in commit order. The detector works on ``log(value)`` so that a
step is a ratio, with an L2 cost and a BIC-like penalty ``PENALTY_FACTOR * sigma^2 * log(n)``;
``sigma`` is the noise from successive differences (a robust MAD), floored at ``NOISE_FLOOR`` so
that a constant series (a deterministic peak memory) does not call every wiggle a change. Steps
smaller than ``MIN_STEP`` are dropped.

A segment needs two commits, so the newest commit is judged on its own: against the level of the
commits before it, with the threshold the penalty sets for a one-point segment. A step found there
is the newest commit's (``LevelChange.newest``), at its own size, not half of it blamed on the
commit before.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PENALTY_FACTOR = 3.0
NOISE_FLOOR = 0.01       # 1% in log space
MIN_STEP = 0.05          # a level change under 5% is not reported
MIN_POINTS = 4


@dataclass(frozen=True)
class LevelChange:
    """The level changed at ``index`` (the first point of the new level): medians before and after."""

    index: int
    before: float
    after: float
    newest: bool = False   # the newest commit alone is at the new level so far
    @property
    def ratio(self) -> float:
        return self.after / self.before


def noise_sigma(log_values: np.ndarray) -> float:
    """Robust standard deviation of one point from successive differences (MAD / 0.6745 / sqrt 2)."""
    if len(log_values) < 3:
        return NOISE_FLOOR
    diffs = np.diff(log_values)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return max(mad / 0.6745 / math.sqrt(2.0), NOISE_FLOOR)


def level_changes(values, min_step: float = MIN_STEP) -> list[LevelChange]:
    """The level changes of ``values`` (n,) (positive, in commit order); none below MIN_POINTS.
    The newest commit is judged on its own when it alone stands off the level before it."""
    values = np.asarray(values, dtype=float)
    if len(values) < MIN_POINTS or np.any(values <= 0):
        return []
    earlier = _segment_changes(values[:-1], min_step) if len(values) > MIN_POINTS else []
    level = float(np.median(values[earlier[-1].index if earlier else 0:-1]))
    sigma = noise_sigma(np.log(values[:-1]))
    newest, before = values[-1], values[-2]
    if _is_step(level, newest, sigma, len(values), min_step) and \
            _is_step(before, newest, sigma, len(values), min_step):
        return [*earlier, LevelChange(len(values) - 1, level, float(newest), newest=True)]
    return _segment_changes(values, min_step)


def _is_step(level: float, value: float, sigma: float, n: int, min_step: float) -> bool:
    """One value off ``level`` by at least ``min_step`` and by more than PELT's penalty lets a
    one-point segment be (its cost saving ``log(value / level)^2`` against the penalty)."""
    jump = abs(math.log(value / level))
    return jump >= math.log1p(min_step) and jump ** 2 > PENALTY_FACTOR * sigma ** 2 * math.log(n)


def _segment_changes(values: np.ndarray, min_step: float) -> list[LevelChange]:
    """PELT's level changes of ``values`` (n,), segments of two points at least."""
    import ruptures  # imported here: only the history commands need it

    signal = np.log(values)
    penalty = PENALTY_FACTOR * noise_sigma(signal) ** 2 * math.log(len(values))
    ends = ruptures.Pelt(model="l2", min_size=2, jump=1).fit(signal.reshape(-1, 1)).predict(pen=penalty)
    bounds = [0, *ends]
    changes = []
    for start, cut, end in zip(bounds, bounds[1:], bounds[2:]):
        before, after = float(np.median(values[start:cut])), float(np.median(values[cut:end]))
        if abs(math.log(after / before)) >= math.log1p(min_step):
            changes.append(LevelChange(cut, before, after))
    return changes
