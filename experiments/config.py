"""Run configurations: validating one, and its run id.

A configuration is a plain dict with every key of ``FIELDS`` (declared in experiments/fields.py;
the spec's hidden/width/depth resolved into ``layer_sizes``), each of its declared type; ``run_id`` is the SHA-256 of its
canonical JSON. ``resolve`` turns the values a spec gives into such a dict, or raises
``SpecError`` naming the file, the key and what would be right.
"""
from __future__ import annotations

import functools
import hashlib
import json
import numbers
from pathlib import Path

import nncore
import nndata
from nncore.optimizers import canonical_optimizer
from nncore.schedules import make_schedule

from .fields import FIELDS, REQUIRED, TASKS, canonical_json, out_of_range_number

__all__ = ["FIELDS", "REQUIRED", "TASKS", "ALWAYS_HASHED", "SpecError", "Where", "resolve",
           "run_id", "hashed_config", "canonical_json", "dataset_shape"]

# The first release hashed every field, defaults included, and stored results carry those ids.
# Every field declared after it is left out of the hash while it holds its default (so declare a
# new field's default in canonical form): adding a field never re-labels a stored run. Do not
# add to this list.
ALWAYS_HASHED = frozenset({
    "task", "dataset", "dataset_options", "layer_sizes", "activation", "output", "loss", "init",
    "init_scale", "engine", "reduction", "dtype", "epochs", "batch_size", "lr", "schedule", "seed",
    "snapshot_epochs"})
# Keys a spec may use to describe the architecture instead of layer_sizes.
SHAPE_KEYS = {"hidden": list, "width": int, "depth": int}
# Top-level keys of a spec file (experiments/spec.py); named here so errors can point at them.
SPEC_KEYS = {"name", "description", "seeds", "timing", "default", "base", "grid", "zip", "case",
             "exclude", "quick", "report", "search", "resolve"}


class SpecError(ValueError):
    """A spec that cannot run; the message names the file, the key and what would be right."""


def hashed_config(config: dict) -> dict:
    """The part of a configuration its run id covers: every field except later ones at their
    default, and a data file's options without its path (its sha256 is in), so moving the same
    file keeps the run ids."""
    hashed = {key: value for key, value in config.items()
              if key in ALWAYS_HASHED or key not in FIELDS or value != FIELDS[key].default}
    if "dataset_options" in hashed:  # e.g. a data file's options without its path
        hashed["dataset_options"] = nndata.hashed_options(config.get("dataset"),
                                                          hashed["dataset_options"])
    return hashed


def run_id(config: dict) -> str:
    """SHA-256 (hex) of the canonical configuration: independent of process, dict order and
    of how the spec spelled it (``1e-3`` and ``0.001``, ``width = 20`` and ``hidden = [20]``).
    Fields added after the first release count only away from their default (``hashed_config``)."""
    return hashlib.sha256(canonical_json(hashed_config(config)).encode()).hexdigest()


@functools.lru_cache(maxsize=256)
def _shape(dataset: str, options_json: str) -> tuple[int, int, int]:
    return nndata.shape(dataset, **json.loads(options_json))


def dataset_shape(dataset: str, options: dict) -> tuple[int, int, int]:
    """(inputs, outputs, training samples) of a dataset with these options (the dataset's own
    cheap shape, else measured by building it once per process)."""
    return _shape(dataset, canonical_json(options))


class Where:
    """Formats error locations: ``studies/width.toml: grid.activation[1]``."""

    def __init__(self, path: Path):
        self.path = path

    def error(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {where}: {message}")


_KINDS = {  # a field's Python type -> (what a spec must give, whether a value is that)
    str: ("a string", lambda value: isinstance(value, str)),
    int: ("an integer", lambda value: isinstance(value, numbers.Integral) and not isinstance(value, bool)),
    float: ("a number", lambda value: isinstance(value, numbers.Real) and not isinstance(value, bool)),
    list: ("a list", lambda value: isinstance(value, list)),
    dict: ("a table", lambda value: isinstance(value, dict)),
    bool: ("true or false", lambda value: isinstance(value, bool)),
}


def check_type(value, kind: type, where: str, at: Where):
    """``value`` as ``kind`` (ints accepted for floats), or SpecError."""
    name, matches = _KINDS[kind]
    if not matches(value):
        raise at.error(where, f"must be {name}, got {value!r}")
    return float(value) if kind is float else value


def check_known_key(key: str, where: str, at: Where) -> type:
    if key in FIELDS:
        return FIELDS[key].kind
    if key in SHAPE_KEYS:
        return SHAPE_KEYS[key]
    if key in SPEC_KEYS:
        raise at.error(where, f"{key!r} is a top-level key of the spec, not a run configuration key")
    valid = ", ".join(sorted(set(FIELDS) | set(SHAPE_KEYS)))
    raise at.error(where, f"unknown key {key!r}; valid keys: {valid}")


def check_value(key: str, value, where: str, at: Where):
    """Type and choice check of one configuration value as written in the spec; every number in
    it finite and within int64 (what the run id's JSON and the runs table can hold)."""
    kind = check_known_key(key, where, at)
    value = check_type(value, kind, where, at)
    out_of_range = out_of_range_number(value, where)
    if out_of_range:
        raise at.error(*out_of_range)
    wrong_choice = FIELDS[key].check_choice(value) if key in FIELDS else None
    if wrong_choice:
        raise at.error(where, wrong_choice)
    return value


def check_engine(config: dict, where: str, at: Where) -> None:
    """SpecError unless the run's engine can be found: one of nncore's, whose ``supports`` must
    cover the configuration (the message names the engine, the key and the value), or a plugin
    (``package.module:ClassName`` with the module on the path, or an installed entry point in
    ``nnstudy.engines``). A plugin's module is not imported here: reading a spec runs none of
    its code; ``sweep`` imports it and checks its ``supports`` (``experiments.plugin_engines``).
    ``config["engine"]`` stays the string given, so the run ids of nncore's engines never change."""
    from nncore.engines import ENGINES, SUPPORT_KEYS, plugins

    name = config["engine"]
    if name not in ENGINES:
        try:
            plugins.check_findable(name, ENGINES)
        except ValueError as error:  # EngineError: not found, or not a name
            raise at.error(f"{where}: engine", str(error)) from None
        return
    problem = plugins.unsupported(ENGINES[name], name, {key: config[key] for key in SUPPORT_KEYS})
    if problem:
        raise at.error(f"{where}: engine", problem)


def check_drawn(config: dict, label: str, at: Where) -> None:
    """SpecError unless a resolved configuration whose values were changed after resolving (a
    searched study's drawn nuisance values) passes the checks a grid value passes: the dataset's
    options, each number's range, the batch within the data, the loss with its output, the
    schedule, the optimizer, the epoch lists and the engine. ``config`` is not modified."""
    checked = own_copy(config)
    record = nndata.DATASETS[checked["dataset"]]
    # Re-resolved from what a spec may give (a file's derived options are read from it again).
    checked["dataset_options"] = {key: value for key, value in checked["dataset_options"].items()
                                  if key in record.options}
    n_train = resolve_dataset(checked, label, at)[2]
    _check_ranges(checked, label, at, n_train)
    _canonical_schedule_and_optimizer(checked, label, at)
    _check_epoch_lists(checked, label, at)
    check_engine(checked, label, at)


def own_copy(value):
    """A deep copy of JSON-like data (lists, dicts, scalars), several times faster than
    ``copy.deepcopy``: numbers and strings are shared, containers copied."""
    if isinstance(value, list):
        return [own_copy(v) for v in value]
    if isinstance(value, dict):
        return {key: own_copy(v) for key, v in value.items()}
    return value


def resolve(raw: dict, label: str, at: Where) -> dict:
    """A complete canonical run configuration from merged spec values, or SpecError."""
    config = _with_defaults(raw, label, at)
    n_in, n_out, n_train = resolve_dataset(config, label, at)
    config["layer_sizes"] = _layer_sizes(raw, label, at, n_in, n_out)
    _check_ranges(config, label, at, n_train)
    _canonical_schedule_and_optimizer(config, label, at)
    _check_epoch_lists(config, label, at)
    if config["task"] == "gradcheck":
        config["engine"], config["epochs"], config["snapshot_epochs"] = "numerical", 0, []
        config["activation_stats_epochs"] = []
    check_engine(config, label, at)
    return config


def _with_defaults(raw: dict, label: str, at: Where) -> dict:
    """Every field from ``raw`` (copied) or its default; layer_sizes is left to _layer_sizes."""
    config = {}
    for key, declared in FIELDS.items():
        if key in raw:
            config[key] = own_copy(raw[key])
        elif key == "layer_sizes":
            continue
        elif declared.default is REQUIRED:
            raise at.error(label, f"{key!r} is required (set it in [base] or the grid)")
        else:
            config[key] = own_copy(declared.default)
    for key, declared in FIELDS.items():  # a float field given as an int: 1 and 1.0 are one run
        if declared.kind is float:
            config[key] = float(config[key])
    return config


def resolve_dataset(config: dict, label: str, at: Where) -> tuple[int, int, int]:
    """Check the dataset's options (a ``file`` dataset's found relative to the spec and
    completed in ``config``) and return the dataset's (inputs, outputs, training samples)."""
    options = config["dataset_options"]
    record = nndata.DATASETS[config["dataset"]]
    accepted = record.options
    for option in options:
        if option not in accepted:
            raise at.error(f"{label}: dataset_options.{option}",
                           f"unknown option for dataset {config['dataset']!r}; valid: "
                           f"{', '.join(accepted) or 'none'}")
    try:  # a user's file, say, is found relative to the spec
        config["dataset_options"], (n_in, n_out, n_train) = record.resolve_options(
            options, at.path.parent, config["loss"])
    except (TypeError, ValueError) as error:
        raise at.error(f"{label}: dataset_options", str(error)) from None
    if config["snapshot_epochs"] and not record.snapshot_grid:
        raise at.error(f"{label}: snapshot_epochs", "prediction snapshots are kept on the "
                       f"{', '.join(nndata.snapshot_datasets())} grid only, not "
                       f"{config['dataset']!r}")
    return n_in, n_out, n_train


def _layer_sizes(raw: dict, label: str, at: Where, n_in: int, n_out: int) -> list[int]:
    """The architecture, given once as layer_sizes, hidden or width (with depth)."""
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
    return [n_in, *hidden, n_out]


def _check_ranges(config: dict, label: str, at: Where, n_train: int) -> None:
    """Each number within its field's declared range; the batch within the data; the loss
    with the output it needs."""
    for key, declared in FIELDS.items():
        if declared.kind in (int, float):
            wrong = declared.range_error(config[key])
            if wrong:
                raise at.error(f"{label}: {key}", wrong)
    if config["batch_size"] > n_train:
        raise at.error(f"{label}: batch_size", f"{config['batch_size']} is more than the "
                       f"{n_train} training samples of {config['dataset']!r}")
    loss = nncore.LOSSES[config["loss"]]
    if loss.requires_output and loss.requires_output != config["output"]:
        raise at.error(f"{label}: loss", f"loss={config['loss']!r} needs output="
                       f"{loss.requires_output!r}, got output={config['output']!r}")


def _canonical_schedule_and_optimizer(config: dict, label: str, at: Where) -> None:
    """The schedule and optimizer in canonical form (so spellings of one run share its id)."""
    try:
        schedule = make_schedule(config["schedule"], config["lr"])
    except ValueError as error:
        raise at.error(f"{label}: schedule", str(error)) from None
    if type(schedule).__name__ == "Constant":
        config["schedule"] = {"kind": "constant"}
    else:  # numbers as floats (an "every" as int) so that 1 and 1.0 give the same run id
        config["schedule"] = {k: v if k in ("kind", "every") else float(v)
                              for k, v in config["schedule"].items()}
    try:
        config["optimizer"] = canonical_optimizer(config["optimizer"])
    except ValueError as error:
        raise at.error(f"{label}: optimizer", str(error)) from None


def _check_epoch_lists(config: dict, label: str, at: Where) -> None:
    """snapshot_epochs and activation_stats_epochs: sorted, unique, within the run's epochs
    and at epochs that are evaluated."""
    for key in ("snapshot_epochs", "activation_stats_epochs"):
        epochs = config[key]
        if not all(isinstance(e, int) and not isinstance(e, bool) and 0 <= e <= config["epochs"]
                   for e in epochs):
            raise at.error(f"{label}: {key}", f"epochs must be integers in [0, "
                           f"{config['epochs']}], got {epochs!r}")
        config[key] = sorted(set(epochs))
    every = config["evaluate_every"]
    for key in ("snapshot_epochs", "activation_stats_epochs"):
        skipped = [e for e in config[key] if e % every and e != config["epochs"]]
        if skipped:
            raise at.error(f"{label}: {key}", f"epochs {skipped} are not evaluated with "
                           f"evaluate_every = {every} (multiples of it and the last epoch are)")
