"""Where runs execute: in this process (serial), in local processes (loky) or on Dask (dask).

Every backend takes a list of jobs (small dicts: a run configuration and its id), already sorted
longest first, and yields ``run.execute`` results as they finish. ``execute`` catches exceptions
inside the task, so a failing run never aborts the others; if a loky worker process dies anyway
(``TerminatedWorkerError``, e.g. killed by the OOM killer), the runs that did not come back are
resubmitted, up to ``MAX_ATTEMPTS`` times, and then reported as failed (Dask does the same itself).
A Dask cluster that cannot be reached, is lost or has no workers raises ``BackendError``.
"""
from __future__ import annotations

import logging
import os
import signal
from contextlib import contextmanager
from typing import Iterator

from .run import execute, failed_result

BACKENDS = ("loky", "dask", "serial")
MAX_ATTEMPTS = 3


# An unreachable or lost scheduler is reported after this many seconds (Dask's default: 30).
DASK_CONNECT_S = 5.0
# How long a joined cluster may take to show its first worker.
DASK_FIRST_WORKER_S = 10.0


class BackendError(RuntimeError):
    """The backend itself failed, not a run: a Dask scheduler unreachable, lost or without
    workers. The message is one line saying what was lost."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (``kill``, a cluster scheduler, CI). A KeyboardInterrupt, so that joblib's
    loky and Dask stop their workers exactly as on Ctrl-C; the command line tells them apart."""


@contextmanager
def _handling(signum, handler):
    """``handler`` for ``signum`` in this block; nothing outside the main thread, which alone
    may set signal handlers."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)


def sigterm_as_interrupt():
    """In this block SIGTERM raises ``Terminated`` in the main thread instead of ending the
    process at once, which would leave the loky workers and loky's resource tracker running,
    reparented to init, until loky's idle timeout."""
    def terminate(signum, frame):
        raise Terminated()
    return _handling(signal.SIGTERM, terminate)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


@contextmanager
def _quiet_dask_logs():
    """Dask logs a lost connection as several tracebacks; the sweep reports it in one line."""
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)  # this package does not log; Dask's loggers set their own levels
    try:
        yield
    finally:
        logging.disable(previous)


def _children_ignore_ctrl_c():
    """Processes started in this block ignore SIGINT (an ignored signal stays ignored in a child).

    Ctrl-C reaches the whole process group; the sweep alone should handle it (close the cluster,
    print one line), not every worker process with its own traceback.
    """
    return _handling(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _dask_client(scheduler: str | None, n_workers: int):
    """A client of the cluster at ``scheduler``, or of a LocalCluster on loopback started here;
    ``BackendError`` when the scheduler cannot be reached or has no workers."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_S)
        except Exception as error:  # OSError, TimeoutError, ValueError for a malformed address
            raise BackendError(f"cannot reach the Dask scheduler at {scheduler} within "
                               f"{DASK_CONNECT_S:g} s ({_first_line(error)})") from None
        with client:
            try:
                client.wait_for_workers(1, timeout=DASK_FIRST_WORKER_S)
            except TimeoutError:
                raise BackendError(f"the Dask scheduler at {scheduler} has no workers (none "
                                   f"joined within {DASK_FIRST_WORKER_S:g} s; start them with "
                                   f"`dask worker {scheduler}`)") from None
            yield client
        return
    # Worker processes with one thread each: the same isolation as loky. No dashboard, and the
    # scheduler's own HTTP routes on a free loopback port (its default 8787 may be taken).
    with _children_ignore_ctrl_c():
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               scheduler_kwargs={"dashboard": False},
                               silence_logs=logging.CRITICAL)  # also the workers' warnings
    with cluster, Client(cluster) as client:
        yield client


def dask_worker_count(client) -> int:
    return len(client.scheduler_info().get("workers", {})) or 1


def _run_dask(jobs: list[dict], client, task=execute) -> Iterator[dict]:
    """Submit ``task(job)`` for every job to the cluster, longest first (as priorities), and
    yield the results as they finish.

    Dask itself resubmits the runs of a worker that dies; a run whose workers died
    ``distributed.scheduler.allowed-failures`` times comes back as failed. (Not through joblib's
    Dask backend: on a cluster of one worker thread, joblib runs everything in this process.)
    """
    from dask.distributed import KilledWorker, as_completed

    futures = {client.submit(task, job, priority=len(jobs) - i, pure=False): job
               for i, job in enumerate(jobs)}
    for future in as_completed(futures):
        try:
            result = future.result()
        except KilledWorker as error:
            result = failed_result(futures[future], f"the Dask workers running this run died ({error}); "
                                              "not retried further")
        future.release()  # the worker may drop the result now
        yield result


def _close_quietly(outputs) -> None:
    """Close joblib's result generator now, which kills the loky workers, without its warning
    about results not collected: those runs are pending on the next sweep, which is what the
    interrupted sweep's one line says."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs.close()


def _run_loky(jobs: list[dict], n_workers: int, task=execute) -> Iterator[dict]:
    """Dispatch ``task(job)`` for ``jobs`` through joblib's loky, resubmitting the runs that did
    not come back after a dead worker."""
    from joblib import Parallel, delayed, parallel_config
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    pending = {job["run_id"]: job for job in jobs}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        order = [job for job in jobs if job["run_id"] in pending]  # keep longest-first order
        try:
            # inner_max_num_threads=1: loky alone would give each worker cores // workers threads.
            with parallel_config(backend="loky", n_jobs=n_workers, inner_max_num_threads=1):
                # batch_size=1: runs are long enough, and the longest-first order is kept exactly.
                parallel = Parallel(return_as="generator_unordered", batch_size=1,
                                    pre_dispatch="n_jobs")
                outputs = parallel(delayed(task)(job) for job in order)
                try:
                    for result in outputs:
                        pending.pop(result["run_id"], None)
                        yield result
                # Ctrl-C or SIGTERM (Terminated) here, or in the caller storing a result (which
                # closes this generator).
                except (KeyboardInterrupt, GeneratorExit):
                    _close_quietly(outputs)
                    raise
            return
        except TerminatedWorkerError as error:
            if attempt == MAX_ATTEMPTS:
                message = (f"a worker process died {MAX_ATTEMPTS} times while this run was pending "
                           f"(last: {error}); not retried further")
                for job in pending.values():
                    if "study" in job:  # a run; not a warm-up part (experiments.warmup)
                        yield failed_result(job, message)
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
        yield from _run_loky(jobs, n_workers, task)
    else:
        with _quiet_dask_logs(), _dask_client(scheduler, n_workers) as client:
            workers = dask_worker_count(client)
            for job in jobs:  # provenance: the cluster's real size
                job["n_workers"] = workers
            try:
                yield from _run_dask(jobs, client, task)
            except Exception as error:  # run.execute catches the runs' own errors: this is Dask's
                from concurrent.futures import CancelledError

                where = f"the Dask scheduler at {scheduler}" if scheduler else "the local Dask cluster"
                lost = (client.status != "running"
                        or isinstance(error, (CancelledError, OSError, TimeoutError)))
                raise BackendError(f"{'lost ' + where if lost else where + ' failed'} "
                                   f"({_first_line(error)})") from None
