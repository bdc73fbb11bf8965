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

Every run is resolved to a canonical configuration (``layer_sizes`` instead of hidden/width/depth,
every field present and of its declared type) whose SHA-256 is the run id.
"""
from __future__ import annotations

import copy
import hashlib
import inspect
import itertools
import json
import numbers
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nncore
from nncore.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from nncore.schedules import make_schedule

STUDIES_DIR = Path(__file__).parent / "studies"
TASKS = ("train", "gradcheck")

# Each result-relevant field: (type, default). A default of REQUIRED must be given by the spec.
REQUIRED = object()
FIELDS: dict[str, tuple[type, object]] = {
    "task": (str, "train"),
    "dataset": (str, REQUIRED),
    "dataset_options": (dict, {}),
    "layer_sizes": (list, REQUIRED),
    "activation": (str, "relu"),
    "output": (str, "identity"),
    "loss": (str, "mse"),
    "init": (str, "normal"),
    "init_scale": (float, 0.1),
    "engine": (str, "vectorized"),
    "reduction": (str, "mean"),
    "dtype": (str, "float64"),
    "epochs": (int, 30),
    "batch_size": (int, 10),
    "lr": (float, 1e-3),
    "schedule": (dict, {"kind": "constant"}),
    "seed": (int, 0),
    "snapshot_epochs": (list, []),
}
# Keys a spec may use to describe the architecture instead of layer_sizes.
SHAPE_KEYS = {"hidden": list, "width": int, "depth": int}
SPEC_KEYS = {"name", "description", "seeds", "timing", "default", "base", "grid", "zip", "case",
             "exclude", "quick"}
CHOICES = {
    "task": TASKS,
    "dataset": tuple(nncore.datasets.DATASETS),
    "activation": HIDDEN_ACTIVATIONS,
    "output": OUTPUT_ACTIVATIONS,
    "loss": tuple(nncore.LOSSES),
    "init": tuple(nncore.INITIALIZERS),
    "engine": tuple(nncore.ENGINES),
    "reduction": tuple(nncore.REDUCTIONS),
    "dtype": tuple(nncore.DTYPES),
}
# Datasets whose sizes are fixed: (inputs, outputs, training samples).
DATASET_SHAPES = {"sincos": None, "xor": (2, 1, 4), "people": (2, 1, 4), "digits": (64, 10, 1438),
                  "mnist": (784, 10, 60000), "random_regression": None}
SNAPSHOT_DATASETS = ("sincos",)


class SpecError(ValueError):
    """A spec that cannot run; the message names the file, the key and what would be right."""


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
    raw: dict = field(default_factory=dict, repr=False)


# --- canonical configurations and run ids -------------------------------------------------------
def canonical_json(value) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_id(config: dict) -> str:
    """SHA-256 (hex) of the canonical configuration: independent of process, dict order and
    of how the spec spelled it (``1e-3`` and ``0.001``, ``width = 20`` and ``hidden = [20]``)."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()


def dataset_shape(dataset: str, options: dict) -> tuple[int, int, int]:
    """(inputs, outputs, training samples) of a dataset with these options, without loading it."""
    if dataset == "sincos":
        step = float(options.get("step", 0.1))
        points = len(__import__("numpy").arange(-5, 5, step))
        return 2, 1, points * points
    if dataset == "random_regression":
        return (int(options.get("n_inputs", 1000)), int(options.get("n_outputs", 10)),
                int(options.get("n", 64)))
    return DATASET_SHAPES[dataset]


# --- validation --------------------------------------------------------------------------------
class _Where:
    """Formats error locations: ``studies/width.toml: grid.activation[1]``."""

    def __init__(self, path: Path):
        self.path = path

    def error(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {where}: {message}")


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", list: "a list",
            dict: "a table", bool: "true or false"}[kind]


def _check_type(value, kind: type, where: str, at: _Where):
    """``value`` as ``kind`` (ints accepted for floats), or SpecError."""
    ok = {
        str: isinstance(value, str),
        int: isinstance(value, numbers.Integral) and not isinstance(value, bool),
        float: isinstance(value, numbers.Real) and not isinstance(value, bool),
        list: isinstance(value, list),
        dict: isinstance(value, dict),
        bool: isinstance(value, bool),
    }[kind]
    if not ok:
        raise at.error(where, f"must be {_type_name(kind)}, got {value!r}")
    return float(value) if kind is float else value


def _check_known_key(key: str, where: str, at: _Where) -> type:
    if key in FIELDS:
        return FIELDS[key][0]
    if key in SHAPE_KEYS:
        return SHAPE_KEYS[key]
    if key in SPEC_KEYS:
        raise at.error(where, f"{key!r} is a top-level key of the spec, not a run configuration key")
    valid = ", ".join(sorted(set(FIELDS) | set(SHAPE_KEYS)))
    raise at.error(where, f"unknown key {key!r}; valid keys: {valid}")


def _check_value(key: str, value, where: str, at: _Where):
    """Type and choice check of one configuration value as written in the spec."""
    kind = _check_known_key(key, where, at)
    value = _check_type(value, kind, where, at)
    if key in CHOICES and value not in CHOICES[key]:
        raise at.error(where, f"{value!r} is not one of {', '.join(CHOICES[key])}")
    return value


def _resolve(raw: dict, label: str, at: _Where) -> dict:
    """A complete canonical run configuration from merged spec values, or SpecError."""
    config = {}
    for key, (kind, default) in FIELDS.items():
        if key in raw:
            config[key] = copy.deepcopy(raw[key])
        elif key == "layer_sizes":
            continue
        elif default is REQUIRED:
            raise at.error(label, f"{key!r} is required (set it in [base] or the grid)")
        else:
            config[key] = copy.deepcopy(default)
    for key in ("init_scale", "lr"):
        config[key] = float(config[key])

    options = config["dataset_options"]
    dataset_fn = nncore.datasets.DATASETS[config["dataset"]]
    accepted = [p for p in inspect.signature(dataset_fn).parameters if p not in ("download",)]
    for option in options:
        if option not in accepted:
            raise at.error(f"{label}: dataset_options.{option}",
                           f"unknown option for dataset {config['dataset']!r}; valid: "
                           f"{', '.join(accepted) or 'none'}")
    try:
        n_in, n_out, n_train = dataset_shape(config["dataset"], options)
    except (TypeError, ValueError) as error:
        raise at.error(f"{label}: dataset_options", f"{options!r} is not usable: {error}") from None

    shape_given = [k for k in ("layer_sizes", "hidden", "width") if k in raw]
    if len(shape_given) != 1:
        raise at.error(label, "give the architecture once, as hidden = [..] or width = N (with "
                              f"optional depth = N) or layer_sizes = [..]; got {shape_given or 'none'}")
    if "layer_sizes" in raw:
        sizes = raw["layer_sizes"]
        if len(sizes) < 2 or sizes[0] != n_in or sizes[-1] != n_out:
            raise at.error(f"{label}: layer_sizes", f"{sizes!r} must start with the dataset's "
                           f"{n_in} inputs and end with its {n_out} outputs")
        hidden = sizes[1:-1]
    elif "hidden" in raw:
        hidden = raw["hidden"]
    else:
        depth = raw.get("depth", 1)
        if not (isinstance(depth, int) and depth >= 0):
            raise at.error(f"{label}: depth", f"must be an integer >= 0, got {depth!r}")
        hidden = [raw["width"]] * depth
    if "depth" in raw and "width" not in raw:
        raise at.error(f"{label}: depth", "depth only goes with width = N")
    if not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in hidden):
        raise at.error(f"{label}: hidden", f"hidden sizes must be positive integers, got {hidden!r}")
    config["layer_sizes"] = [n_in, *hidden, n_out]

    for key in ("epochs", "batch_size", "seed"):
        low = 1 if key == "batch_size" else 0
        if config[key] < low:
            raise at.error(f"{label}: {key}", f"must be >= {low}, got {config[key]}")
    if not (config["lr"] > 0 and config["lr"] < float("inf")):
        raise at.error(f"{label}: lr", f"must be a positive finite number, got {config['lr']}")
    if not config["init_scale"] > 0:
        raise at.error(f"{label}: init_scale", f"must be positive, got {config['init_scale']}")
    if config["batch_size"] > n_train:
        raise at.error(f"{label}: batch_size", f"{config['batch_size']} is more than the "
                       f"{n_train} training samples of {config['dataset']!r}")
    loss = nncore.LOSSES[config["loss"]]
    if loss.requires_output and loss.requires_output != config["output"]:
        raise at.error(f"{label}: loss", f"loss={config['loss']!r} needs output="
                       f"{loss.requires_output!r}, got output={config['output']!r}")
    try:
        schedule = make_schedule(config["schedule"], config["lr"])
    except ValueError as error:
        raise at.error(f"{label}: schedule", str(error)) from None
    if type(schedule).__name__ == "Constant":
        config["schedule"] = {"kind": "constant"}
    else:  # numbers as floats (an "every" as int) so that 1 and 1.0 give the same run id
        config["schedule"] = {k: v if k in ("kind", "every") else float(v)
                              for k, v in config["schedule"].items()}
    snapshots = config["snapshot_epochs"]
    if snapshots:
        if config["dataset"] not in SNAPSHOT_DATASETS:
            raise at.error(f"{label}: snapshot_epochs", "prediction snapshots are kept on the "
                           f"{', '.join(SNAPSHOT_DATASETS)} grid only, not {config['dataset']!r}")
        if not all(isinstance(e, int) and 0 <= e <= config["epochs"] for e in snapshots):
            raise at.error(f"{label}: snapshot_epochs", f"epochs must be integers in [0, "
                           f"{config['epochs']}], got {snapshots!r}")
        config["snapshot_epochs"] = sorted(set(snapshots))
    if config["task"] == "gradcheck":
        config["engine"], config["epochs"], config["snapshot_epochs"] = "numerical", 0, []
    return config


# --- parsing and expansion ----------------------------------------------------------------------
def _axis_from_grid(grid: dict, at: _Where) -> list[list[dict]]:
    axes = []
    for key, values in grid.items():
        where = f"grid.{key}"
        _check_known_key(key, where, at)
        if not isinstance(values, list):
            raise at.error(where, f"grid values must be a list, got {values!r}")
        if not values:
            raise at.error(where, "empty list: the grid would have no runs")
        axes.append([{key: _check_value(key, v, f"{where}[{i}]", at)} for i, v in enumerate(values)])
    return axes


def _axes_from_zip(groups, at: _Where) -> list[list[dict]]:
    if not isinstance(groups, list):
        raise at.error("zip", "must be a list of tables ([[zip]])")
    axes = []
    for g, group in enumerate(groups):
        where = f"zip[{g}]"
        if not isinstance(group, dict) or not group:
            raise at.error(where, "must be a non-empty table of equal-length lists")
        lengths = {}
        for key, values in group.items():
            _check_known_key(key, f"{where}.{key}", at)
            if not isinstance(values, list) or not values:
                raise at.error(f"{where}.{key}", f"must be a non-empty list, got {values!r}")
            lengths[key] = len(values)
        if len(set(lengths.values())) != 1:
            raise at.error(where, f"lists of a zip group must have equal lengths, got {lengths}")
        n = next(iter(lengths.values()))
        axes.append([{key: _check_value(key, values[i], f"{where}.{key}[{i}]", at)
                      for key, values in group.items()} for i in range(n)])
    return axes


def _axis_from_cases(cases, at: _Where) -> list[list[dict]]:
    if not isinstance(cases, list) or not cases:
        raise at.error("case", "must be a non-empty list of tables ([[case]])")
    points = []
    for c, case in enumerate(cases):
        if not isinstance(case, dict):
            raise at.error(f"case[{c}]", f"must be a table, got {case!r}")
        points.append({key: _check_value(key, value, f"case[{c}].{key}", at)
                       for key, value in case.items()})
    return [points]


def _check_excludes(rules, at: _Where) -> list[dict]:
    if not isinstance(rules, list):
        raise at.error("exclude", "must be a list of tables ([[exclude]])")
    checked = []
    for r, rule in enumerate(rules):
        if not isinstance(rule, dict) or not rule:
            raise at.error(f"exclude[{r}]", "must be a non-empty table of key = value or list")
        for key, value in rule.items():
            _check_known_key(key, f"exclude[{r}].{key}", at)
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


def _seeds(value, at: _Where) -> list[int]:
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


QUICK_EPOCHS = 2


def load_spec(path: str | Path, quick: bool = False) -> Study:
    """Parse, validate and expand the spec at ``path``; raises SpecError naming file and key.

    ``quick`` (CI smoke runs): each grid axis keeps its first and last value, one seed, at most
    two epochs, and the study is stored as ``<name>-quick`` so it never mixes with real results.
    """
    path = Path(path)
    at = _Where(path)
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
    description = _check_type(raw.get("description", ""), str, "description", at)
    timing = _check_type(raw.get("timing", False), bool, "timing", at)
    default = _check_type(raw.get("default", True), bool, "default", at)
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise at.error("base", "must be a table ([base])")
    base = {key: _check_value(key, value, f"base.{key}", at) for key, value in base.items()}
    if "seed" in base or "seed" in raw.get("grid", {}):
        raise at.error("seed", "set replicates with the top-level seeds = N or seeds = [..]")
    grid = raw.get("grid", {})
    if not isinstance(grid, dict):
        raise at.error("grid", "must be a table ([grid])")
    axes = _axis_from_grid(grid, at)
    axes += _axes_from_zip(raw.get("zip", []), at)
    if "case" in raw:
        axes += _axis_from_cases(raw["case"], at)
    keys_per_axis = [set().union(*points) for points in axes]
    for a, b in itertools.combinations(range(len(axes)), 2):
        shared = keys_per_axis[a] & keys_per_axis[b]
        if shared:
            raise at.error(", ".join(sorted(shared)), "varies in more than one of grid, zip and case")
    rules = _check_excludes(raw.get("exclude", []), at)
    seeds = _seeds(raw.get("seeds", 1), at)
    quick_overrides = raw.get("quick", {})
    if not isinstance(quick_overrides, dict):
        raise at.error("quick", "must be a table of base overrides for --quick runs")
    quick_overrides = {k: _check_value(k, v, f"quick.{k}", at) for k, v in quick_overrides.items()}

    if quick:
        axes = [points if len(points) <= 2 else [points[0], points[-1]] for points in axes]
        seeds = seeds[:1]
        name = f"{name}-quick"

    runs, seen = [], set()
    for combination in itertools.product(*axes):
        point = {}
        for part in combination:
            point.update(part)
        merged = {**base, **point}
        for seed in seeds:
            label = "run " + ", ".join(f"{k}={v!r}" for k, v in {**point, "seed": seed}.items())
            values = {**merged, "seed": seed}
            if quick:
                values.update(quick_overrides)
                values["epochs"] = min(values.get("epochs", FIELDS["epochs"][1]), QUICK_EPOCHS)
                if "snapshot_epochs" in values:
                    values["snapshot_epochs"] = [e for e in values["snapshot_epochs"]
                                                 if e <= values["epochs"]]
            config = _resolve(values, label, at)
            if _excluded(config, rules):
                continue
            run = Run(run_id(config), config, {**point, "seed": seed})
            if run.run_id in seen:  # two spellings of the same configuration
                continue
            seen.add(run.run_id)
            runs.append(run)
    if not runs:
        raise at.error("grid", "every combination is excluded: the study has no runs")
    varying = tuple(key for key in FIELDS
                    if len({canonical_json(r.config[key]) for r in runs}) > 1)
    # Labels name only the spec values that differ between runs (a case's constant keys do not).
    point_keys = list(dict.fromkeys(key for run in runs for key in run.point))
    differing = [key for key in point_keys
                 if len({canonical_json(run.point.get(key)) for run in runs}) > 1]
    runs = [Run(run.run_id, run.config, {k: run.point[k] for k in differing if k in run.point})
            for run in runs]
    return Study(name=name, description=description, path=path, runs=runs, varying=varying,
                 timing=timing, default=default, quick=quick, raw=raw)


def spec_paths(directory: Path | None = None) -> list[Path]:
    """The shipped specs (``experiments/studies/*.toml``) or those in ``directory``."""
    return sorted(Path(directory or STUDIES_DIR).glob("*.toml"))


def find_study(name_or_path: str, quick: bool = False, directory: Path | None = None) -> Study:
    """A study by spec name (one of the shipped specs) or by path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return load_spec(candidate, quick)
    for path in spec_paths(directory):
        if path.stem == name_or_path:
            study = load_spec(path, quick)
            if study.name in (name_or_path, f"{name_or_path}-quick"):
                return study
    for path in spec_paths(directory):
        study = load_spec(path, quick)
        if study.name in (name_or_path, f"{name_or_path}-quick"):
            return study
    names = ", ".join(path.stem for path in spec_paths(directory))
    raise SpecError(f"no study named {name_or_path!r}; shipped studies: {names} "
                    "(or give a path to a .toml spec)")


def default_studies(quick: bool = False, directory: Path | None = None) -> list[Study]:
    studies = [load_spec(path, quick) for path in spec_paths(directory)]
    return [study for study in studies if study.default]
