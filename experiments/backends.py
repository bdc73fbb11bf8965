"""Where runs execute: in this process (serial), in local processes (loky) or on Dask (dask).

Every backend takes a list of jobs (small dicts: a run configuration and its id), already sorted
longest first, and yields ``run.execute`` results as they finish. ``execute`` catches exceptions
inside the task, so joblib never aborts the whole call on a failing run; if a worker process dies
anyway (``TerminatedWorkerError``, e.g. killed by the OOM killer), the runs that did not come back
are resubmitted, up to ``MAX_ATTEMPTS`` times, and then reported as failed.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from .run import execute

BACKENDS = ("loky", "dask", "serial")
MAX_ATTEMPTS = 3


class BackendError(RuntimeError):
    """The backend itself failed, not a run: a Dask scheduler unreachable, lost or without
    workers. The message is one line saying what was lost."""


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _failed(job: dict, message: str) -> dict:
    """A ``failed`` result for a run whose worker died, built without running it."""
    from datetime import datetime, timezone

    from . import provenance
    from .run import config_columns

    now = datetime.now(timezone.utc)
    row = {"run_id": job["run_id"], "study": job["study"], "status": "failed", "error": message,
           **config_columns(job["config"]), "metrics": "{}", "started_at": now, "ended_at": now,
           "backend": job.get("backend"), "n_workers": job.get("n_workers"), **provenance.machine()}
    return {"run_id": job["run_id"], "runs": row, "curves": {}, "snapshots": {}}


@contextmanager
def _dask_client(scheduler: str | None, n_workers: int):
    """A client of the cluster at ``scheduler``, or of a LocalCluster on loopback started here."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # Worker processes with one thread each: the same isolation as loky, and no dashboard port.
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def dask_worker_count(client) -> int:
    return len(client.scheduler_info().get("workers", {})) or 1


def _run_joblib(jobs: list[dict], backend: str, n_workers: int, task=execute) -> Iterator[dict]:
    """Dispatch ``task(job)`` for ``jobs`` through joblib (loky or dask), resubmitting the runs
    that did not come back after a dead worker."""
    from joblib import Parallel, delayed, parallel_config
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    pending = {job["run_id"]: job for job in jobs}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        order = [job for job in jobs if job["run_id"] in pending]  # keep longest-first order
        try:
            # inner_max_num_threads=1: loky alone would give each worker cores // workers threads.
            # (joblib's dask backend does not take it; there, as everywhere, execute() itself
            # pins BLAS to one thread with threadpoolctl.)
            limits = {"inner_max_num_threads": 1} if backend == "loky" else {}
            with parallel_config(backend=backend, n_jobs=n_workers, **limits):
                # batch_size=1: runs are long enough, and the longest-first order is kept exactly.
                parallel = Parallel(return_as="generator_unordered", batch_size=1,
                                    pre_dispatch="n_jobs")
                for result in parallel(delayed(task)(job) for job in order):
                    pending.pop(result["run_id"], None)
                    yield result
            return
        except TerminatedWorkerError as error:
            if attempt == MAX_ATTEMPTS:
                message = (f"a worker process died {MAX_ATTEMPTS} times while this run was pending "
                           f"(last: {error}); not retried further")
                for job in pending.values():
                    yield _failed(job, message)
                return


def run_jobs(jobs: list[dict], backend: str = "loky", n_workers: int = 1,
             scheduler: str | None = None, task=execute) -> Iterator[dict]:
    """Yield ``task(job)`` (``run.execute``; tests substitute their own) for every job, in
    completion order."""
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is not one of {', '.join(BACKENDS)}")
    if not jobs:
        return
    if backend == "serial":
        yield from map(task, jobs)
    elif backend == "loky":
        yield from _run_joblib(jobs, "loky", n_workers, task)
    else:
        with _dask_client(scheduler, n_workers) as client:
            workers = dask_worker_count(client)
            for job in jobs:  # provenance: the cluster's real size
                job["n_workers"] = workers
            yield from _run_joblib(jobs, "dask", -1, task)
