"""A spec's ``[resolve]`` table, checked, and the comparisons it asks for.

    [resolve]
    axis = "width"               # a [grid] key: its values are compared, in the listed order
    compare = "adjacent"         # adjacent values, or "baseline" (each against [report] baseline)
    metric = "final_train_loss"  # a runs column; lower is better for losses and times
    confidence = 0.95            # family-wise, over all comparisons of the study
    margin = 0.0                 # |difference| within margin is "equivalent" (0: never)
    add = 5                      # seeds added per round to each grid point of an open comparison
    max_seeds = 50               # per grid point

The table never enters a run's configuration, so it changes no run id.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

from ..config import Where


COMPARE = ("adjacent", "baseline")
DEFAULTS = {"compare": "adjacent", "metric": "final_train_loss", "confidence": 0.95,
            "margin": 0.0, "add": 5, "max_seeds": 50}
KEYS = ("axis", *DEFAULTS)
# Result columns of the runs table a verdict may compare (floats measured by a run), and the
# ones where higher is better; the rest (losses, times) are better lower.
HIGHER_IS_BETTER = ("final_train_acc", "final_val_acc", "samples_per_s", "gflops", "peak_gflops",
                    "peak_share")
METRICS = ("final_train_loss", "final_val_loss", "best_train_loss", "best_val_loss", "wall_s",
           "sec_per_epoch", *HIGHER_IS_BETTER)


@dataclass(frozen=True)
class Resolve:
    """The checked ``[resolve]`` table."""

    axis: str
    compare: str
    metric: str
    confidence: float
    margin: float
    add: int
    max_seeds: int

    @property
    def lower_is_better(self) -> bool:
        return self.metric not in HIGHER_IS_BETTER


@dataclass(frozen=True)
class Comparison:
    """Two grid points (their labels) that differ only in ``axis``; the difference is
    candidate - reference. ``group``: the values of the other grid keys ("" when there are none)."""

    reference: str
    candidate: str
    group: str = ""

    @property
    def text(self) -> str:
        return f"{self.reference} -> {self.candidate}"


def _number(table: dict, key: str, kind: type, at: Where):
    value = table.get(key, DEFAULTS[key])
    if isinstance(value, bool) or not isinstance(value, kind):
        raise at.error(f"resolve.{key}", f"must be {'an integer' if kind is numbers.Integral else 'a number'}, "
                                         f"got {value!r}")
    return value


def parse(table, grid_keys: list[str], first_seeds: int, at: Where) -> Resolve:
    """The ``[resolve]`` table checked against the spec's ``[grid]`` keys and its first round
    of ``first_seeds`` seeds; SpecError naming ``resolve.<key>`` for a bad value."""
    if not isinstance(table, dict):
        raise at.error("resolve", "must be a table ([resolve]) with axis, compare, metric, ...")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise at.error(f"resolve.{unknown[0]}", f"unknown key; valid keys: {', '.join(KEYS)}")
    axis = table.get("axis")
    if axis not in grid_keys:
        raise at.error("resolve.axis", f"{axis!r} is not a [grid] key; grid keys: "
                                       f"{', '.join(grid_keys) or 'none (the spec has no [grid])'}")
    compare = table.get("compare", DEFAULTS["compare"])
    if compare not in COMPARE:
        raise at.error("resolve.compare", f"{compare!r} is not one of {', '.join(COMPARE)}")
    metric = table.get("metric", DEFAULTS["metric"])
    if metric not in METRICS:
        raise at.error("resolve.metric", f"{metric!r} is not a stored result column; one of "
                                         f"{', '.join(METRICS)}")
    confidence = float(_number(table, "confidence", numbers.Real, at))
    if not 0 < confidence < 1:
        raise at.error("resolve.confidence", f"must be in (0, 1), got {confidence!r}")
    margin = float(_number(table, "margin", numbers.Real, at))
    if not margin >= 0 or margin == float("inf"):
        raise at.error("resolve.margin", f"must be a finite number >= 0, got {margin!r}")
    add = _number(table, "add", numbers.Integral, at)
    if add < 1:
        raise at.error("resolve.add", f"must be >= 1 (seeds added per round), got {add}")
    max_seeds = _number(table, "max_seeds", numbers.Integral, at)
    if max_seeds < first_seeds:
        raise at.error("resolve.max_seeds", f"must be at least the first round's seeds = "
                                            f"{first_seeds}, got {max_seeds}")
    return Resolve(axis, compare, metric, confidence, margin, add, max_seeds)


def seed_schedule(first: list[int], max_seeds: int) -> list[int]:
    """The seed numbers in the order rounds use them: the spec's ``first`` seeds, then the next
    unused numbers after the largest of them, up to ``max_seeds`` in all."""
    after = max(first) + 1
    return [*first, *range(after, after + max_seeds - len(first))][:max(max_seeds, len(first))]


def comparisons(resolve: Resolve, points: list[tuple[str, dict]], baseline: dict | None,
                at: Where) -> list[Comparison]:
    """The comparisons of the grid ``points`` ((label, spec values) in grid order): within each
    combination of the other keys' values, adjacent values of ``axis`` in the order listed, or
    each value against the baseline's (``[report] baseline``; SpecError when it is missing or
    names no value of ``axis``)."""
    groups: dict[str, list[tuple[str, dict]]] = {}
    for label, point in points:
        others = ", ".join(f"{key}={value!r}" for key, value in point.items() if key != resolve.axis)
        groups.setdefault(others, []).append((label, point))
    if resolve.compare == "baseline":
        if not baseline or resolve.axis not in baseline:
            raise at.error("resolve.compare", f'"baseline" compares each {resolve.axis} against '
                                              f"[report] baseline, which must name a {resolve.axis} "
                                              f"value, e.g. baseline = {{ {resolve.axis} = ... }}")
    found = []
    for group, members in groups.items():
        if resolve.compare == "adjacent":
            found += [Comparison(a, b, group) for (a, _), (b, _) in zip(members, members[1:])]
            continue
        reference = [label for label, point in members if point[resolve.axis] == baseline[resolve.axis]]
        found += [Comparison(reference[0], label, group) for label, _ in members
                  if reference and label != reference[0]]
    if not found:
        raise at.error("resolve.axis", f"the grid gives no two {resolve.axis} values to compare")
    return found


