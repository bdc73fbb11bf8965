"""The ``file`` dataset: samples read from a user's table (.csv, .parquet) or arrays (.npz).

A table holds one sample per row: the ``target`` column(s) and the features (every other column,
or those ``features`` names). An .npz holds arrays ``X`` (n, inputs) and ``Y`` (n,) or
(n, outputs), and optionally its own validation split ``X_val``, ``Y_val``.

- ``describe`` reads the header and the target only (what a spec needs: sizes, class labels).
- ``load`` reads everything, checks every cell, maps class labels to 0..k-1 in the order of
  ``classes``, splits off a (stratified) validation set when the file has none, and standardizes
  the features by the training split's mean and standard deviation.

pandas and pyarrow are imported inside the functions that read tables (as ``digits`` imports
scikit-learn), so ``import nncore`` still loads NumPy only. Every error is a ``ValueError`` naming
the file, the column and, for a bad cell, the row.
"""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMATS = (".csv", ".parquet", ".npz")
NPZ_ARRAYS = ("X", "Y", "X_val", "Y_val")


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
    has_validation: bool


def sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- locating problems -----------------------------------------------------------------------
def _row(path: Path, index: int) -> str:
    """A data row as a reader finds it: the line for a CSV (line 1 is the header), else 1-based."""
    return f"line {index + 2}" if path.suffix.lower() == ".csv" else f"row {index + 1}"


def check_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path, or ValueError when it is missing, empty or of an unknown type."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    return path


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


# --- reading ---------------------------------------------------------------------------------
def _read_table(path: Path, source, columns: list[str] | None = None, header_only: bool = False):
    """A pandas DataFrame of ``columns`` (all if None) from ``source`` (a path or the file's
    bytes); ``header_only``: no rows, the column names only (the Parquet schema, a CSV's first
    line)."""
    import pandas as pd

    csv = path.suffix.lower() == ".csv"
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        if csv:
            return pd.read_csv(source, usecols=columns, low_memory=False,
                               nrows=0 if header_only else None)
        import pyarrow.parquet as pq

        if header_only:
            return pd.DataFrame(columns=pq.read_schema(source).names)
        return pq.read_table(source, columns=columns).to_pandas()
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty (no header)") from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        # pyarrow's ArrowInvalid (not a Parquet file) is a ValueError too
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path}: cannot be read as {'CSV' if csv else 'Parquet'}: {first}") from None


def _header(path: Path) -> list[str]:
    """Column names, without reading any rows."""
    return [str(c) for c in _read_table(path, path, header_only=True).columns]


def _npz(path: Path, source) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source if isinstance(source, (str, Path)) else io.BytesIO(source))
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{path}: cannot be read as .npz: {error}") from None


def _npz_names(path: Path, archive: zipfile.ZipFile) -> set[str]:
    names = {name.removesuffix(".npy") for name in archive.namelist()}
    missing = [key for key in ("X", "Y") if key not in names]
    if missing:
        raise ValueError(f"{path}: array {missing[0]} not found; arrays: {', '.join(sorted(names))} "
                         "(an .npz needs X and Y, optionally X_val and Y_val)")
    if ("X_val" in names) != ("Y_val" in names):
        raise ValueError(f"{path}: X_val and Y_val go together; found only one of them")
    return names


def _npz_array(path: Path, archive: zipfile.ZipFile, key: str) -> np.ndarray:
    try:
        with archive.open(f"{key}.npy") as handle:
            return np.lib.format.read_array(handle, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: array {key} cannot be read: {error}") from None


def _npz_shape(path: Path, archive: zipfile.ZipFile, key: str) -> tuple[int, ...]:
    """An array's shape from its .npy header, without reading the data."""
    with archive.open(f"{key}.npy") as handle:
        version = np.lib.format.read_magic(handle)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, _ = read(handle)
    return shape


# --- checking values -------------------------------------------------------------------------
def _numbers(path: Path, name: str, values) -> np.ndarray:
    """A column as float64, or ValueError naming the first cell that is not a finite number."""
    import pandas as pd

    column = pd.Series(values)
    if pd.api.types.is_bool_dtype(column):
        column = column.astype(np.int64)
    array = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(array)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        cell = column.iloc[i]
        if pd.isna(cell):
            what = "is missing (empty or NaN)"
        elif np.isnan(array[i]):
            what = f"{cell!r} is not a number"
        else:
            what = f"is {cell!r}, not a finite number"
        raise ValueError(f"{path}: column {name!r} {_row(path, i)}: {what}")
    return array


def _labels(path: Path, name: str, values) -> list:
    """Class labels as plain Python ints or strings (no NaN), in file order."""
    import pandas as pd

    column = pd.Series(values)
    missing = column.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{path}: column {name!r} {_row(path, i)}: class label is missing")
    if pd.api.types.is_bool_dtype(column):
        column = column.astype(np.int64)
    if pd.api.types.is_float_dtype(column):
        fractional = (column != np.round(column)).to_numpy()
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            raise ValueError(f"{path}: column {name!r} {_row(path, i)}: {column.iloc[i]!r} is not "
                             "a class label (labels are integers or strings; a number to predict "
                             "needs loss = 'mse' or 'sse')")
        column = column.astype(np.int64)
    if pd.api.types.is_integer_dtype(column):
        return [int(v) for v in column]
    return [str(v) for v in column]


def _sorted_classes(path: Path, name: str, labels: list) -> list:
    classes = sorted(set(labels), key=lambda v: (isinstance(v, str), v))
    if len(classes) < 2:
        raise ValueError(f"{path}: column {name!r} has a single class ({classes[0]!r}); "
                         "a classifier needs at least two")
    return classes


def _validation_rows(counts: list[int], fraction: float) -> list[int]:
    """Validation samples taken from each group (class, or all rows) of the given sizes:
    round(fraction * size), leaving at least one sample of each group for training."""
    return [min(int(np.floor(fraction * size + 0.5)), size - 1) for size in counts]


def _check_fraction(path: Path, validation) -> float:
    if isinstance(validation, bool) or not isinstance(validation, (int, float)) \
            or not 0 <= validation < 1:
        raise ValueError(f"{path}: validation must be a fraction in [0, 1), got {validation!r}")
    return float(validation)


# --- the two entry points --------------------------------------------------------------------
def describe(path: str | os.PathLike, target: str | list[str] | None = None,
             features: list[str] | None = None, classify: bool = False,
             validation: float = 0.2) -> Description:
    """Sizes and class labels of a data file, from its header and its target only.

    ``classify``: the target is one column of class labels (integers or strings), sorted into
    ``classes``; otherwise it holds numbers (one output per target column).
    """
    path = check_path(path)
    fraction = _check_fraction(path, validation)
    targets, features = _targets(path, target, features)
    held_out_labels = []
    if path.suffix.lower() == ".npz":
        with _npz(path, path) as archive:
            names = _npz_names(path, archive)
            x_shape = _npz_shape(path, archive, "X")
            Y = _npz_array(path, archive, "Y")
            Y_val = _npz_array(path, archive, "Y_val") if "Y_val" in names else None
        if len(x_shape) != 2 or x_shape[0] == 0:
            raise ValueError(f"{path}: X must be a non-empty 2-D array (samples, inputs), "
                             f"got shape {x_shape}")
        if Y.ndim > 2 or Y.shape[0] != x_shape[0]:
            raise ValueError(f"{path}: Y must be (n,) or (n, outputs) with the {x_shape[0]} rows "
                             f"of X, got shape {Y.shape}")
        inputs, rows, has_validation = x_shape[1], x_shape[0], Y_val is not None
        columns = ({"Y": Y} if Y.ndim == 1 else
                   {f"Y[:, {j}]": Y[:, j] for j in range(Y.shape[1])})
        if classify and Y_val is not None:
            held_out_labels = _labels(path, "Y_val", Y_val.reshape(len(Y_val), -1)[:, 0])
    else:
        header = _header(path)
        _feature_columns(path, header, targets, features)
        frame = _read_table(path, path, targets)
        if len(frame) == 0:
            raise ValueError(f"{path}: the file has a header but no rows")
        inputs = len(features) if features is not None else len(header) - len(targets)
        rows, has_validation = len(frame), False
        columns = {name: frame[name] for name in targets}
    if classify:
        if len(columns) != 1:
            raise ValueError(f"{path}: a classifier takes one target column of labels, got "
                             f"{', '.join(columns)}")
        (name, values), = columns.items()
        labels = _labels(path, name, values)
        classes = _sorted_classes(path, name, labels + held_out_labels)
        counts = [labels.count(c) for c in classes]
        outputs = len(classes)
    else:
        for name, values in columns.items():
            _numbers(path, name, values)
        classes, counts, outputs = None, [rows], len(columns)
    train_rows = rows if has_validation else rows - sum(_validation_rows(counts, fraction))
    return Description(inputs=int(inputs), outputs=int(outputs), rows=int(rows),
                       train_rows=int(train_rows), classes=classes, has_validation=has_validation)


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
    path = check_path(path)
    fraction = _check_fraction(path, validation)
    targets, features = _targets(path, target, features)
    data = path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path}: the file changed since the spec was read (SHA-256 differs); "
                         "run the sweep again to pick up the new data")
    if path.suffix.lower() == ".npz":
        X, Y, X_val, Y_val = _load_npz(path, data, classes)
    else:
        frame = _read_table(path, data)
        if len(frame) == 0:
            raise ValueError(f"{path}: the file has a header but no rows")
        columns = [str(c) for c in frame.columns]
        frame.columns = columns
        chosen = _feature_columns(path, columns, targets, features)
        X = np.column_stack([_numbers(path, name, frame[name]) for name in chosen])
        if classes is not None:
            if len(targets) != 1:
                raise ValueError(f"{path}: a classifier takes one target column, got {', '.join(targets)}")
            Y = _class_indices(path, targets[0], frame[targets[0]], classes)
        else:
            Y = np.column_stack([_numbers(path, name, frame[name]) for name in targets])
        X_val = Y_val = None
    if X_val is None and fraction > 0:
        train, held_out = split_indices(Y if classes is not None else None, len(X), fraction, split_seed)
        X, Y, X_val, Y_val = X[train], Y[train], X[held_out], Y[held_out]
    if standardize:
        X, X_val = standardized(X, X_val)
    return X, Y, X_val, Y_val


def _class_indices(path: Path, name: str, values, classes: list) -> np.ndarray:
    index = {label: i for i, label in enumerate(classes)}
    labels = _labels(path, name, values)
    try:
        return np.array([index[label] for label in labels], dtype=np.int64)
    except KeyError as missing:
        i = labels.index(missing.args[0])
        raise ValueError(f"{path}: column {name!r} {_row(path, i)}: label "
                         f"{missing.args[0]!r} is not one of the classes {classes}") from None


def _load_npz(path: Path, data: bytes, classes):
    with _npz(path, data) as archive:
        names = _npz_names(path, archive)
        arrays = {key: _npz_array(path, archive, key) for key in NPZ_ARRAYS if key in names}
    out = []
    for x_key, y_key in (("X", "Y"), ("X_val", "Y_val")):
        if x_key not in arrays:
            out += [None, None]
            continue
        X, Y = arrays[x_key], arrays[y_key]
        if X.ndim != 2 or X.shape[0] == 0 or Y.shape[:1] != X.shape[:1] or Y.ndim > 2:
            raise ValueError(f"{path}: {x_key} must be (n, inputs) and {y_key} (n,) or (n, outputs) "
                             f"with the same n, got {X.shape} and {Y.shape}")
        X = np.column_stack([_numbers(path, f"{x_key}[:, {j}]", X[:, j]) for j in range(X.shape[1])])
        if classes is not None:
            Y = _class_indices(path, y_key, Y.reshape(len(Y), -1)[:, 0], classes)
        else:
            Y2 = Y.reshape(len(Y), -1)
            Y = np.column_stack([_numbers(path, f"{y_key}[:, {j}]", Y2[:, j]) for j in range(Y2.shape[1])])
        out += [X, Y]
    return tuple(out)


def split_indices(labels: np.ndarray | None, n: int, fraction: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices, each sorted: ``round(fraction * size)`` rows of each class
    (of all rows when ``labels`` is None) go to validation, drawn by a generator seeded with
    ``seed``; every class keeps at least one training sample."""
    rng = np.random.default_rng(seed)
    groups = ([np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None
              else [np.arange(n)])
    taken = _validation_rows([len(g) for g in groups], fraction)
    held_out = np.concatenate([rng.permutation(g)[:k] for g, k in zip(groups, taken)])
    mask = np.zeros(n, dtype=bool)
    mask[held_out] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def standardized(X: np.ndarray, X_val: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """X and X_val (n, inputs) minus the training mean, over the training standard deviation."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale <= np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))] = 1.0
    return (X - mean) / scale, None if X_val is None else (X_val - mean) / scale


def shape(path: str | os.PathLike, target: str | list[str] | None = None,
          features: list[str] | None = None, classes: list | None = None,
          validation: float = 0.2, split_seed: int = 0, standardize: bool = True,
          sha256: str | None = None) -> tuple[int, int, int]:
    """(inputs, outputs, training samples) of ``load`` with the same options, from the header and
    the target only; outputs are the classes' count when ``classes`` is given."""
    found = describe(path, target, features, classify=classes is not None, validation=validation)
    return found.inputs, found.outputs, found.train_rows
