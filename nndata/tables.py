"""Reading a user's data file: CSV and Parquet tables (with pandas and pyarrow), .npz arrays, and
checking their cells. Every error is a ``ValueError`` naming the file, the column and, for a bad
cell, the row; pandas and pyarrow are imported inside the functions that need them."""
from __future__ import annotations

import errno
import io
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

FORMATS = (".csv", ".parquet", ".npz")
NPZ_ARRAYS = ("X", "Y", "X_val", "Y_val")


def row_name(path: Path, index: int) -> str:
    """A data row as a reader finds it: the line for a CSV (line 1 is the header), else 1-based."""
    return f"line {index + 2}" if path.suffix.lower() == ".csv" else f"row {index + 1}"


NOT_REGULAR = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
               stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}


def check_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path, or ValueError saying what it is when it is not a readable data file:
    of an unknown type, missing, a directory, a symlink loop, not a regular file (a device such
    as /dev/null, a FIFO: reading one could block), or empty."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    try:
        found = path.stat()  # follows symlinks: what a reader would open
    except FileNotFoundError:
        broken = " (a symlink to a missing file)" if path.is_symlink() else ""
        raise ValueError(f"{path}: no such file{broken}") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ValueError(f"{path}: is a symlink loop (too many levels of symbolic links), "
                             "not a data file") from None
        raise ValueError(f"{path}: cannot be opened: {error.strerror or error}") from None
    if stat.S_ISDIR(found.st_mode):
        raise ValueError(f"{path}: is a directory, not a data file")
    if not stat.S_ISREG(found.st_mode):
        what = NOT_REGULAR.get(stat.S_IFMT(found.st_mode), "not a file")
        raise ValueError(f"{path}: is not a regular file ({what})")
    if found.st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    return path


def read_table(path: Path, source, columns: list[str] | None = None, header_only: bool = False):
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


def header(path: Path) -> list[str]:
    """Column names, without reading any rows."""
    return [str(c) for c in read_table(path, path, header_only=True).columns]


def open_npz(path: Path, source) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source if isinstance(source, (str, Path)) else io.BytesIO(source))
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{path}: cannot be read as .npz: {error}") from None


def npz_names(path: Path, archive: zipfile.ZipFile) -> set[str]:
    names = {name.removesuffix(".npy") for name in archive.namelist()}
    missing = [key for key in ("X", "Y") if key not in names]
    if missing:
        raise ValueError(f"{path}: array {missing[0]} not found; arrays: {', '.join(sorted(names))} "
                         "(an .npz needs X and Y, optionally X_val and Y_val)")
    if ("X_val" in names) != ("Y_val" in names):
        raise ValueError(f"{path}: X_val and Y_val go together; found only one of them")
    return names


def npz_array(path: Path, archive: zipfile.ZipFile, key: str) -> np.ndarray:
    try:
        with archive.open(f"{key}.npy") as handle:
            return np.lib.format.read_array(handle, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: array {key} cannot be read: {error}") from None


def npz_shape(path: Path, archive: zipfile.ZipFile, key: str) -> tuple[int, ...]:
    """An array's shape from its .npy header, without reading the data."""
    with archive.open(f"{key}.npy") as handle:
        version = np.lib.format.read_magic(handle)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, _ = read(handle)
    return shape


def finite_column(path: Path, name: str, values) -> np.ndarray:
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
        raise ValueError(f"{path}: column {name!r} {row_name(path, i)}: {what}")
    return array


def class_labels(path: Path, name: str, values) -> list:
    """Class labels as plain Python ints or strings (no NaN), in file order."""
    import pandas as pd

    column = pd.Series(values)
    missing = column.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{path}: column {name!r} {row_name(path, i)}: class label is missing")
    if pd.api.types.is_bool_dtype(column):
        column = column.astype(np.int64)
    if pd.api.types.is_float_dtype(column):
        fractional = (column != np.round(column)).to_numpy()
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            raise ValueError(f"{path}: column {name!r} {row_name(path, i)}: {column.iloc[i]!r} is not "
                             "a class label (labels are integers or strings; a number to predict "
                             "needs loss = 'mse' or 'sse')")
        column = column.astype(np.int64)
    if pd.api.types.is_integer_dtype(column):
        return [int(v) for v in column]
    return [str(v) for v in column]


def sorted_classes(path: Path, name: str, labels: list) -> list:
    classes = sorted(set(labels), key=lambda v: (isinstance(v, str), v))
    if len(classes) < 2:
        raise ValueError(f"{path}: column {name!r} has a single class ({classes[0]!r}); "
                         "a classifier needs at least two")
    return classes
