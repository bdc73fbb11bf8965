"""Study sections drawn side by side in worker processes.

Drawing figures is most of a report's build, and one study's figures need nothing of another's, so
with ``jobs`` > 1 each study whose figures must be drawn has its section built in a worker process
(``_run``); a study whose figures all come from the figure cache is built here (starting a worker
would cost more than copying them). A worker gets the study's tables, its section parts and a copy
of the figure cache; it returns the section, its provenance rows, its messages and the figures it
stamped, which are merged here in the studies' order: the page, the messages and the figure files
are those of a build in one process (tested).
"""
from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from experiments.backends import default_workers

from .data import Messages, StudyResults
from .figure_cache import FigureCache, study_stamp
from .sections import Section, SectionBuilder


def default_jobs(n_studies: int) -> int:
    """One worker per core the process may use (as a sweep has), never more than there are studies."""
    return max(1, min(default_workers(), n_studies))


def _in_worker(build_one: Callable, study: StudyResults, out: Path, specials: list,
               cache: FigureCache | None) -> tuple[Section, list[dict], Messages, dict, int]:
    """``build_one(study, out, messages, specials, cache)`` with messages and stamps of its own."""
    messages = Messages()
    before = dict(cache.stamps) if cache is not None else {}
    builder = build_one(study, out, messages, specials, cache)
    stamps = {name: entry for name, entry in cache.stamps.items() if before.get(name) is not entry} \
        if cache is not None else {}
    return builder.section, builder.provenance, messages, stamps, cache.copied if cache is not None else 0


def build_sections(build_one: Callable[..., SectionBuilder], studies: list[StudyResults],
                   specials: list[list], out: Path, messages: Messages,
                   cache: FigureCache | None, jobs: int = 1) -> list[tuple[Section, list[dict]]]:
    """(section, provenance rows) of each study, built by ``build_one`` (``reports.build.
    build_section``) in this process (``jobs`` 1) or in up to ``jobs`` worker processes."""
    drawn = [i for i, study in enumerate(studies) if not _all_copied(study, cache)]
    if jobs <= 1 or len(drawn) <= 1:  # one study to draw, or none: no worker is worth its start
        built = [build_one(study, out, messages, parts, cache) for study, parts in zip(studies, specials)]
        return [(builder.section, builder.provenance) for builder in built]
    copied = cache.copied if cache is not None else 0
    tasks = [(build_one, studies[i], out, specials[i], cache) for i in drawn]
    results = dict(zip(drawn, _run(tasks, min(jobs, len(drawn)))))
    built = []
    for i, (study, parts) in enumerate(zip(studies, specials)):
        if i not in results:  # copied here, in order, with its messages
            builder = build_one(study, out, messages, parts, cache)
            built.append((builder.section, builder.provenance))
            continue
        section, provenance, worker_messages, stamps, worker_copied = results[i]
        messages.lines.extend(worker_messages.lines)
        messages.said |= worker_messages.said
        if cache is not None:
            cache.stamps.update(stamps)
            cache.copied += worker_copied - copied
        built.append((section, provenance))
    return built


_TASKS: list[tuple] = []  # a forked worker's tasks, inherited from this process
# Libraries whose threads do not survive a fork (JAX says so; torch's OpenMP pool hangs in a forked
# child that uses it). NumPy's BLAS, Arrow and jemalloc, which a build has loaded, re-arm theirs.
FORK_UNSAFE = ("jax", "torch", "tensorflow")


def can_fork() -> bool:
    """Whether the section workers may be forked from this process: on Linux, with none of
    ``FORK_UNSAFE`` loaded (a plugin engine can bring one in)."""
    return sys.platform.startswith("linux") and not any(name in sys.modules for name in FORK_UNSAFE)


def _run(tasks: list[tuple], workers: int) -> list[tuple]:
    """``_in_worker(*task)`` of each task in ``workers`` processes, in the tasks' order.

    On Linux the workers are forked from this process, which holds the studies' tables and the
    plotting libraries already: a worker starts in milliseconds, without importing them again
    (about 2 s each) or receiving the tables, and a fresh report's build takes about 3 s less
    (``python -m benchmarks.probes.report_build``). A worker that dies stops the build with
    ``BrokenProcessPool``, never a hang. Elsewhere (``can_fork`` False), joblib's loky."""
    if not can_fork():
        from joblib import Parallel, delayed

        return Parallel(n_jobs=workers, backend="loky")(delayed(_in_worker)(*task) for task in tasks)
    global _TASKS
    _TASKS = tasks
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_forked_task, range(len(tasks))))
    finally:
        _TASKS = []


def _forked_task(index: int) -> tuple:
    return _in_worker(*_TASKS[index])


def _all_copied(study: StudyResults, cache: FigureCache | None) -> bool:
    return cache is not None and cache.all_copied(study.name, study_stamp(study))
