"""A spec's axes, checked: ``[grid]`` lists, ``[[zip]]`` groups and ``[[case]]`` tables, each
an axis of points (a point: a dict of configuration overrides); ``[[exclude]]`` rules; ``seeds``;
and the grid's size, counted before it is expanded (experiments/spec.py expands them).
"""
from __future__ import annotations

import itertools
import math

from .config import Where, check_known_key, check_value
from .fields import INT64_MAX


def axis_from_grid(grid: dict, at: Where) -> list[list[dict]]:
    axes = []
    for key, values in grid.items():
        where = f"grid.{key}"
        check_known_key(key, where, at)
        if not isinstance(values, list):
            raise at.error(where, f"grid values must be a list, got {values!r}")
        if not values:
            raise at.error(where, "empty list: the grid would have no runs")
        axes.append([{key: check_value(key, v, f"{where}[{i}]", at)} for i, v in enumerate(values)])
    return axes


def axes_from_zip(groups, at: Where) -> list[list[dict]]:
    if not isinstance(groups, list):
        raise at.error("zip", "must be a list of tables ([[zip]])")
    axes = []
    for g, group in enumerate(groups):
        where = f"zip[{g}]"
        if not isinstance(group, dict) or not group:
            raise at.error(where, "must be a non-empty table of equal-length lists")
        lengths = {}
        for key, values in group.items():
            check_known_key(key, f"{where}.{key}", at)
            if not isinstance(values, list) or not values:
                raise at.error(f"{where}.{key}", f"must be a non-empty list, got {values!r}")
            lengths[key] = len(values)
        if len(set(lengths.values())) != 1:
            raise at.error(where, f"lists of a zip group must have equal lengths, got {lengths}")
        n = next(iter(lengths.values()))
        axes.append([{key: check_value(key, values[i], f"{where}.{key}[{i}]", at)
                      for key, values in group.items()} for i in range(n)])
    return axes


def axis_from_cases(cases, at: Where) -> list[list[dict]]:
    if not isinstance(cases, list) or not cases:
        raise at.error("case", "must be a non-empty list of tables ([[case]])")
    points = []
    for c, case in enumerate(cases):
        if not isinstance(case, dict):
            raise at.error(f"case[{c}]", f"must be a table, got {case!r}")
        points.append({key: check_value(key, value, f"case[{c}].{key}", at)
                       for key, value in case.items()})
    return [points]


def check_excludes(rules, at: Where) -> list[dict]:
    if not isinstance(rules, list):
        raise at.error("exclude", "must be a list of tables ([[exclude]])")
    checked = []
    for r, rule in enumerate(rules):
        if not isinstance(rule, dict) or not rule:
            raise at.error(f"exclude[{r}]", "must be a non-empty table of key = value or list")
        for key, value in rule.items():
            check_known_key(key, f"exclude[{r}].{key}", at)
        checked.append({key: value if isinstance(value, list) else [value] for key, value in rule.items()})
    return checked


def excluded(config: dict, rules: list[dict]) -> bool:
    """A run is dropped when some rule matches all its keys (resolved fields; hidden, width and
    depth derived from layer_sizes, so a rule on width also matches ``hidden = [100]``)."""
    hidden = config["layer_sizes"][1:-1]
    derived = {"hidden": hidden, "width": hidden[0] if hidden else 0, "depth": len(hidden)}

    def value_of(key):
        return derived[key] if key in derived else config[key]
    return any(all(value_of(key) in allowed for key, allowed in rule.items()) for rule in rules)


def seeds_of(value, at: Where) -> list[int] | range:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise at.error("seeds", f"must be >= 1 (a count) or a list of seeds, got {value}")
        if value > INT64_MAX:
            raise at.error("seeds", f"{value} is beyond the 64-bit integer range (at most {INT64_MAX})")
        return range(value)  # not a list: a count beyond --max-runs is refused by its size
    if isinstance(value, list) and value and all(isinstance(s, int) and not isinstance(s, bool)
                                                 and 0 <= s <= INT64_MAX for s in value):
        if len(set(value)) != len(value):
            raise at.error("seeds", f"seeds repeat: {value}")
        return value
    raise at.error("seeds", f"must be a count >= 1 or a non-empty list of integers in [0, "
                            f"{INT64_MAX}], got {value!r}")


def check_size(axes: list[list[dict]], names: list[str], seeds: list[int], max_runs: int,
                at: Where) -> None:
    """SpecError if the grid has more than ``max_runs`` points, counted without expanding it."""
    sizes = [len(points) for points in axes] + [len(seeds)]
    total = math.prod(sizes)
    if total > max_runs:
        factors = " x ".join(f"{name} {size:,}" for name, size in zip([*names, "seeds"], sizes))
        raise at.error("grid", f"expands to {total:,} runs ({factors}), more than the limit of "
                               f"{max_runs:,}; check the spec, or pass --max-runs {total} to run it")


def check_axes_disjoint(base: dict, axes: list[list[dict]], at: Where) -> None:
    """No seed outside ``seeds``; no key varied by two axes."""
    keys_per_axis = [set().union(*points) for points in axes]
    if "seed" in base or any("seed" in keys for keys in keys_per_axis):
        raise at.error("seed", "set replicates with the top-level seeds = N or seeds = [..]")
    for a, b in itertools.combinations(range(len(axes)), 2):
        shared = keys_per_axis[a] & keys_per_axis[b]
        if shared:
            raise at.error(", ".join(sorted(shared)), "varies in more than one of grid, zip and case")
