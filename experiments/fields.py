"""The run configuration's fields, each one declaration: everything else derives from ``FIELDS``.

A ``Field`` gives a configuration key its type, default, check (a range or a registry of
choices), the Arrow type of its column in the ``runs`` table and a one-line doc. From these:
``config.resolve`` validates a spec's values, ``config_columns`` and ``runs_columns`` give the
runs table's configuration columns and their schema (experiments/store.py), ``doc_table`` the
field table of docs/results-schema.md (a test keeps the two equal), and a shard stored before a
field existed reads the field's default (``missing_value``).

Adding a field is one entry below. Declare its default in canonical form: a field at its
default stays out of the run id (config.hashed_config), so stored results keep their ids.
"""
from __future__ import annotations

import json
import numbers
from dataclasses import dataclass

import pyarrow as pa

import nncore
import nndata
from nncore.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from nncore.optimizers import canonical_optimizer

REQUIRED = object()  # a default that says: the spec must give this field
TASKS = ("train", "gradcheck")
INT64_MAX = 2**63 - 1  # the runs table stores integers as int64
_STRING, _FLOAT, _INT = pa.string(), pa.float64(), pa.int64()
_COLUMN_TYPES = {str: _STRING, int: _INT, float: _FLOAT, dict: _STRING, bool: pa.bool_()}


def canonical_json(value) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Field:
    """One configuration key.

    ``kind`` is the Python type a spec gives (ints are accepted for floats); ``choices`` a
    registry (the object itself, so an entry registered at run time is valid) or None; ``low``
    an inclusive lower bound and ``positive`` a strict one at 0, for numbers. ``column`` is the
    Arrow type stored (default: string for str and for dicts, stored as canonical JSON; int64;
    float64); lists must name theirs.
    """

    name: str
    kind: type
    default: object
    doc: str
    choices: object = None
    low: float | None = None
    positive: bool = False
    column: pa.DataType | None = None

    @property
    def column_type(self) -> pa.DataType:
        return self.column if self.column is not None else _COLUMN_TYPES[self.kind]

    @property
    def as_json(self) -> bool:
        """Stored as canonical JSON text (a table of options)."""
        return self.kind is dict

    def range_error(self, value) -> str | None:
        """What is wrong with a number outside the field's range, or None."""
        if self.low is not None and value < self.low:
            return f"must be >= {self.low}, got {value}"
        if self.positive and not value > 0:
            return f"must be positive, got {value}"
        return None

    def check_choice(self, value) -> str | None:
        """What is wrong with a value that is not one of the field's choices, or None."""
        if self.choices is not None and value not in self.choices:
            return f"{value!r} is not one of {', '.join(self.choices)}"
        return None


_DECLARED = [
    Field("task", str, "train", "`train` or `gradcheck` (one numerical gradient against backprop)",
          choices=TASKS),
    Field("dataset", str, REQUIRED, "dataset name (a record of `nndata.DATASETS`, `file` for your own data)",
          choices=nndata.DATASETS),
    Field("dataset_options", dict, {}, "canonical JSON of the dataset's options (`{}` if none); for "
          "`file`: the absolute `path`, the file's `sha256` and, for classifiers, the sorted "
          "`classes` (all but `path` are in the run id)"),
    Field("layer_sizes", list, REQUIRED, "full architecture including input and output, e.g. "
          "[2, 100, 1] (a spec may give `hidden`, `width` and `depth` instead)",
          column=pa.list_(_INT)),
    Field("activation", str, "relu", "hidden activation, as given to `nncore.MLP`",
          choices=HIDDEN_ACTIVATIONS),
    Field("output", str, "identity", "output activation", choices=OUTPUT_ACTIVATIONS),
    Field("loss", str, "mse", "loss (`nncore.LOSSES`)", choices=nncore.LOSSES),
    Field("init", str, "normal", "weight initializer (`nncore.INITIALIZERS`)",
          choices=nncore.INITIALIZERS),
    Field("init_scale", float, 0.1, "scale of the initializer (the `normal` one's standard "
          "deviation; a factor on the others)", positive=True),
    # Not a closed list (plugin engines): config.check_engine loads it and checks its `supports`.
    Field("engine", str, "vectorized", "backprop engine as the spec names it: `nncore.ENGINES` "
          "(`scalar`, `loop`, `vectorized`, `compiled`, `numerical`), a plugin "
          "`package.module:ClassName` or an entry-point name such as `torch` (docs/engines.md)"),
    Field("reduction", str, "mean", "`mean` or `sum` of the per-sample gradients",
          choices=tuple(nncore.REDUCTIONS)),
    Field("dtype", str, "float64", "`float64` or `float32`", choices=tuple(nncore.DTYPES)),
    Field("epochs", int, 30, "epochs asked for", low=0),
    Field("batch_size", int, 10, "samples per step", low=1),
    Field("lr", float, 1e-3, "initial learning rate", positive=True),
    Field("schedule", dict, {"kind": "constant"}, "canonical JSON of the learning-rate schedule, "
          "e.g. `{\"every\":3,\"factor\":0.9,\"kind\":\"step\"}`"),
    Field("seed", int, 0, "replicate seed", low=0),
    Field("snapshot_epochs", list, [], "epochs at which prediction snapshots were kept",
          column=pa.list_(_INT)),
    # Canonical (nncore's canonical_optimizer: kind and every hyperparameter as a float), so that
    # {kind = "adam"} and {kind = "adam", beta1 = 0.9} are one run and plain SGD stays unhashed.
    Field("optimizer", dict, canonical_optimizer("sgd"), "canonical JSON of the optimizer, every "
          "hyperparameter included; `{\"kind\":\"sgd\",\"weight_decay\":0.0}` for plain SGD"),
    Field("activation_stats_epochs", list, [], "epochs at which activation statistics were kept "
          "(the `activations` table)", column=pa.list_(_INT)),
    Field("evaluate_every", int, 1, "losses evaluated every this many epochs (and the last)", low=1),
    # A searched study's two stages (experiments/search): defaults no searched run uses, so a
    # spec without [search] keeps its run ids (with trial defaulting to 0, trial 0 would not).
    Field("stage", str, "", "`trial` or `retrain` for a run of a searched study (`[search]`; "
          "`\"\"` otherwise)", choices=("", "trial", "retrain")),
    Field("trial", int, -1, "the trial index of a searched study's run (a retrain repeats that "
          "trial on another seed); -1 otherwise", low=-1),
]
FIELDS: dict[str, Field] = {f.name: f for f in _DECLARED}

# Columns derived from layer_sizes, stored after it so that reports can facet on them.
DERIVED_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "hidden": (_STRING, "hidden sizes joined with `-`, e.g. `100-80-50-30-10` (`\"\"` if none)"),
    "width": (_INT, "width of the first hidden layer (0 if none)"),
    "depth": (_INT, "number of hidden layers"),
}


def runs_columns() -> list[tuple[str, pa.DataType]]:
    """The runs table's configuration columns in order: every field, the derived ones after
    ``layer_sizes``."""
    columns = []
    for f in FIELDS.values():
        columns.append((f.name, f.column_type))
        if f.name == "layer_sizes":
            columns.extend((name, kind) for name, (kind, _) in DERIVED_COLUMNS.items())
    return columns


def config_columns(config: dict) -> dict:
    """A resolved configuration as runs columns: dicts as canonical JSON, hidden/width/depth
    derived from layer_sizes."""
    columns = {}
    for name, f in FIELDS.items():
        value = config.get(name, f.default)
        columns[name] = canonical_json(value) if f.as_json else value
    hidden = config["layer_sizes"][1:-1]
    columns.update(hidden="-".join(str(h) for h in hidden), width=hidden[0] if hidden else 0,
                   depth=len(hidden))
    return columns


def missing_value(name: str):
    """What a runs shard stored before field ``name`` existed holds for it: the field's default
    (the runs were made with it), as stored; None for a column that is not a field's."""
    f = FIELDS.get(name)
    if f is None or f.default is REQUIRED:
        return None
    return canonical_json(f.default) if f.as_json else f.default


def doc_table() -> str:
    """The markdown table of the runs table's configuration columns (docs/results-schema.md)."""
    lines = ["| column | type | default | meaning |", "| --- | --- | --- | --- |"]
    derived = {name: doc for name, (_, doc) in DERIVED_COLUMNS.items()}
    types = dict(runs_columns())
    for name, kind in types.items():
        f = FIELDS.get(name)
        default = "derived" if f is None else "required" if f.default is REQUIRED else \
            f"`{_doc_default(f)}`"
        lines.append(f"| {name} | {_doc_type(kind)} | {default} | {derived.get(name) or f.doc} |")
    return "\n".join(lines)


def _doc_type(kind: pa.DataType) -> str:
    return {"int64": "int64", "double": "float64", "string": "string",
            "list<item: int64>": "list<int64>", "bool": "bool"}.get(str(kind), str(kind))


def _doc_default(f: Field) -> str:
    if f.default == "":
        return '""'
    if f.as_json:
        return canonical_json(f.default)
    return str(f.default)


def out_of_range_number(value, where: str = "") -> tuple[str, str] | None:
    """(where, what is wrong) for the first number nested in a spec value that the runs table
    and the run id cannot hold (a float that is not finite, an integer beyond int64), or None;
    ``where`` is extended by the path to it (``.gamma``, ``[2]``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral) and not -INT64_MAX - 1 <= value <= INT64_MAX:
        return where, f"{value} is beyond the 64-bit integer range (at most {INT64_MAX})"
    if isinstance(value, float) and not value - value == 0:  # inf, -inf, nan
        return where, f"must be a finite number, got {value}"
    items = enumerate(value) if isinstance(value, list) else value.items() \
        if isinstance(value, dict) else ()
    for key, item in items:
        error = out_of_range_number(item, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}")
        if error:
            return error
    return None
