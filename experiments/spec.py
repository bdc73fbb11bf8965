"""Study specs: parse a TOML file, validate it, expand its grid and freeze the runs with their ids.

A spec is data::

    name = "width"
    description = "..."
    seeds = 5                      # or a list of ints; replicates vary innermost
    timing = false                 # true: run one job at a time and measure the matmul peak
    [base]                         # one run configuration (keys: FIELDS below, plus hidden/width/depth)
    dataset = "sincos"
    hidden = [100]
    [grid]                         # Cartesian product of these lists
    width = [10, 20, 50, 100]
    [[zip]]                        # optional: keys that vary together (equal-length lists)
    width = [20, 100]
    lr = [0.01, 0.001]
    [[case]]                       # optional: one axis whose points are whole tables of overrides
    dataset = "xor"
    [[exclude]]                    # optional: drop runs matching every key (a value or a list)
    engine = "scalar"
    width = [100, 200]
    [report]                       # optional: how the report draws this study
    x = "epoch"                    # or a grid key: final metric against it
    facet = ["width"]              # at most two grid keys as panel columns/rows; others are hue
    metric = "val_acc"             # loss, acc, or one of train_loss, val_loss, train_acc, val_acc

Every run is resolved to a canonical configuration (experiments/config.py) whose SHA-256 is the
run id; the whole grid is expanded and frozen before anything runs.
"""
from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .config import (FIELDS, SPEC_KEYS, SpecError, Where, canonical_json, check_known_key,
                     check_type, check_value, own_copy, resolve, run_id)

STUDIES_DIR = Path(__file__).parent / "studies"
__all__ = ["Run", "Study", "SpecError", "load_spec", "find_study", "default_studies", "spec_paths",
           "run_id", "canonical_json", "STUDIES_DIR"]


@dataclass(frozen=True)
class Run:
    """One frozen run: its canonical configuration and the id derived from it."""

    run_id: str
    config: dict
    point: dict = field(default_factory=dict, compare=False)  # the spec values that vary, for labels

    def label(self, keys: tuple[str, ...] = ()) -> str:
        """``width=20, seed=3``: the values the spec varies (or the given config fields)."""
        if keys:
            return ", ".join(f"{k}={self.config[k]!r}" for k in keys)
        return ", ".join(f"{k}={v!r}" for k, v in self.point.items()) or self.run_id[:12]


@dataclass
class Study:
    """A validated spec with its runs expanded and frozen (ids computed) before anything runs."""

    name: str
    description: str
    path: Path
    runs: list[Run]
    varying: tuple[str, ...]           # config fields that differ between runs (for labels)
    timing: bool = False
    default: bool = True
    quick: bool = False
    report: dict = field(default_factory=dict)  # the spec's [report] table, checked


# --- parsing and expansion ----------------------------------------------------------------------
def _axis_from_grid(grid: dict, at: Where) -> list[list[dict]]:
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


def _axes_from_zip(groups, at: Where) -> list[list[dict]]:
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


def _axis_from_cases(cases, at: Where) -> list[list[dict]]:
    if not isinstance(cases, list) or not cases:
        raise at.error("case", "must be a non-empty list of tables ([[case]])")
    points = []
    for c, case in enumerate(cases):
        if not isinstance(case, dict):
            raise at.error(f"case[{c}]", f"must be a table, got {case!r}")
        points.append({key: check_value(key, value, f"case[{c}].{key}", at)
                       for key, value in case.items()})
    return [points]


def _check_excludes(rules, at: Where) -> list[dict]:
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


def _excluded(config: dict, rules: list[dict]) -> bool:
    """A run is dropped when some rule matches all its keys (resolved fields; hidden, width and
    depth derived from layer_sizes, so a rule on width also matches ``hidden = [100]``)."""
    hidden = config["layer_sizes"][1:-1]
    derived = {"hidden": hidden, "width": hidden[0] if hidden else 0, "depth": len(hidden)}

    def value_of(key):
        return derived[key] if key in derived else config[key]
    return any(all(value_of(key) in allowed for key, allowed in rule.items()) for rule in rules)


def _seeds(value, at: Where) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise at.error("seeds", f"must be >= 1 (a count) or a list of seeds, got {value}")
        return list(range(value))
    if isinstance(value, list) and value and all(isinstance(s, int) and not isinstance(s, bool)
                                                 and s >= 0 for s in value):
        if len(set(value)) != len(value):
            raise at.error("seeds", f"seeds repeat: {value}")
        return value
    raise at.error("seeds", f"must be a count >= 1 or a non-empty list of integers >= 0, got {value!r}")


def _comparable(value):
    """A hashable stand-in equal for equal values and different for 1 and 1.0 (which give
    different run ids), without building JSON (the cost that dominated expanding large grids)."""
    if isinstance(value, list):
        return ("list", tuple(_comparable(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _comparable(v)) for k, v in value.items())))
    return type(value), value


def _differs(values) -> bool:
    """Whether the values are not all the same (compared as their canonical JSON would be)."""
    values = iter(values)
    first = _comparable(next(values, None))
    return any(_comparable(value) != first for value in values)


QUICK_EPOCHS = 2
EPOCH_LISTS = ("snapshot_epochs", "activation_stats_epochs")  # cut to the quick run's epochs
REPORT_METRICS = ("loss", "acc", "train_loss", "val_loss", "train_acc", "val_acc")
MAX_FACETS = 2


def _report_options(table, at: Where) -> dict:
    """The ``[report]`` table: x (epoch or a configuration key), facet (at most two keys),
    metric (one of REPORT_METRICS), section (the name of a report section module; the report,
    which experiments never imports, checks the name)."""
    if not isinstance(table, dict):
        raise at.error("report", "must be a table ([report]) of x, facet, metric and section")
    unknown = set(table) - {"x", "facet", "metric", "section"}
    if unknown:
        raise at.error(f"report.{sorted(unknown)[0]}",
                       "unknown key; valid keys: facet, metric, section, x")
    options = {}
    if "section" in table:
        options["section"] = check_type(table["section"], str, "report.section", at)
    if "x" in table:
        x = check_type(table["x"], str, "report.x", at)
        if x != "epoch":
            check_known_key(x, "report.x", at)
        options["x"] = x
    if "facet" in table:
        facet = check_type(table["facet"], list, "report.facet", at)
        if len(facet) > MAX_FACETS:
            raise at.error("report.facet", f"at most {MAX_FACETS} keys (columns, rows), got {facet!r}")
        for i, key in enumerate(facet):
            check_known_key(check_type(key, str, f"report.facet[{i}]", at), f"report.facet[{i}]", at)
        options["facet"] = facet
    if "metric" in table:
        metric = check_type(table["metric"], str, "report.metric", at)
        if metric not in REPORT_METRICS:
            raise at.error("report.metric", f"{metric!r} is not one of {', '.join(REPORT_METRICS)}")
        options["metric"] = metric
    return options


# A spec expanding to more runs than this is refused before it is expanded (--max-runs raises it).
MAX_RUNS = 100_000


def _check_size(axes: list[list[dict]], names: list[str], seeds: list[int], max_runs: int,
                at: Where) -> None:
    """SpecError if the grid has more than ``max_runs`` points, counted without expanding it."""
    sizes = [len(points) for points in axes] + [len(seeds)]
    total = math.prod(sizes)
    if total > max_runs:
        factors = " x ".join(f"{name} {size:,}" for name, size in zip([*names, "seeds"], sizes))
        raise at.error("grid", f"expands to {total:,} runs ({factors}), more than the limit of "
                               f"{max_runs:,}; check the spec, or pass --max-runs {total} to run it")


def load_spec(path: str | Path, quick: bool = False, max_runs: int = MAX_RUNS) -> Study:
    """Parse, validate and expand the spec at ``path``; raises SpecError naming file and key.

    ``quick`` (CI smoke runs): each grid axis keeps its first and last value, one seed, at most
    two epochs, and the study is stored as ``<name>-quick`` so it never mixes with real results.
    A grid of more than ``max_runs`` points is refused, counted before it is expanded.
    """
    path = Path(path)
    at = Where(path)
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not valid TOML: {error}") from None

    unknown = set(raw) - SPEC_KEYS
    if unknown:
        raise at.error(", ".join(sorted(unknown)), f"unknown top-level key; valid keys: {', '.join(sorted(SPEC_KEYS))}")
    name = raw.get("name")
    if not (isinstance(name, str) and name and all(ch.isalnum() or ch in "-_" for ch in name)):
        raise at.error("name", f"must be a non-empty string of letters, digits, - and _, got {name!r}")
    description = check_type(raw.get("description", ""), str, "description", at)
    timing = check_type(raw.get("timing", False), bool, "timing", at)
    default = check_type(raw.get("default", True), bool, "default", at)
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise at.error("base", "must be a table ([base])")
    base = {key: check_value(key, value, f"base.{key}", at) for key, value in base.items()}
    grid = raw.get("grid", {})
    if not isinstance(grid, dict):
        raise at.error("grid", "must be a table ([grid])")
    zip_axes = _axes_from_zip(raw.get("zip", []), at)
    axes = _axis_from_grid(grid, at) + zip_axes
    axis_names = [f"grid.{key}" for key in grid] + [f"zip[{g}]" for g in range(len(zip_axes))]
    if "case" in raw:
        axes += _axis_from_cases(raw["case"], at)
        axis_names.append("case")
    keys_per_axis = [set().union(*points) for points in axes]
    if "seed" in base or any("seed" in keys for keys in keys_per_axis):
        raise at.error("seed", "set replicates with the top-level seeds = N or seeds = [..]")
    for a, b in itertools.combinations(range(len(axes)), 2):
        shared = keys_per_axis[a] & keys_per_axis[b]
        if shared:
            raise at.error(", ".join(sorted(shared)), "varies in more than one of grid, zip and case")
    rules = _check_excludes(raw.get("exclude", []), at)
    seeds = _seeds(raw.get("seeds", 1), at)
    quick_overrides = raw.get("quick", {})
    if not isinstance(quick_overrides, dict):
        raise at.error("quick", "must be a table of base overrides for --quick runs")
    quick_overrides = {k: check_value(k, v, f"quick.{k}", at) for k, v in quick_overrides.items()}
    report = _report_options(raw.get("report", {}), at)

    if quick:
        axes = [points if len(points) <= 2 else [points[0], points[-1]] for points in axes]
        seeds = seeds[:1]
        name = f"{name}-quick"
    _check_size(axes, axis_names, seeds, max_runs, at)

    runs, seen, kept_points = [], set(), []
    for combination in itertools.product(*axes):
        point = {}
        for part in combination:
            point.update(part)
        values = {**base, **point, "seed": seeds[0]}
        if quick:
            values.update(quick_overrides)
            values["epochs"] = min(values.get("epochs", FIELDS["epochs"][1]), QUICK_EPOCHS)
            for key in EPOCH_LISTS:
                if key in values:
                    values[key] = [e for e in values[key] if e <= values["epochs"]]
        label = "run " + ", ".join(f"{k}={v!r}" for k, v in {**point, "seed": seeds[0]}.items())
        # Resolved once per point: the replicate seed (validated by _seeds) changes nothing else.
        resolved = resolve(values, label, at)
        nested = [key for key, value in resolved.items() if isinstance(value, (list, dict))]
        kept = False
        for seed in seeds:
            config = resolved
            if seed != seeds[0]:  # its own copy: runs never share a mutable value
                config = {**resolved, "seed": seed, **{key: own_copy(resolved[key]) for key in nested}}
            if _excluded(config, rules):
                continue
            run = Run(run_id(config), config, {**point, "seed": seed})
            if run.run_id in seen:  # two spellings of the same configuration
                continue
            seen.add(run.run_id)
            runs.append(run)
            kept = True
        if kept:
            kept_points.append((resolved, point))
    if not runs:
        raise at.error("grid", "every combination is excluded: the study has no runs")
    # Runs differ in their point's values and in the seed: compare points, not every run.
    several_seeds = len({run.config["seed"] for run in runs}) > 1
    varying = tuple(key for key in FIELDS if (several_seeds if key == "seed" else
                                              _differs(config[key] for config, _ in kept_points)))
    # Labels name only the spec values that differ between runs (a case's constant keys do not).
    point_keys = dict.fromkeys([*kept_points[0][1], "seed",
                                *(key for _, point in kept_points for key in point)])
    differing = [key for key in point_keys
                 if (several_seeds if key == "seed" else
                     _differs(point.get(key) for _, point in kept_points))]
    runs = [Run(run.run_id, run.config, {k: run.point[k] for k in differing if k in run.point})
            for run in runs]
    return Study(name=name, description=description, path=path, runs=runs, varying=varying,
                 timing=timing, default=default, quick=quick, report=report)


def spec_paths(directory: Path | None = None) -> list[Path]:
    """The shipped specs (``experiments/studies/*.toml``) or those in ``directory``."""
    return sorted(Path(directory or STUDIES_DIR).glob("*.toml"))


def find_study(name_or_path: str, quick: bool = False, directory: Path | None = None,
               max_runs: int = MAX_RUNS) -> Study:
    """A study by spec name (one of the shipped specs) or by path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return load_spec(candidate, quick, max_runs)
    for path in spec_paths(directory):
        if path.stem == name_or_path:
            study = load_spec(path, quick, max_runs)
            if study.name in (name_or_path, f"{name_or_path}-quick"):
                return study
    for path in spec_paths(directory):
        study = load_spec(path, quick, max_runs)
        if study.name in (name_or_path, f"{name_or_path}-quick"):
            return study
    names = ", ".join(path.stem for path in spec_paths(directory))
    raise SpecError(f"no study named {name_or_path!r}; shipped studies: {names} "
                    "(or give a path to a .toml spec)")


def default_studies(quick: bool = False, directory: Path | None = None,
                    max_runs: int = MAX_RUNS) -> list[Study]:
    studies = [load_spec(path, quick, max_runs) for path in spec_paths(directory)]
    return [study for study in studies if study.default]
