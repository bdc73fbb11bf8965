"""A sweep: choose the runs still to do, dispatch them longest first, store results as they come.

Each finished run is written at once, as one shard per table, so a killed sweep loses only the
runs in flight; they are simply pending on the next sweep. ``NNSTUDY_FLUSH_SECONDS`` > 0 batches
the writes instead (one shard per table every that many seconds or ``FLUSH_RUNS`` runs), for
sweeps of very many tiny runs, at the price of losing up to that much finished work on a kill.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import provenance, store
from .cost_model import calibrated_estimates, estimate_seconds
from .spec import Run, Study
from .warmup import warm_compiled

# Seconds of finished work a killed sweep may lose; 0 writes every run as it arrives.
FLUSH_SECONDS = float(os.environ.get("NNSTUDY_FLUSH_SECONDS", "0"))
FLUSH_RUNS = 64
COMPACT_AT_SHARDS = 16  # compact a table once a sweep leaves more shards than this


# --- what is stored ------------------------------------------------------------------------------
@dataclass
class Stored:
    """Per run id, the stored status, the commit that produced it, its wall seconds and, for runs
    of a data file, the file's SHA-256; for runs of a plugin engine, (engine, its source's SHA-256)."""

    status: dict[str, str] = field(default_factory=dict)
    commit: dict[str, str] = field(default_factory=dict)
    wall_s: dict[str, float] = field(default_factory=dict)
    data_sha256: dict[str, str] = field(default_factory=dict)
    engine_source: dict[str, tuple[str, str]] = field(default_factory=dict)


def stored_runs(results: str | Path, study: str) -> Stored:
    """The newest stored row of every run of ``study`` (empty if nothing is stored)."""
    try:
        table = store.read_arrow(results, study, "runs",
                                 columns=["status", "git_commit", "wall_s", "dataset_options",
                                          "engine", "engine_source_sha256"])
    except store.MissingResults:
        return Stored()
    ids = table.column("run_id").to_pylist()
    data_sha256 = {}
    for run_id, options in zip(ids, table.column("dataset_options").to_pylist()):
        if options and '"sha256"' in options:
            data_sha256[run_id] = json.loads(options)["sha256"]
    engine_source = {run_id: (engine, sha256) for run_id, engine, sha256 in zip(
        ids, table.column("engine").to_pylist(), table.column("engine_source_sha256").to_pylist())
        if sha256}
    return Stored(dict(zip(ids, table.column("status").to_pylist())),
                  dict(zip(ids, table.column("git_commit").to_pylist())),
                  dict(zip(ids, table.column("wall_s").to_pylist())), data_sha256, engine_source)


def select(study: Study, stored: Stored, force: bool = False, retry_failed: bool = False) -> list[Run]:
    """Runs to execute: pending ones (never stored), plus failed ones with ``retry_failed``, or
    all with ``force``. ``diverged`` is a result (the same config diverges again) and is kept."""
    if force:
        return list(study.runs)
    wanted = {None, "failed"} if retry_failed else {None}
    return [run for run in study.runs if stored.status.get(run.run_id) in wanted]


@dataclass
class Counts:
    total: int
    ok: int
    diverged: int
    failed: int
    pending: int
    stale: int
    extra: int  # stored runs no longer in the spec (grid changed)
    stale_data: int = 0  # stored runs of an earlier version of the spec's data file
    unknown: int = 0  # stored runs whose staleness cannot be told (no git here, or no commit stored)


def is_stale(stored_commit: str | None, commit: str) -> bool | None:
    """Stored by another commit whose result-computing code (provenance.RESULT_CODE) differs
    from this checkout's; a commit that only touched docs or reports leaves results current.
    None (cannot tell) when either commit is unknown, e.g. where git cannot be run."""
    if provenance.UNKNOWN_COMMIT in (stored_commit or provenance.UNKNOWN_COMMIT, commit):
        return None
    return stored_commit != commit and provenance.results_code_changed(stored_commit)


def run_is_stale(stored: Stored, run_id: str, commit: str) -> bool | None:
    """``is_stale`` of the run's commit, or True when it ran a plugin engine whose module source
    has changed since (None: cannot tell)."""
    by_commit = is_stale(stored.commit[run_id], commit)
    engine, sha256 = stored.engine_source.get(run_id, (None, None))
    by_source = provenance.engine_source_changed(engine, sha256) if sha256 else False
    if by_commit or by_source:
        return True
    return None if None in (by_commit, by_source) else False


def counts(study: Study, stored: Stored, commit: str | None = None) -> Counts:
    """How many of the study's runs are done, failed, pending; ``stale``: stored by another commit."""
    ids = {run.run_id for run in study.runs}
    statuses = Counter(stored.status.get(run_id) for run_id in ids)
    commit = commit or provenance.code_version()["git_commit"]
    staleness = Counter(run_is_stale(stored, run_id, commit) for run_id in ids if run_id in stored.commit)
    current_data = {run.config["dataset_options"].get("sha256") for run in study.runs}
    others = set(stored.status) - ids
    stale_data = sum(1 for run_id in others if stored.data_sha256.get(run_id, None) not in
                     (None, *current_data))
    return Counts(total=len(ids), ok=statuses["ok"], diverged=statuses["diverged"],
                  failed=statuses["failed"], pending=statuses[None], stale=staleness[True],
                  extra=len(others) - stale_data, stale_data=stale_data, unknown=staleness[None])


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
        for table in store.DETAIL_TABLES:
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
                    store.compact(self.results, study, table)
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


def _longest_first(jobs: list[dict]) -> list[dict]:
    return sorted(jobs, key=lambda job: -estimate_seconds(job["config"]))


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
            if backend != "serial":  # compiled once here, not once per worker (experiments.warmup)
                outcome.warm_s += warm_compiled(jobs)
            for result in run_jobs(_longest_first(jobs), backend, n_workers, scheduler):
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
