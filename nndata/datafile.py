"""The ``file`` dataset: samples read from a user's table (.csv, .parquet) or arrays (.npz).

A table holds one sample per row: the ``target`` column(s) and the features (every other column,
or those ``features`` names). An .npz holds arrays ``X`` (n, inputs) and ``Y`` (n,) or
(n, outputs), and optionally its own validation split ``X_val``, ``Y_val``.

- At spec time, ``resolve_options`` turns the spec's path (relative to the spec) into an absolute
  one and adds the file's SHA-256 (what the file *is*), plus the sorted class labels when the loss
  makes the target a class label. The run id hashes everything but the path (``hashed_options``):
  an edited file gives new runs, a moved one changes nothing. Only the header and the target are
  read then (``describe``); ``check_readable`` reads each file whole once before a sweep starts,
  so a bad cell stops the sweep before any run, naming file, column and row.
- In the worker, ``load`` reads everything, checks every cell, maps class labels to 0..k-1 in the
  order of ``classes``, splits off a (stratified) validation set when the file has none, and
  standardizes the features by the training split's mean and standard deviation.

Reading and cell checks are in ``nndata.tables``. Every error is a ``ValueError`` naming the file,
the column and, for a bad cell, the row.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nncore.losses import CLASSIFICATION_LOSSES

from . import tables
from .record import Dataset, Metrics
from .splits import split_indices, standardized, validation_rows

@dataclass(frozen=True)
class Description:
    """What a spec needs to know about a data file, read without loading its features.

    ``outputs``: target columns, or the number of classes when ``classes`` is set (sorted labels).
    ``train_rows``: samples left for training after the validation split.
    """

    inputs: int
    outputs: int
    rows: int
    train_rows: int
    classes: list | None
    validation_rows: int  # the file's own validation split, or the one drawn from it (0: none)


def sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _targets(path: Path, target, features) -> tuple[list[str], list[str] | None]:
    if path.suffix.lower() == ".npz":
        if target is not None or features is not None:
            raise ValueError(f"{path}: an .npz file holds its target as Y and its features as X; "
                             "leave out target and features")
        return [], None
    if target is None:
        raise ValueError(f"{path}: target: name the label column (or a list of columns)")
    targets = [target] if isinstance(target, str) else list(target)
    if not targets or not all(isinstance(t, str) for t in targets):
        raise ValueError(f"{path}: target must be a column name or a list of them, got {target!r}")
    if features is not None and not (isinstance(features, list) and features
                                     and all(isinstance(f, str) for f in features)):
        raise ValueError(f"{path}: features must be a non-empty list of column names, got {features!r}")
    return targets, features


def _feature_columns(path: Path, columns: list[str], targets: list[str], features) -> list[str]:
    """The feature columns, after checking that every named column exists."""
    for name in targets + (features or []):
        if name not in columns:
            raise ValueError(f"{path}: column {name!r} not found; columns: {', '.join(columns)}")
    if features is not None:
        clash = sorted(set(features) & set(targets))
        if clash:
            raise ValueError(f"{path}: column {clash[0]!r} is both target and feature")
        return list(features)
    chosen = [c for c in columns if c not in targets]
    if not chosen:
        raise ValueError(f"{path}: no feature columns besides the target {', '.join(targets)}")
    return chosen


def _check_fraction(path: Path, validation) -> float:
    if isinstance(validation, bool) or not isinstance(validation, (int, float)) \
            or not 0 <= validation < 1:
        raise ValueError(f"{path}: validation must be a fraction in [0, 1), got {validation!r}")
    return float(validation)


def _npz_target(path: Path, classify: bool):
    """(inputs, rows, rows of its own validation split, target columns, held-out labels) of an .npz."""
    with tables.open_npz(path, path) as archive:
        names = tables.npz_names(path, archive)
        x_shape = tables.npz_shape(path, archive, "X")
        Y = tables.npz_array(path, archive, "Y")
        Y_val = tables.npz_array(path, archive, "Y_val") if "Y_val" in names else None
    if len(x_shape) != 2 or x_shape[0] == 0:
        raise ValueError(f"{path}: X must be a non-empty 2-D array (samples, inputs), "
                         f"got shape {x_shape}")
    if Y.ndim > 2 or Y.shape[0] != x_shape[0]:
        raise ValueError(f"{path}: Y must be (n,) or (n, outputs) with the {x_shape[0]} rows "
                         f"of X, got shape {Y.shape}")
    columns = ({"Y": Y} if Y.ndim == 1 else
               {f"Y[:, {j}]": Y[:, j] for j in range(Y.shape[1])})
    held_out = []
    if classify and Y_val is not None:
        held_out = tables.class_labels(path, "Y_val", Y_val.reshape(len(Y_val), -1)[:, 0])
    return x_shape[1], x_shape[0], 0 if Y_val is None else len(Y_val), columns, held_out


def _table_target(path: Path, targets: list[str], features):
    """(inputs, rows, rows of its own validation split: 0, target columns, held-out labels) of a table."""
    header = tables.header(path)
    _feature_columns(path, header, targets, features)
    frame = tables.read_table(path, path, targets)
    if len(frame) == 0:
        raise ValueError(f"{path}: the file has a header but no rows")
    inputs = len(features) if features is not None else len(header) - len(targets)
    return inputs, len(frame), 0, {name: frame[name] for name in targets}, []


def _check_split(path: Path, name: str | None, classes: list | None, counts: list[int],
                 fraction: float) -> None:
    """ValueError when a validation share of ``fraction`` takes no sample at all (each group,
    a class or all rows, is too small), naming the file, the class counts and the share."""
    if fraction == 0 or sum(validation_rows(counts, fraction)) > 0:
        return
    if classes is None:
        sizes, of = f"{counts[0]} rows", f"of {counts[0]} rows"
    else:
        sizes = (f"column {name!r} has " + ", ".join(f"{c!r}: {n}" for c, n in zip(classes, counts))
                 + " rows per class")
        of = "of each class"
    raise ValueError(f"{path}: too small for its validation split: {sizes}; validation = "
                     f"{fraction:g} {of} rounds to no validation sample (use more rows, a larger "
                     "validation share, or validation = 0 for none)")


def describe(path: str | os.PathLike, target: str | list[str] | None = None,
             features: list[str] | None = None, classify: bool = False,
             validation: float = 0.2) -> Description:
    """Sizes and class labels of a data file, from its header and its target only.

    ``classify``: the target is one column of class labels (integers or strings), sorted into
    ``classes``; otherwise it holds numbers (one output per target column). ValueError when the
    file cannot be read, or is too small for its validation split.
    """
    path = tables.check_path(path)
    fraction = _check_fraction(path, validation)
    targets, features = _targets(path, target, features)
    if path.suffix.lower() == ".npz":
        inputs, rows, own_validation, columns, held_out_labels = _npz_target(path, classify)
    else:
        inputs, rows, own_validation, columns, held_out_labels = _table_target(path, targets, features)
    name = None
    if classify:
        if len(columns) != 1:
            raise ValueError(f"{path}: a classifier takes one target column of labels, got "
                             f"{', '.join(columns)}")
        (name, values), = columns.items()
        labels = tables.class_labels(path, name, values)
        classes = tables.sorted_classes(path, name, labels + held_out_labels)
        counts = [labels.count(c) for c in classes]
        outputs = len(classes)
    else:
        for column, values in columns.items():
            tables.finite_column(path, column, values)
        classes, counts, outputs = None, [rows], len(columns)
    if not own_validation:
        _check_split(path, name, classes, counts, fraction)
    drawn = 0 if own_validation else sum(validation_rows(counts, fraction))
    return Description(inputs=int(inputs), outputs=int(outputs), rows=int(rows), train_rows=int(rows - drawn),
                       classes=classes, validation_rows=int(own_validation or drawn))


def load(path: str | os.PathLike, target: str | list[str] | None = None,
         features: list[str] | None = None, classes: list | None = None,
         validation: float = 0.2, split_seed: int = 0, standardize: bool = True,
         sha256: str | None = None):
    """``(X, Y, X_val, Y_val)`` from a data file; ``X_val``/``Y_val`` None with ``validation=0``.

    X: (n, inputs) float64. Y: class indices (n,) int64 into ``classes`` when given (a
    classifier), else (n, outputs) float64. Without a validation split in the file, one is drawn
    with a generator seeded by ``split_seed``, stratified by class for classifiers. With
    ``standardize``, features are scaled by the training split's mean and standard deviation
    (a constant feature is only centred). ``sha256``, when given, must match the file's bytes:
    a file changed since the spec was read fails here instead of producing mislabelled results.
    """
    path = tables.check_path(path)
    fraction = _check_fraction(path, validation)
    targets, features = _targets(path, target, features)
    data = path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path}: the file changed since the spec was read (SHA-256 differs); "
                         "run the sweep again to pick up the new data")
    if path.suffix.lower() == ".npz":
        X, Y, X_val, Y_val = _load_npz(path, data, classes)
    else:
        frame = tables.read_table(path, data)
        if len(frame) == 0:
            raise ValueError(f"{path}: the file has a header but no rows")
        columns = [str(c) for c in frame.columns]
        frame.columns = columns
        chosen = _feature_columns(path, columns, targets, features)
        X = np.column_stack([tables.finite_column(path, name, frame[name]) for name in chosen])
        if classes is not None:
            if len(targets) != 1:
                raise ValueError(f"{path}: a classifier takes one target column, got {', '.join(targets)}")
            Y = _class_indices(path, targets[0], frame[targets[0]], classes)
        else:
            Y = np.column_stack([tables.finite_column(path, name, frame[name]) for name in targets])
        X_val = Y_val = None
    if X_val is None and fraction > 0:
        train, held_out = split_indices(Y if classes is not None else None, len(X), fraction, split_seed)
        X, Y, X_val, Y_val = X[train], Y[train], X[held_out], Y[held_out]
    if standardize:
        X, X_val = standardized(X, X_val)
    return X, Y, X_val, Y_val


def _class_indices(path: Path, name: str, values, classes: list) -> np.ndarray:
    index = {label: i for i, label in enumerate(classes)}
    labels = tables.class_labels(path, name, values)
    try:
        return np.array([index[label] for label in labels], dtype=np.int64)
    except KeyError as missing:
        i = labels.index(missing.args[0])
        raise ValueError(f"{path}: column {name!r} {tables.row_name(path, i)}: label "
                         f"{missing.args[0]!r} is not one of the classes {classes}") from None


def _load_npz(path: Path, data: bytes, classes):
    with tables.open_npz(path, data) as archive:
        names = tables.npz_names(path, archive)
        arrays = {key: tables.npz_array(path, archive, key) for key in tables.NPZ_ARRAYS if key in names}
    out = []
    for x_key, y_key in (("X", "Y"), ("X_val", "Y_val")):
        if x_key not in arrays:
            out += [None, None]
            continue
        X, Y = arrays[x_key], arrays[y_key]
        if X.ndim != 2 or X.shape[0] == 0 or Y.shape[:1] != X.shape[:1] or Y.ndim > 2:
            raise ValueError(f"{path}: {x_key} must be (n, inputs) and {y_key} (n,) or (n, outputs) "
                             f"with the same n, got {X.shape} and {Y.shape}")
        Y = Y.reshape(len(Y), -1)
        out += [_finite_columns(path, x_key, X), _finite_columns(path, y_key, Y) if classes is None
                else _class_indices(path, y_key, Y[:, 0], classes)]
    return tuple(out)


def _finite_columns(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """An .npz array (n, k) as float64, every cell checked (``tables.finite_column``)."""
    return np.column_stack([tables.finite_column(path, f"{key}[:, {j}]", array[:, j]) for j in range(array.shape[1])])


def shape(path: str | os.PathLike, target: str | list[str] | None = None,
          features: list[str] | None = None, classes: list | None = None,
          validation: float = 0.2, split_seed: int = 0, standardize: bool = True,
          sha256: str | None = None) -> tuple[int, int, int]:
    """(inputs, outputs, training samples) of ``load`` with the same options, from the header and
    the target only; outputs are the classes' count when ``classes`` is given."""
    found = describe(path, target, features, classify=classes is not None, validation=validation)
    return found.inputs, found.outputs, found.train_rows


# --- at spec time: where the file is, what it is, whether it can be read ----------------------
UNHASHED_OPTIONS = ("path",)  # where the file is; what it is goes in as sha256
DERIVED_OPTIONS = ("classes",)  # computed from the file; a spec does not set them


@functools.lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256(path)


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256, hashed once per process for each (path, size, modification time)."""
    stat = os.stat(path)
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _describe(path: str, sha: str, target, features, classify: bool, validation: float):
    return describe(path, _listed(target), _listed(features), classify, validation)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _listed(value):
    return list(value) if isinstance(value, tuple) else value


def resolve_options(options: dict, spec_dir: Path, loss: str) -> tuple[dict, tuple[int, int, int]]:
    """The run's ``dataset_options`` (absolute path, sha256, classes) and its (inputs, outputs,
    training samples); ValueError naming the option, or the file and column, when unusable."""
    if not isinstance(options.get("path"), str) or not options["path"]:
        raise ValueError("path: name the data file (.csv, .parquet or .npz), relative to the spec")
    path = Path(options["path"]).expanduser()
    if not path.is_absolute():
        path = spec_dir / path
    path = Path(os.path.abspath(path))
    checked = tables.check_path(path)  # missing, empty, unsupported: before hashing
    sha = file_sha256(checked)
    if options.get("sha256") not in (None, sha):
        raise ValueError(f"{path}: sha256 {options['sha256']!r} in the spec does not match the "
                         f"file ({sha}); the file changed")
    if not (isinstance(options.get("split_seed", 0), int) and options.get("split_seed", 0) >= 0):
        raise ValueError(f"split_seed must be an integer >= 0, got {options['split_seed']!r}")
    if not isinstance(options.get("standardize", True), bool):
        raise ValueError(f"standardize must be true or false, got {options['standardize']!r}")
    classify = loss in CLASSIFICATION_LOSSES
    validation = options.get("validation", 0.2)
    found = _describe(str(path), sha, _hashable(options.get("target")),
                      _hashable(options.get("features")), classify, validation)
    if loss == "binary_cross_entropy" and found.classes is not None and len(found.classes) != 2:
        raise ValueError(f"{path}: column {options.get('target', 'Y')!r} has {len(found.classes)} "
                         "classes; binary_cross_entropy needs exactly two (use cross_entropy "
                         "with output = 'softmax')")
    resolved = {**options, "path": str(path), "sha256": sha}
    outputs = found.outputs
    if found.classes is not None:
        resolved["classes"] = found.classes
        outputs = 1 if loss == "binary_cross_entropy" else len(found.classes)
    return resolved, (found.inputs, outputs, found.train_rows)


def hashed_options(options: dict) -> dict:
    """The options that identify the data: without the path."""
    return {key: value for key, value in options.items() if key not in UNHASHED_OPTIONS}


@functools.lru_cache(maxsize=16)
def _readable(path: str, sha: str, options_items: tuple) -> None:
    options = {key: _listed(value) for key, value in options_items}
    load(**options)


def check_readable(options: dict) -> None:
    """Read the data file of these resolved options whole (once per file and options): a NaN,
    infinity or non-numeric cell raises ValueError naming file, column and row."""
    _readable(options["path"], options["sha256"],
              tuple(sorted((k, _hashable(v)) for k, v in options.items())))


# --- the record ----------------------------------------------------------------------------
class FileMetrics(Metrics):
    """``classes``: a classifier's class labels in output order (output i is the i-th class)."""

    def result(self, net, history):
        return {"classes": self.options["classes"]} if "classes" in self.options else {}


def validation_samples(**options) -> int:
    """Validation rows of these resolved options: the file's own split, or the share drawn from it
    (0 with ``validation = 0`` and none in the file)."""
    return _describe(options["path"], options.get("sha256"), _hashable(options.get("target")),
                     _hashable(options.get("features")), "classes" in options,
                     options.get("validation", 0.2)).validation_rows


FILE = Dataset(load=load, task="either", cheap_shape=shape, metrics=FileMetrics,
               validation_samples=validation_samples, resolve=resolve_options, hashed=hashed_options,
               check_readable=check_readable,
               # what a spec may give: load's options but the derived ones, so that a configuration
               # resolved once (a searched trial's, checked again with its drawn values) resolves again
               spec_options=tuple(name for name in inspect.signature(load).parameters
                                  if name not in DERIVED_OPTIONS))
