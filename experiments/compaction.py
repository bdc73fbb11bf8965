"""Compaction: a table's shards merged into one de-duplicated shard, in bounded memory.

Two passes over the shards, one shard open at a time. The first reads each shard's schema and
``run_id`` column and decides which rows survive de-duplication (the newest row per run for
``runs``, the rows of the newest shard holding the run for the other tables, as ``store.load``
reads them). The second streams the surviving rows into a ``ParquetWriter`` in row groups of
``ROW_GROUP_ROWS``, so memory stays that of one row group plus one run id per run, whatever the
number of shards (the whole table in memory at once used ~79 KB per runs shard: ~8 GB at 10^5).

The merged shard has the union of the shards' columns: this package's schema first, then any
column it does not know (written by a newer version sharing the results folder), so compacting
never drops data. It is written to a temporary name, moved into place, and only then are the
shards it merged deleted: a kill at any moment loses nothing (readers drop the duplicates).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import schemas, store

# Rows per row group of a compacted shard (Arrow's batches of one per-run shard are one row for
# ``runs``, ~31 for ``curves``: they are gathered to this many before being written).
ROW_GROUP_ROWS = 65_536
# Batches are combined into one this many at a time (see ``_RowGroups``).
COMBINE_BATCHES = 32


def compact(results: str | os.PathLike, study: str, table: str) -> Path | None:
    """Rewrite ``results/<study>/<table>``'s shards as one de-duplicated shard; returns its path
    (None if there is no shard). Raises ``store.CorruptResults`` naming an unreadable shard, or
    two shards whose unknown column has types that cannot be merged, and
    ``store.UnwritableResults`` naming the folder."""
    store.check_table(table)
    for _ in range(store.READ_ATTEMPTS):
        paths = store.shard_paths(results, study, table)
        if len(paths) <= 1:
            return paths[0] if paths else None
        try:
            return _compact_shards(paths, table)
        except store.ShardVanished:
            continue  # another compaction merged some of them: list again
    raise store.CorruptResults(f"{store.table_dir(results, study, table)}: shards kept vanishing "
                               f"while being compacted ({store.READ_ATTEMPTS} attempts)")


def _compact_shards(paths: list[Path], table: str) -> Path:
    schema, keep = _plan(paths, table)
    # Named after the newest shard it replaces ('~' sorts after '.'), not after the clock: a shard
    # another sweep writes meanwhile stays newer than the compacted data.
    target = paths[-1].with_name(f"{paths[-1].stem}~compacted.parquet")

    def write(temporary: Path) -> None:
        with pq.ParquetWriter(temporary, schema) as writer:
            buffer = _RowGroups(writer)
            for index, path in enumerate(paths):
                if index not in keep:
                    continue  # every row of it is superseded
                survivors, first_row = _selector(keep[index]), 0
                for batch in _batches(path, schema):
                    buffer.add(batch if survivors is None else _filter(batch, survivors, first_row))
                    first_row += batch.num_rows
            buffer.flush()

    store.write_atomic(target, write)
    for path in paths:
        path.unlink(missing_ok=True)
    return target


# --- pass 1: the merged schema and the rows that survive -------------------------------------------
def _plan(paths: list[Path], table: str) -> tuple[pa.Schema, dict[int, set | None]]:
    """The union schema and, per shard index with surviving rows, what survives: the set of its
    run ids (detail tables: all their rows) or its row positions (``runs``: one row per run), or
    None when all of its rows do."""
    known = schemas.SCHEMAS[table]
    extra: dict[str, tuple[pa.DataType, Path]] = {}
    ids_per_shard = []  # per shard: its run ids by row (runs) or its distinct run ids (the others)
    for path in paths:
        fields, run_ids = _schema_and_run_ids(path)
        ids_per_shard.append(run_ids)
        for field in fields:
            if field.name in known.names:
                continue
            seen = extra.setdefault(field.name, (field.type, path))
            if seen[0] != field.type and not _castable(field.type, seen[0]):
                raise store.CorruptResults(
                    f"{path}: column {field.name!r} is {field.type} there but {seen[0]} in "
                    f"{seen[1]}, so these shards cannot be compacted into one; move one of them "
                    f"out of {path.parent}")
    schema = pa.schema([*known, *(pa.field(name, kind) for name, (kind, _) in extra.items())])
    sizes = [len(run_ids) for run_ids in ids_per_shard]
    survives = store.surviving_rows(np.array([i for ids in ids_per_shard for i in ids], dtype=object),
                                    np.repeat(np.arange(len(paths)), sizes), table)
    keep: dict[int, set | None] = {}
    for index, (run_ids, rows) in enumerate(zip(ids_per_shard, np.split(survives, np.cumsum(sizes)[:-1]))):
        if rows.all() and len(rows):
            keep[index] = None  # every row of the shard survives (the common case): no filtering
        elif rows.any():
            kept = np.flatnonzero(rows)
            keep[index] = set(kept.tolist()) if table == "runs" else {run_ids[i] for i in kept}
    return schema, keep


def _castable(source: pa.DataType, target: pa.DataType) -> bool:
    try:
        pa.array([], source).cast(target)
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False


def _schema_and_run_ids(path: Path) -> tuple[pa.Schema, list[str]]:
    """A shard's Arrow schema and its run ids in row order, checked as ``store`` reads them."""
    with store.opened_shard(path) as handle:
        parquet = pq.ParquetFile(handle)
        schema = parquet.schema_arrow
        run_ids = _read_run_ids(parquet, path.parent.name) if "run_id" in schema.names else []
    store.check_run_ids(path, schema.names, "some" if None in run_ids else 0)
    return schema, run_ids


def _read_run_ids(parquet: pq.ParquetFile, table: str) -> list:
    """The shard's run ids in row order (``runs``), or its distinct run ids (the other tables:
    only which runs it holds matters), read a row group's worth at a time (a compacted curves
    shard of 10^5 runs holds 3 million)."""
    batches = parquet.iter_batches(batch_size=ROW_GROUP_ROWS, columns=["run_id"], use_threads=False)
    if table == "runs":
        return [run_id for batch in batches for run_id in batch.column(0).to_pylist()]
    distinct: dict = {}  # ordered, unlike a set
    for batch in batches:
        distinct.update(dict.fromkeys(pc.unique(batch.column(0)).to_pylist()))
    return list(distinct)


# --- pass 2: stream the surviving rows ------------------------------------------------------------
def _batches(path: Path, schema: pa.Schema):
    """A shard's rows as record batches of ``schema`` (columns it lacks become nulls)."""
    with store.opened_shard(path) as handle:
        parquet = pq.ParquetFile(handle)
        names = parquet.schema_arrow.names
        for batch in parquet.iter_batches(batch_size=ROW_GROUP_ROWS, use_threads=False):
            yield batch if batch.schema.equals(schema) else pa.RecordBatch.from_arrays(
                store.conformed_columns(batch.column, names, schema, batch.num_rows, path), schema=schema)


def _selector(keep: set | None) -> pa.Array | np.ndarray | None:
    """A shard's surviving run ids as an Arrow array (detail tables), or its surviving row
    positions as a NumPy array (``runs``); None if all of its rows survive."""
    if keep is None:
        return None
    if isinstance(next(iter(keep)), str):
        return pa.array(sorted(keep), pa.string())
    return np.fromiter(keep, np.int64, len(keep))


def _filter(batch: pa.RecordBatch, survivors: pa.Array | np.ndarray, first_row: int) -> pa.RecordBatch:
    """The rows of ``batch`` (rows ``first_row``, ... of its shard) that survive."""
    if isinstance(survivors, pa.Array):
        mask = pc.is_in(batch.column("run_id"), value_set=survivors)
    else:
        mask = pa.array(np.isin(np.arange(first_row, first_row + batch.num_rows), survivors))
    if pc.all(mask).as_py():
        return batch
    return batch.filter(mask)


class _RowGroups:
    """Gathers small record batches into row groups of ``ROW_GROUP_ROWS`` rows for ``writer``.

    An Arrow batch costs ~56 KB beyond its data for the 55 columns of ``runs`` (an array object
    per column), so 65,536 batches of one row each would hold ~3.5 GB. Batches are combined
    ``COMBINE_BATCHES`` at a time, and the combined ones again, as a counter carries: at most
    ``COMBINE_BATCHES`` batches per level, and few levels.
    """

    def __init__(self, writer: pq.ParquetWriter):
        self.writer = writer
        self.levels: list[list[pa.RecordBatch]] = []  # levels[k]: batches of up to 32**k inputs
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self.rows += batch.num_rows
        carry = batch
        for level in self.levels:
            level.append(carry)
            if len(level) < COMBINE_BATCHES:
                break
            carry = _combine(level)
            level.clear()
        else:
            self.levels.append([carry])
        if self.rows >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        # The highest level holds the oldest rows: written first, the shards' order is kept.
        batches = [batch for level in reversed(self.levels) for batch in level]
        if batches:
            self.writer.write_table(pa.Table.from_batches(batches).combine_chunks(),
                                    row_group_size=ROW_GROUP_ROWS)
        self.levels, self.rows = [], 0


def _combine(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
