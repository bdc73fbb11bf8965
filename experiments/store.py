"""The Parquet results store: ``results/<study>/<table>/*.parquet``, immutable shards.

Parquet files cannot be appended and a killed writer leaves a file without a footer, so every
write is a new shard written under a temporary name and moved into place with ``os.replace``
(atomic on POSIX). Shard names start with a nanosecond timestamp, so sorting them by name sorts
them by age; readers de-duplicate by ``run_id`` (newest wins). Every shard is written with the
explicit Arrow schema below, so columns never drift (an ``lr`` of 1 stays a float64).
The contract is docs/results-schema.md.
"""
from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import fields

TEMP_SUFFIX = ".tmp"

from .schemas import SCHEMAS, TABLES


class MissingResults(LookupError):
    """A study or table has no stored shards."""


class CorruptResults(ValueError):
    """A stored shard cannot be read; the message names the file."""


class InaccessibleResults(CorruptResults):
    """A study's folder cannot be entered or listed (another user's, mode 700); the message
    names it. A ``CorruptResults``: every reader that reports an unreadable shard reports it."""


class UnwritableResults(OSError):
    """The results folder cannot be written (not a directory, read-only, disk full); the message
    names the folder."""


# A reader lists a table's shards, then reads them; a compaction in another process may replace
# them in between. It publishes its merged shard before deleting the ones it merged, so listing
# again finds the same rows.
READ_ATTEMPTS = 10


class ShardVanished(Exception):
    """A listed shard was gone when read (a concurrent compaction replaced it)."""


def table_dir(results: str | os.PathLike, study: str, table: str) -> Path:
    return Path(results) / study / table


def check_table(table: str) -> None:
    if table not in SCHEMAS:
        raise ValueError(f"table={table!r} is not one of {', '.join(TABLES)}")


def shard_paths(results: str | os.PathLike, study: str, table: str) -> list[Path]:
    """The table's finished shards, oldest first (names start with a nanosecond timestamp)."""
    directory = table_dir(results, study, table)
    try:
        if not directory.is_dir():
            return []
        return sorted(p for p in directory.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))
    except OSError as error:
        raise InaccessibleResults(inaccessible(directory, error)) from None


def inaccessible(path: Path, error: OSError) -> str:
    """Why a folder of the results cannot be looked into, naming it."""
    return f"{path}: cannot be read ({error.strerror or error}); another user's folder?"


def _shard_name() -> str:
    # Zero-padded nanoseconds first: name order is age order; pid and uuid keep names unique.
    return f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary)``, then move the temporary to ``path`` with ``os.replace``; raises
    ``UnwritableResults`` naming the folder (and leaves no temporary) when that fails."""
    # The writer's pid in the name lets clean_temporaries spare temporaries of live writers.
    temporary = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        # Where removing the temporary fails too (a read-only folder), the first error is the one
        # to report; ``clean_temporaries`` removes the temporary later.
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise UnwritableResults(f"cannot write to {path.parent}: {error.strerror or error}") from error
        raise
    return path


def write_table_atomic(table: pa.Table, path: Path) -> Path:
    """Write ``table`` to ``path`` atomically (see ``write_atomic``)."""
    return write_atomic(path, lambda temporary: pq.write_table(table, temporary))


def check_writable(results: str | os.PathLike) -> None:
    """Create ``results`` if needed and check a file can be written in it, so a sweep fails
    before its first run rather than after it; raises ``UnwritableResults`` naming the folder."""
    root = Path(results)
    if root.exists() and not root.is_dir():
        raise UnwritableResults(f"--results {root}: not a directory")
    probe = root / f".write-check.{os.getpid()}{TEMP_SUFFIX}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UnwritableResults(f"--results {root}: cannot write there: "
                                f"{error.strerror or error}") from error


def to_arrow(table: str, rows: list[dict] | dict) -> pa.Table:
    """Rows (a list of dicts) or columns (a dict of lists or arrays) as an Arrow table of the
    table's schema. Missing columns become nulls; unknown ones are an error, so a typo cannot
    silently drop a field."""
    check_table(table)
    schema = SCHEMAS[table]
    names = set().union(*rows) if isinstance(rows, list) else set(rows)
    extra = names - set(schema.names)
    if extra:
        raise ValueError(f"{table}: unknown columns {sorted(extra)}")
    if isinstance(rows, list):
        return pa.Table.from_pylist(rows, schema=schema)
    n = len(next(iter(rows.values()))) if rows else 0
    arrays = [pa.array(rows[f.name], type=f.type) if f.name in rows else pa.nulls(n, f.type)
              for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_shard(results: str | os.PathLike, study: str, table: str,
                rows: list[dict] | dict | pa.Table) -> Path | None:
    """Store rows, columns or an Arrow table of ``table``'s schema as one new shard (None if empty)."""
    arrow = rows if isinstance(rows, pa.Table) else to_arrow(table, rows)
    if arrow.num_rows == 0:
        return None
    if arrow.schema != SCHEMAS[table]:
        arrow = arrow.cast(SCHEMAS[table])
    return write_table_atomic(arrow, table_dir(results, study, table) / _shard_name())


def write_runs_together(results: str | os.PathLike, study: str,
                        arrows: dict[str, pa.Table]) -> list[str]:
    """Store the rows of a set of runs of ``study``, one shard per table (``arrows``: table name ->
    Arrow table of its schema), and return the tables written.

    The ``runs`` shard is written last: it is the commit record (a sweep counts a run as stored
    once its ``runs`` row is). If any write fails, the shards already written here are deleted
    before the error is raised, so a failure never leaves detail rows without their runs rows
    (which the next sweep, rerunning those runs, would add to as orphan shards). A process killed
    between the writes can still leave such a shard; the next sweep's shard of the run supersedes
    it, and compaction merges it away.
    """
    order = [table for table in TABLES if table != "runs" and table in arrows]
    written: list[Path] = []
    try:
        for table in [*order, "runs"] if "runs" in arrows else order:
            path = write_shard(results, study, table, arrows[table])
            if path is not None:
                written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return [path.parent.name for path in written]


def _writer_alive(temporary: Path) -> bool:
    """Whether the process that wrote this temporary (``.<shard>.<pid>.tmp``) still runs here."""
    try:
        pid = int(temporary.name[:-len(TEMP_SUFFIX)].rsplit(".", 1)[1])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return pid != os.getpid()  # our own pid: left by an earlier process that had it


def clean_temporaries(results: str | os.PathLike, study: str | None = None) -> list[Path]:
    """Delete temporaries left by killed writers (call before a sweep starts writing).

    A temporary whose writer process is still alive (another sweep on this host) is left alone.
    """
    root = Path(results) if study is None else Path(results) / study
    if not root.is_dir():
        return []
    removed = []
    for path in root.rglob(f".*{TEMP_SUFFIX}"):
        if _writer_alive(path):
            continue
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:  # another cleaner got there first
            pass
    return removed


def unreadable_advice(path: Path) -> str:
    """What to do about an unreadable shard, and what will happen then."""
    table, study = path.parent.name, path.parent.parent.name
    if table == "runs":
        return "delete it and sweep again: the runs stored only in it will be rerun"
    return (f"delete it and run `python -m experiments sweep {study} --force` to store its runs' "
            f"{table} again (deleting it alone reruns nothing: their runs rows say they are done)")


@contextlib.contextmanager
def opened_shard(path: Path):
    """The shard's open file (one open: a compaction may delete the path meanwhile); inside,
    ``ShardVanished`` when it is gone and ``CorruptResults`` naming it when it is no Parquet."""
    try:
        with open(path, "rb") as handle:
            yield handle
    except FileNotFoundError as error:
        raise ShardVanished(path) from error
    except CorruptResults:
        raise
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ... for torn files
        raise CorruptResults(f"{path}: not a readable Parquet file ({type(error).__name__}: "
                             f"{error}); {unreadable_advice(path)}") from error


def check_run_ids(path: Path, names: list[str], rows_without: str | int = 0) -> None:
    """CorruptResults unless the shard has a ``run_id`` column and ``rows_without`` (a count,
    or "some") of its rows lack one is nothing."""
    if "run_id" not in names:
        raise CorruptResults(f"{path}: no 'run_id' column, so not a shard of the "
                             f"{path.parent.name} table (its columns: {', '.join(names)}); "
                             f"move it out of {path.parent}")
    if rows_without:
        raise CorruptResults(f"{path}: {rows_without} rows have no run_id; {unreadable_advice(path)}")


def conformed_columns(column_of: Callable, names: list[str], schema: pa.Schema, n_rows: int,
                      path: Path, defaults: bool = False) -> list:
    """The columns of ``schema`` from a shard's (``column_of(position)``, its column ``names``),
    cast where typed otherwise; a column it lacks is nulls, or with ``defaults`` (``runs``) the
    configuration field's default (runs stored before the field existed ran with it)."""
    # By position: looking a column up by name costs ~0.1 ms, which adds up over thousands of
    # shards of 50 columns.
    position = {name: i for i, name in enumerate(names)}
    arrays = []
    for field in schema:
        if field.name not in position:  # stored before the column existed
            value = fields.missing_value(field.name) if defaults else None
            arrays.append(pa.nulls(n_rows, field.type) if value is None
                          else pa.array([value] * n_rows, type=field.type))
            continue
        column = column_of(position[field.name])
        try:
            arrays.append(column if column.type == field.type else column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise CorruptResults(f"{path}: column {field.name!r} cannot be read as {field.type} "
                                 f"({error})") from error
    return arrays


def _read_shard(path: Path, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
    """One shard conformed to ``schema`` (``conformed_columns``), or CorruptResults; only
    ``columns`` (all of the schema by default)."""
    with opened_shard(path) as handle:
        parquet = pq.ParquetFile(handle)
        names = parquet.schema_arrow.names
        # Threads pay off only for large shards (a compacted one); a per-run shard is faster
        # without them, which matters when an interrupted sweep left thousands.
        table = parquet.read(columns=[n for n in (columns or schema.names) if n in names],
                             use_threads=os.fstat(handle.fileno()).st_size > 1 << 20)
    check_run_ids(path, names, table.column("run_id").null_count if "run_id" in names else 0)
    if columns:
        schema = pa.schema([schema.field(name) for name in columns])
    if table.schema.equals(schema):  # as this package writes it: nothing to conform
        return table
    return pa.Table.from_arrays(conformed_columns(table.column, table.schema.names, schema, table.num_rows,
                                                  path, path.parent.name == "runs"), schema=schema)


def read_arrow(results: str | os.PathLike, study: str, table: str,
               columns: list[str] | None = None) -> pa.Table:
    """The de-duplicated table as Arrow (see ``load``); only ``columns`` if given (``run_id``
    is always read)."""
    check_table(table)
    if columns is not None:
        columns = list(dict.fromkeys(["run_id", *columns]))
    for _ in range(READ_ATTEMPTS):
        paths = shard_paths(results, study, table)
        if not paths:
            raise MissingResults(f"no results for study {study!r}, table {table!r} in "
                                 f"{table_dir(results, study, table)}")
        try:
            parts = [_read_shard(path, SCHEMAS[table], columns) for path in paths]
            break
        except ShardVanished:
            continue  # replaced by a compaction: its rows are in the shard that replaced it
    else:
        raise CorruptResults(f"{table_dir(results, study, table)}: shards kept vanishing while "
                             f"being read ({READ_ATTEMPTS} attempts); is something deleting them?")
    combined = pa.concat_tables(parts)
    shard_of_row = np.repeat(np.arange(len(parts)), [part.num_rows for part in parts])
    keep = surviving_rows(combined.column("run_id").to_numpy(zero_copy_only=False), shard_of_row, table)
    return combined if keep.all() else combined.filter(pa.array(keep))


def surviving_rows(run_ids: np.ndarray, shard_of_row: np.ndarray, table: str) -> np.ndarray:
    """The de-duplication rule, as a bool mask over rows listed in shard order (``run_ids`` and
    ``shard_of_row``, both shape (rows,)): per run_id, the rows of the newest shard holding it,
    and for ``runs`` only the last of those. ``read_arrow`` and the compaction both apply it."""
    if len(run_ids) == 0:
        return np.zeros(0, dtype=bool)
    unique_ids, inverse = np.unique(np.asarray(run_ids, dtype=object), return_inverse=True)
    newest = np.full(len(unique_ids), -1, dtype=np.int64)
    np.maximum.at(newest, inverse, shard_of_row)
    keep = shard_of_row == newest[inverse]
    if table == "runs":
        # Within the newest shard a run has one row; if it had more, the last one wins.
        positions = np.arange(len(run_ids))
        last = np.full(len(unique_ids), -1, dtype=np.int64)
        np.maximum.at(last, inverse[keep], positions[keep])
        keep = np.zeros(len(run_ids), dtype=bool)
        keep[last[last >= 0]] = True
    return keep


def load(study: str, table: str = "runs", results: str | os.PathLike = "results"):
    """A study's table as one pandas DataFrame with the columns of docs/results-schema.md.

    Concatenates the shards in ``results/<study>/<table>/`` and de-duplicates by ``run_id``: for
    ``runs`` the newest row per run wins; for the other tables (``curves``, ``snapshots``,
    ``activations``) the rows of the newest shard holding the run. Raises ``MissingResults`` (a LookupError) when there are no shards and
    ``CorruptResults`` (a ValueError naming the file) when a shard cannot be read.
    """
    frame = read_arrow(results, study, table).to_pandas()
    return frame.reset_index(drop=True)


