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
    section = "search"             # the report module of this study's own figures and claims
    baseline = { width = 16 }      # the grid point every other one is also compared against
    target = 0.35                  # time to result: the validation objective to reach, or the
                                   # grid values of a reference configuration, e.g.
                                   # { optimizer = { kind = "sgd" } }: its median best over seeds
    [search]                       # optional: nuisance hyperparameters searched per grid point
    trials = 16                    # (experiments/search: trials, then the winners retrained)
    [search.nuisance]
    lr = { log = [1e-4, 1e-1] }
    [resolve]                      # optional: add seeds until each comparison along an axis is
    axis = "width"                 # resolved (experiments/resolve: keys, defaults, the method)

Every run is resolved to a canonical configuration (experiments/config.py) whose SHA-256 is the
run id; the whole grid is expanded and frozen before anything runs.
"""
from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import axes
from .config import (FIELDS, SPEC_KEYS, SpecError, Where, check_known_key, check_type, check_value,
                     own_copy, resolve, run_id)
from .names import MAX_RUNS, name_error, quick_name
from .resolve.rounds import plan_rounds
from .resolve.table import parse as parse_resolve, seed_schedule
from .search.study import plan_search, point_label
from .study import Run, Study


# --- parsing and expansion ----------------------------------------------------------------------
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


REPORT_KEYS = ("facet", "metric", "x", "section", "baseline", "target")


def _report_options(table, at: Where) -> dict:
    """The ``[report]`` table: x (epoch or a configuration key), facet (at most two keys),
    metric (one of REPORT_METRICS), section (a report module's name), baseline (a table of grid
    values, resolved to one grid point by ``_report_points``), target (a number, or a table of
    grid values naming a reference configuration)."""
    if not isinstance(table, dict):
        raise at.error("report", "must be a table ([report]) of x, facet and metric")
    unknown = set(table) - set(REPORT_KEYS)
    if unknown:
        raise at.error(f"report.{sorted(unknown)[0]}", "unknown key; valid keys: facet, metric, "
                                                        "x (the plots), section, baseline, target")
    options = {}
    if "section" in table:
        section = check_type(table["section"], str, "report.section", at)
        if not section.isidentifier():
            raise at.error("report.section", f"must name a report module (letters, digits, _), "
                                             f"got {section!r}")
        options["section"] = section
    if "baseline" in table:
        baseline = check_type(table["baseline"], dict, "report.baseline", at)
        if not baseline:
            raise at.error("report.baseline", "must name a grid point, e.g. { width = 16 }")
        options["baseline"] = baseline
    if "target" in table:
        target = table["target"]
        if isinstance(target, dict) and target:
            options["target"] = {"reference": target}
        else:
            options["target"] = check_type(target, float, "report.target", at)
    options.update(_plot_options(table, at))
    return options


def _plot_options(table: dict, at: Where) -> dict:
    """The ``[report]`` keys of the generic plots: x, facet, metric."""
    options = {}
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


def read_toml(path: Path) -> dict:
    """The spec file's TOML as a dict (a UTF-8 byte-order mark is accepted), or SpecError saying
    in one line why it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, not a spec file (give a .toml file)") from None
    except OSError as error:
        raise SpecError(f"{path}: cannot read the spec: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")  # Windows Notepad starts UTF-8 files with a BOM
    except UnicodeDecodeError as error:
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        line = data[:error.start].count(b"\n") + 1
        raise SpecError(f"{path}: not UTF-8 text{hint}: line {line} has the byte "
                        f"{data[error.start:error.start + 1]!r}; save the spec as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not valid TOML: {error}") from None


@dataclass
class _Parsed:
    """A spec's checked top-level values, before its grid is expanded."""

    name: str
    description: str
    timing: bool
    default: bool
    base: dict
    axes: list[list[dict]]       # each axis: its points, each a dict of overrides
    axis_names: list[str]        # for messages: grid.<key>, zip[<i>], case
    rules: list[dict]            # [[exclude]] rules, each key -> allowed values
    seeds: list[int] | range
    quick_overrides: dict
    report: dict


def _parse(raw: dict, at: Where) -> _Parsed:
    """Check a spec's top-level keys and values, and build its axes (not yet expanded)."""
    unknown = set(raw) - SPEC_KEYS
    if unknown:
        raise at.error(", ".join(sorted(unknown)), f"unknown top-level key; valid keys: {', '.join(sorted(SPEC_KEYS))}")
    name_wrong = name_error(raw.get("name"))
    if name_wrong:
        raise at.error("name", name_wrong)
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise at.error("base", "must be a table ([base])")
    base = {key: check_value(key, value, f"base.{key}", at) for key, value in base.items()}
    grid = raw.get("grid", {})
    if not isinstance(grid, dict):
        raise at.error("grid", "must be a table ([grid])")
    zip_axes = axes.axes_from_zip(raw.get("zip", []), at)
    all_axes = axes.axis_from_grid(grid, at) + zip_axes
    axis_names = [f"grid.{key}" for key in grid] + [f"zip[{g}]" for g in range(len(zip_axes))]
    if "case" in raw:
        all_axes += axes.axis_from_cases(raw["case"], at)
        axis_names.append("case")
    axes.check_axes_disjoint(base, all_axes, at)
    quick_overrides = raw.get("quick", {})
    if not isinstance(quick_overrides, dict):
        raise at.error("quick", "must be a table of base overrides for --quick runs")
    return _Parsed(
        name=raw["name"], description=check_type(raw.get("description", ""), str, "description", at),
        timing=check_type(raw.get("timing", False), bool, "timing", at),
        default=check_type(raw.get("default", True), bool, "default", at),
        base=base, axes=all_axes, axis_names=axis_names,
        rules=axes.check_excludes(raw.get("exclude", []), at),
        seeds=axes.seeds_of(raw.get("seeds", 1), at),
        quick_overrides={k: check_value(k, v, f"quick.{k}", at) for k, v in quick_overrides.items()},
        report=_report_options(raw.get("report", {}), at))


def _make_quick(parsed: _Parsed) -> None:
    """Cut the spec to its smoke run: first and last value of each axis, one seed."""
    parsed.axes = [points if len(points) <= 2 else [points[0], points[-1]] for points in parsed.axes]
    parsed.seeds = parsed.seeds[:1]
    parsed.name = quick_name(parsed.name)


def _point_values(parsed: _Parsed, point: dict, quick: bool) -> dict:
    """The merged spec values of one grid point (first seed); quick overrides and epochs cut."""
    values = {**parsed.base, **point, "seed": parsed.seeds[0]}
    if quick:
        values.update(parsed.quick_overrides)
        values["epochs"] = min(values.get("epochs", FIELDS["epochs"].default), QUICK_EPOCHS)
        for key in EPOCH_LISTS:
            if key in values:
                values[key] = [e for e in values[key] if e <= values["epochs"]]
    return values


def _expand(parsed: _Parsed, quick: bool, at: Where) -> tuple[list[Run], list[tuple[dict, dict]]]:
    """Every run of the grid times the seeds, excluded and duplicate ones dropped; and per kept
    point its resolved configuration (first seed) and its spec values."""
    runs, seen, kept_points = [], set(), []
    seeds = parsed.seeds
    for combination in itertools.product(*parsed.axes):
        point = {}
        for part in combination:
            point.update(part)
        label = "run " + ", ".join(f"{k}={v!r}" for k, v in {**point, "seed": seeds[0]}.items())
        # Resolved once per point: the replicate seed (validated by seeds_of) changes nothing else.
        resolved = resolve(_point_values(parsed, point, quick), label, at)
        nested = [key for key, value in resolved.items() if isinstance(value, (list, dict))]
        kept = False
        for seed in seeds:
            config = resolved
            if seed != seeds[0]:  # its own copy: runs never share a mutable value
                config = {**resolved, "seed": seed, **{key: own_copy(resolved[key]) for key in nested}}
            if axes.excluded(config, parsed.rules):
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
    return runs, kept_points


def _label(runs: list[Run], kept_points: list[tuple[dict, dict]]) -> tuple[list[Run], tuple[str, ...]]:
    """The runs labelled by the spec values that differ between them (a case's constant keys do
    not), and the configuration fields that vary."""
    # Runs differ in their point's values and in the seed: compare points, not every run.
    several_seeds = len({run.config["seed"] for run in runs}) > 1
    varying = tuple(key for key in FIELDS if (several_seeds if key == "seed" else
                                              _differs(config[key] for config, _ in kept_points)))
    point_keys = dict.fromkeys([*kept_points[0][1], "seed",
                                *(key for _, point in kept_points for key in point)])
    differing = [key for key in point_keys
                 if (several_seeds if key == "seed" else
                     _differs(point.get(key) for _, point in kept_points))]
    runs = [Run(run.run_id, run.config, {k: run.point[k] for k in differing if k in run.point})
            for run in runs]
    return runs, varying


def load_spec(path: str | Path, quick: bool = False, max_runs: int = MAX_RUNS) -> Study:
    """Parse, validate and expand the spec at ``path``; raises SpecError naming file and key.

    ``quick`` (CI smoke runs): each grid axis keeps its first and last value, one seed, at most
    two epochs, and the study is stored as ``<name>-quick`` so it never mixes with real results.
    A grid of more than ``max_runs`` points is refused, counted before it is expanded.
    """
    path = Path(path)
    at = Where(path)
    raw = read_toml(path)
    parsed = _parse(raw, at)
    resolving = _resolve_table(raw, parsed, at)
    if quick:  # a smoke run: one round of one seed, no rounds added
        _make_quick(parsed)
        resolving = None
    all_seeds = range(resolving.max_seeds) if resolving else parsed.seeds
    axes.check_size(parsed.axes, parsed.axis_names, all_seeds, max_runs, at)
    first_seeds = list(parsed.seeds)
    if resolving:  # every seed a round may add, expanded now; the study keeps the first round's
        parsed.seeds = seed_schedule(first_seeds, resolving.max_seeds)
    runs, kept_points = _expand(parsed, quick, at)
    runs, varying = _label(runs, kept_points)
    study = Study(name=parsed.name, description=parsed.description, path=path, runs=runs,
                  varying=varying, timing=parsed.timing, default=parsed.default, quick=quick,
                  report=parsed.report)
    if resolving:
        study = _first_round(study, first_seeds)
    if "search" in raw:
        grid_keys = {key for points in parsed.axes for point in points for key in point}
        study, _ = plan_search(study, raw["search"], grid_keys, at, max_runs)
    if resolving:
        study.resolve = plan_rounds(study, runs, resolving, parsed.seeds, len(first_seeds),
                                    parsed.report.get("baseline"), at)
    study.report = _report_points(study.report, [point for _, point in kept_points], at)
    return study


def _resolve_table(raw: dict, parsed: _Parsed, at: Where):
    """The spec's checked ``[resolve]`` table (experiments/resolve/table.py), or None."""
    if "resolve" not in raw:
        return None
    grid_keys = [name[len("grid."):] for name in parsed.axis_names if name.startswith("grid.")]
    return parse_resolve(raw["resolve"], grid_keys, len(parsed.seeds), at)


def _first_round(study: Study, first_seeds: list[int]) -> Study:
    """The study with only its first round's runs (those of the spec's own seeds)."""
    first = set(first_seeds)
    study.runs = [run for run in study.runs if run.config["seed"] in first]
    return study


def _matching(values: dict, points: list[dict], where: str, at: Where) -> list[dict]:
    """The grid points (spec values) with these values; SpecError naming ``where`` if none."""
    matches = [point for point in points
               if all(_comparable(point.get(key)) == _comparable(value) for key, value in values.items())]
    if not matches:
        raise at.error(where, f"{values!r} matches no grid point; grid points: "
                              f"{'; '.join(point_label(p) for p in points)}")
    return matches


def _report_points(report: dict, points: list[dict], at: Where) -> dict:
    """``[report]`` with ``baseline`` resolved to the label of the one grid point it names
    (``width=16``) and a ``target``'s reference checked against the grid points."""
    report = dict(report)
    if "baseline" in report:
        matches = _matching(report["baseline"], points, "report.baseline", at)
        if len(matches) != 1:
            raise at.error("report.baseline", f"{report['baseline']!r} matches {len(matches)} "
                                              "grid points, not one; give more of its values")
        report["baseline"] = point_label(matches[0])
    if isinstance(report.get("target"), dict):
        _matching(report["target"]["reference"], points, "report.target", at)
    return report
