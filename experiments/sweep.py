"""A sweep: choose the runs still to do, dispatch them longest first, store results as they come.

Each finished run is written at once, as one shard per table, so a killed sweep loses only the
runs in flight; they are simply pending on the next sweep. ``NNSTUDY_FLUSH_SECONDS`` > 0 batches
the writes instead (one shard per table every that many seconds or ``FLUSH_RUNS`` runs), for
sweeps of very many tiny runs, at the price of losing up to that much finished work on a kill.
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import compaction, provenance, schemas, store
from .cost_model import estimate_seconds
from .study import Run, Study
from .warmup import run_or_warm, warm_compiled, warm_jobs

# Seconds of finished work a killed sweep may lose; 0 writes every run as it arrives.
FLUSH_SECONDS = float(os.environ.get("NNSTUDY_FLUSH_SECONDS", "0"))
FLUSH_RUNS = 64
COMPACT_AT_SHARDS = 16  # compact a table once a sweep leaves more shards than this


# --- writing -------------------------------------------------------------------------------------
class Writer:
    """Buffers results per study and table; writes each buffer as one atomic shard.

    Rows are kept as plain Python until a flush, where each table becomes one Arrow table:
    converting per run would cost the parent (which shares the cores with the workers) ~2 ms a run.
    """

    def __init__(self, results: str | Path):
        self.results = results
        self.runs: dict[str, list[dict]] = {}
        self.columns: dict[tuple[str, str], list[dict]] = {}
        self.buffered_runs = 0
        self.last_flush = time.monotonic()
        self.touched: set[tuple[str, str]] = set()
        self.code = provenance.code_version()

    def add(self, result: dict) -> None:
        row = {**result["runs"], **self.code}
        self.runs.setdefault(row["study"], []).append(row)
        for table in schemas.DETAIL_TABLES:
            if result.get(table):
                self.columns.setdefault((row["study"], table), []).append(result[table])
        self.buffered_runs += 1
        if self.buffered_runs >= FLUSH_RUNS or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        # Taken out of the buffer first: after a failed write (store.UnwritableResults) the
        # caller's final flush does not try the same rows again.
        columns, runs = self.columns, self.runs
        self.runs, self.columns = {}, {}
        self.buffered_runs = 0
        self.last_flush = time.monotonic()
        for study, rows in runs.items():
            # Every table converted before any is written, then stored together (runs rows last,
            # undone on a failure): a run never keeps detail rows without its runs row.
            arrows = {table: store.to_arrow(table, {
                name: np.concatenate([np.asarray(part[name]) for part in parts]) for name in parts[0]})
                for (of_study, table), parts in columns.items() if of_study == study}
            arrows["runs"] = store.to_arrow("runs", rows)
            tables = store.write_runs_together(self.results, study, arrows)
            self.touched.update((study, table) for table in tables)

    def compact(self) -> None:
        for study, table in sorted(self.touched):
            if len(store.shard_paths(self.results, study, table)) > COMPACT_AT_SHARDS:
                try:
                    compaction.compact(self.results, study, table)
                except (store.CorruptResults, store.UnwritableResults) as error:
                    # The results are stored; only tidying them failed.
                    print(f"warning: not compacting {study}/{table}: {error}", file=sys.stderr)


# --- running -------------------------------------------------------------------------------------
@dataclass
class Outcome:
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # "study: run label: last error line"
    wall_s: float = 0.0
    warm_s: float = 0.0  # of wall_s: the compiled engine's kernels made before dispatch (experiments.warmup)


def _jobs(study: Study, runs: list[Run], backend: str, n_workers: int) -> list[dict]:
    return [{"config": run.config, "run_id": run.run_id, "study": study.name, "timing": study.timing,
             "backend": backend, "n_workers": n_workers} for run in runs]


def _dispatch_order(jobs: list[dict]) -> list[dict]:
    """Longest first, runs that need no compiled kernel before those that do (the worker done
    first with its part of the warm-up takes them while the other still compiles)."""
    return sorted(jobs, key=lambda job: (job["config"].get("engine") == "compiled",
                                         -estimate_seconds(job["config"])))


def _progress(total: int, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="run", disable=quiet or None, file=sys.stderr, dynamic_ncols=True)


def execute_batches(batches: list[tuple[list[dict], str, int]], results: str | Path,
                    scheduler: str | None = None, quiet: bool = False,
                    labels: dict[str, str] | None = None) -> Outcome:
    """Run each (jobs, backend, workers) batch and store every result; returns the tallies."""
    from .backends import run_jobs

    store.clean_temporaries(results)
    writer, outcome = Writer(results), Outcome()
    started = time.perf_counter()
    total = sum(len(jobs) for jobs, _, _ in batches)
    bar = _progress(total, quiet)
    try:
        for jobs, backend, n_workers in batches:
            # The compiled kernels made once, not once per worker (experiments.warmup): first in
            # the pool, with the runs that need none next; before a Dask sweep, here.
            warm = warm_jobs(jobs) if backend == "loky" else []
            if backend == "dask":
                outcome.warm_s += warm_compiled(jobs)
            warm_s = 0.0
            for result in run_jobs(warm + _dispatch_order(jobs), backend, n_workers, scheduler, task=run_or_warm):
                if "warm_s" in result:  # the parts run at once: the longest is the warm-up's time
                    warm_s = max(warm_s, result["warm_s"])
                    continue
                writer.add(result)
                row = result["runs"]
                outcome.statuses[row["status"]] += 1
                if row["status"] == "failed":
                    last_line = (row["error"] or "").strip().splitlines()[-1:] or [""]
                    label = (labels or {}).get(row["run_id"], row["run_id"][:12])
                    outcome.failures.append(f"{row['study']}: {label}: {last_line[0]}")
                bar.update(1)
                bar.set_postfix(ok=outcome.statuses["ok"], diverged=outcome.statuses["diverged"],
                                failed=outcome.statuses["failed"], refresh=False)
            outcome.warm_s += warm_s
    finally:
        writer.flush()
        bar.close()
    writer.compact()
    outcome.wall_s = time.perf_counter() - started
    return outcome


def plan_batches(studies: list[tuple[Study, list[Run]]], backend: str, jobs: int | None,
                 default_workers: int) -> list[tuple[list[dict], str, int]]:
    """Group runs into batches: non-timing studies share one pool (so the longest runs of all
    studies go first); ``timing`` studies run one job at a time unless ``jobs`` says otherwise."""
    shared_workers = 1 if backend == "serial" else jobs or default_workers
    timing_workers = 1 if backend == "serial" else jobs or 1
    shared, batches = [], []
    for study, runs in studies:
        if not runs:
            continue
        if study.timing:
            workers = timing_workers
            kind = "serial" if workers == 1 and backend == "loky" else backend
            batches.append((_jobs(study, runs, kind, workers), kind, workers))
        else:
            kind = "serial" if shared_workers == 1 and backend == "loky" else backend
            shared.extend(_jobs(study, runs, kind, shared_workers))
    if shared:
        batches.insert(0, (shared, shared[0]["backend"], shared[0]["n_workers"]))
    return batches
