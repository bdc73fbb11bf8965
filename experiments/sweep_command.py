"""The ``sweep`` command: both stages of a searched study, the rounds of a ``[resolve]`` study, the
runs still to do, dispatched and stored, and what happened reported in a few lines."""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import nndata

from . import catalog, progress, store, sweep
from .backends import BackendError, default_workers
from .config import SpecError
from .cost_model import format_seconds
from .stopping import EXIT_FAILED_RUNS, EXIT_OK, EXIT_USAGE
from .lock import study_locks
from .plugin_engines import make_engines
from .resolve.rounds import with_rounds
from .search.study import no_winner_lines, stage_two
from .store import CorruptResults, UnwritableResults
from .study import Study


def cmd_sweep(args) -> int:
    """``sweep``: the named studies (every default one if none), resumed where they stopped."""
    if args.scheduler and args.backend != "dask":
        raise SpecError("--scheduler: only with --backend dask")
    if args.missing_only and args.studies:
        raise SpecError("--missing-only runs the default studies; give no study names with it")
    studies = catalog.load_studies(args.studies, args.quick, args.max_runs)
    make_engines(studies)  # where the modules the specs name run: before anything else does
    # Held from choosing the runs to do until they are stored, both stages of a searched study
    # included: one sweep per study at a time.
    with study_locks(args.results, [study.name for study in studies], wait=args.wait):
        code = _sweep_studies(args, [_with_retrains(study, args.results) for study in studies])
        searched = [study for study in studies if study.search is not None]
        if searched and code != EXIT_USAGE:
            code = max(code, _sweep_retrains(args, searched))
        resolving = [study for study in studies if study.resolve is not None]
        if resolving and code != EXIT_USAGE:
            code = max(code, _sweep_rounds(args, resolving))
        return code


# --- searched studies: the second stage ([search]) ----------------------------------------------
def _with_retrains(study: Study, results: str) -> Study:
    """A searched study with the retrains its stored trials already call for, a ``[resolve]``
    study with the runs its rounds so far call for (a resumed sweep runs them alongside the
    missing ones); unchanged when neither or unreadable (the sweep then reports the shard)."""
    try:
        return with_rounds(study, results)[0]
    except CorruptResults:
        return study


def _sweep_rounds(args, resolving: list[Study]) -> int:
    """``[resolve]`` studies: while a study's replayed rounds call for runs not stored yet (seeds
    added to the grid points of comparisons still open), run them. Never forced again."""
    again = argparse.Namespace(**{**vars(args), "force": False, "retry_failed": False})
    code = EXIT_OK
    while True:
        todo, notes = [], []
        for study in resolving:
            try:
                full, replay = with_rounds(study, args.results)
                missing = progress.select(full, progress.stored_runs(args.results, study.name))
            except CorruptResults:
                continue
            if missing:
                todo.append(full)
                notes.append(f"{study.name} round {replay.round + 1} ({len(replay.open)} of "
                             f"{len(replay.outcomes)} comparisons open)")
        if not todo:
            return code
        print(f"resolve: adding seeds: {'; '.join(notes)}", file=sys.stderr)
        code = max(code, _sweep_studies(again, todo))
        if code == EXIT_USAGE:
            return code


def _sweep_retrains(args, searched: list[Study]) -> int:
    """Stage 2, after the trials: the retrains of the winners the trials just stored, if any is
    still to run (those known before this sweep ran with the trials). Never forced again: a
    ``--force`` sweep reran the known ones in stage 1."""
    todo, unreadable = [], []
    for study in searched:
        try:
            retrain, outcome = stage_two(study.search, args.results, study.name)
            stored = progress.stored_runs(args.results, study.name)
        except CorruptResults as error:  # as every other path: named, exit 2
            unreadable.append(f"{study.name} retrains not run: {error}")
            continue
        for line in no_winner_lines(study.name, study.search, outcome):
            print(line, file=sys.stderr)
        if progress.select(replace(study, runs=retrain), stored):
            todo.append(replace(study, runs=retrain))
    if not todo:
        return _report_unreadable(unreadable, args.missing_only)
    print(f"stage 2 (after the trials): retraining the winners of "
          f"{', '.join(study.name for study in todo)} on their other seeds", file=sys.stderr)
    again = argparse.Namespace(**{**vars(args), "force": False, "retry_failed": False})
    code = _sweep_studies(again, todo)
    return max(code, _report_unreadable(unreadable, args.missing_only))


def _sweep_studies(args, studies: list[Study]) -> int:
    """Run the runs of these studies still to do and store them (one pass of ``sweep``)."""
    todo, unreadable = [], []
    for study in studies:
        try:
            stored = progress.stored_runs(args.results, study.name)
        except CorruptResults as error:  # the other studies still run; this one is reported
            unreadable.append(f"{study.name} not run: {error}")
            continue
        todo.append((study, progress.select(study, stored, args.force, args.retry_failed)))
    for study, runs in todo:  # a bad cell in a data file stops the sweep before any run
        try:
            nndata.check_readable(run.config for run in runs)
        except ValueError as error:
            raise SpecError(f"{study.path}: dataset_options: {error}") from None
    n_runs = sum(len(runs) for _, runs in todo)
    quiet = args.quiet or args.missing_only
    if n_runs == 0:
        if not args.missing_only and todo:
            print(f"nothing to run: all {sum(len(s.runs) for s, _ in todo)} runs of "
                  f"{', '.join(s.name for s, _ in todo)} are stored in {args.results}/ "
                  "(--force reruns them, --retry-failed reruns failed ones)")
        return _report_unreadable(unreadable, args.missing_only)
    store.check_writable(args.results)
    workers = default_workers()
    backend = args.backend
    batches = sweep.plan_batches(todo, backend, args.jobs, workers)
    labels = {run.run_id: run.label() for study, runs in todo for run in runs}
    print(f"running {n_runs} runs of {', '.join(f'{s.name} ({len(r)})' for s, r in todo if r)} "
          f"into {args.results}/", file=sys.stderr)
    try:
        outcome = sweep.execute_batches(batches, args.results, args.scheduler, quiet, labels)
    except (UnwritableResults, BackendError) as error:
        print(f"error: {error}; {_stored_of([s for s, _ in todo], args.results)} are stored in "
              f"{args.results}/; rerun to resume", file=sys.stderr)
        return EXIT_USAGE
    tally = ", ".join(f"{n} {status}" for status, n in sorted(outcome.statuses.items()))
    warm = (f" (of which {format_seconds(outcome.warm_s)} making the compiled kernels)"
            if outcome.warm_s >= 1 else "")
    print(f"done in {format_seconds(outcome.wall_s)}{warm}: {tally}", file=sys.stderr)
    for line in outcome.failures[:20]:
        print(f"  failed: {line}", file=sys.stderr)
    if len(outcome.failures) > 20:
        print(f"  ... and {len(outcome.failures) - 20} more (see `status` and the runs table's "
              "error column)", file=sys.stderr)
    if unreadable:
        return _report_unreadable(unreadable, args.missing_only)
    if outcome.failures and not args.missing_only:
        return EXIT_FAILED_RUNS
    return EXIT_OK


def _report_unreadable(errors: list[str], missing_only: bool) -> int:
    """Print the studies a sweep left out for an unreadable shard, last, so they are seen; exit
    2, except for ``--missing-only`` (``make report`` goes on, and the report names the file)."""
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_USAGE if errors and not missing_only else EXIT_OK


def _stored_of(studies: list[Study], results: str) -> str:
    """``12 of 40 runs``: how many runs of these studies are stored."""
    stored = total = 0
    for study in studies:
        try:
            ids = progress.stored_runs(results, study.name).status
        except (CorruptResults, OSError):
            ids = {}
        stored += sum(run.run_id in ids for run in study.runs)
        total += len(study.runs)
    return f"{stored} of {total} runs"
