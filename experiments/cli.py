"""Command line: ``python -m experiments {sweep,plan,list,status,compact}``.

Exit status: 0 when everything asked for ran (diverged runs are results), 1 when some run
failed, 2 for a bad spec, bad arguments, an unreadable or unwritable results folder or a lost
backend (one line saying what; nothing stored is damaged) or a study another sweep is sweeping,
130 when interrupted (Ctrl-C), 143 when terminated (SIGTERM).
"""
from __future__ import annotations

import argparse
import sys

import nndata

from . import catalog
from . import spec as specs
from .cost_model import format_seconds, sweep_seconds, total_runs, unknown_runs_seconds
from .store import CorruptResults, UnwritableResults
from .parser import build_parser
from .spec import SpecError
from .stopping import EXIT_INTERRUPTED, EXIT_TERMINATED, LEFT_BEHIND, stoppable  # noqa: F401

EXIT_OK, EXIT_FAILED_RUNS, EXIT_USAGE = 0, 1, 2


def _load(names: list[str], quick: bool, max_runs: int) -> list[specs.Study]:
    """Every named study (all default ones if none), all validated before anything runs."""
    if not names:
        return catalog.default_studies(quick, max_runs=max_runs)
    studies = [catalog.find_study(name, quick, max_runs=max_runs) for name in names]
    seen = {}
    for study in studies:
        if study.name in seen and seen[study.name] != study.path:
            raise SpecError(f"{study.path}: name: study name {study.name!r} is also used by "
                            f"{seen[study.name]}; names must be unique")
        seen[study.name] = study.path
    unique = {study.name: study for study in studies}
    return list(unique.values())


def cmd_sweep(args) -> int:
    from .lock import study_locks
    from .plugin_engines import make_engines

    if args.scheduler and args.backend != "dask":
        raise SpecError("--scheduler: only with --backend dask")
    if args.missing_only and args.studies:
        raise SpecError("--missing-only runs the default studies; give no study names with it")
    studies = _load(args.studies, args.quick, args.max_runs)
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
def _with_retrains(study: specs.Study, results: str) -> specs.Study:
    """A searched study with the retrains its stored trials already call for, a ``[resolve]``
    study with the runs its rounds so far call for (a resumed sweep runs them alongside the
    missing ones); unchanged when neither or unreadable (the sweep then reports the shard)."""
    from .resolve.rounds import with_rounds

    try:
        return with_rounds(study, results)[0]
    except CorruptResults:
        return study


def _sweep_rounds(args, resolving: list[specs.Study]) -> int:
    """``[resolve]`` studies: while a study's replayed rounds call for runs not stored yet (seeds
    added to the grid points of comparisons still open), run them. Never forced again."""
    from . import sweep
    from .resolve.rounds import with_rounds

    again = argparse.Namespace(**{**vars(args), "force": False, "retry_failed": False})
    code = EXIT_OK
    while True:
        todo, notes = [], []
        for study in resolving:
            try:
                full, replay = with_rounds(study, args.results)
                missing = sweep.select(full, sweep.stored_runs(args.results, study.name))
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


def _sweep_retrains(args, searched: list[specs.Study]) -> int:
    """Stage 2, after the trials: the retrains of the winners the trials just stored, if any is
    still to run (those known before this sweep ran with the trials). Never forced again: a
    ``--force`` sweep reran the known ones in stage 1."""
    from dataclasses import replace

    from . import sweep
    from .search.study import no_winner_lines, stage_two

    todo, unreadable = [], []
    for study in searched:
        try:
            retrain, outcome = stage_two(study.search, args.results, study.name)
            stored = sweep.stored_runs(args.results, study.name)
        except CorruptResults as error:  # as every other path: named, exit 2
            unreadable.append(f"{study.name} retrains not run: {error}")
            continue
        for line in no_winner_lines(study.name, study.search, outcome):
            print(line, file=sys.stderr)
        if sweep.select(replace(study, runs=retrain), stored):
            todo.append(replace(study, runs=retrain))
    if not todo:
        return _report_unreadable(unreadable, args.missing_only)
    print(f"stage 2 (after the trials): retraining the winners of "
          f"{', '.join(study.name for study in todo)} on their other seeds", file=sys.stderr)
    again = argparse.Namespace(**{**vars(args), "force": False, "retry_failed": False})
    code = _sweep_studies(again, todo)
    return max(code, _report_unreadable(unreadable, args.missing_only))


def _sweep_studies(args, studies: list[specs.Study]) -> int:
    """Run the runs of these studies still to do and store them (one pass of ``sweep``)."""
    from . import store, sweep
    from .backends import BackendError, default_workers

    todo, unreadable = [], []
    for study in studies:
        try:
            stored = sweep.stored_runs(args.results, study.name)
        except CorruptResults as error:  # the other studies still run; this one is reported
            unreadable.append(f"{study.name} not run: {error}")
            continue
        todo.append((study, sweep.select(study, stored, args.force, args.retry_failed)))
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
    warm = f" (of which {format_seconds(outcome.warm_s)} making the compiled kernels)" if outcome.warm_s >= 1 else ""
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


def _stored_of(studies: list[specs.Study], results: str) -> str:
    """``12 of 40 runs``: how many runs of these studies are stored."""
    from . import sweep

    stored = total = 0
    for study in studies:
        try:
            ids = sweep.stored_runs(results, study.name).status
        except (CorruptResults, OSError):
            ids = {}
        stored += sum(run.run_id in ids for run in study.runs)
        total += len(study.runs)
    return f"{stored} of {total} runs"


def cmd_plan(args) -> int:
    from . import sweep
    from .backends import default_workers
    from .plugin_engines import plugin_engines
    from .resolve.rounds import known_runs, status_note

    study = catalog.find_study(args.study, args.quick, max_runs=args.max_runs)
    planned = study
    study, stored, tally, replay = known_runs(study, args.results)
    pending = sweep.select(study, stored)
    workers = args.jobs or (1 if study.timing else default_workers())
    estimates = sweep.calibrated_estimates(study, stored)
    estimate = (sum(estimates[run.run_id] for run in pending)
                + unknown_runs_seconds(estimates, tally.total - len(study.runs))) / workers
    print(f"{study.name}: {study.description}" if study.description else study.name)
    print(f"spec: {study.path}")
    print(f"runs: {tally.total} ({tally.ok} ok, {tally.diverged} diverged, {tally.failed} failed "
          f"stored; {tally.pending} to run)")
    print(f"estimated time for the runs to do: {format_seconds(estimate)} on {workers} worker(s)"
          + (" (timing study: one at a time)" if study.timing and not args.jobs else ""))
    print(f"varying: {', '.join(study.varying) or 'nothing'}")
    for engine in plugin_engines(study):
        print(f"engine {engine}: a plugin, not imported by plan (its module runs when `sweep` "
              "runs this study: trust the spec as you would a script)")
    for line in study.search.lines() if study.search is not None else ():
        print(line)
    if study.resolve is not None:
        for line in study.resolve.lines(len(planned.runs) if study.search is None else tally.total):
            print(line)
        note = status_note(replay).strip()
        print(note[1:-1] if note else "")
    shown = study.runs if args.all else study.runs[:20]
    for run in shown:
        state = stored.status.get(run.run_id, "pending")
        seconds = stored.wall_s.get(run.run_id) if run.run_id in stored.status else estimates[run.run_id]
        print(f"  {run.run_id[:12]}  {state:<8}  {'' if run.run_id in stored.status else '~'}"
              f"{format_seconds(seconds or 0.0):>7}  {run.label()}")
    if len(shown) < len(study.runs):
        print(f"  ... {len(study.runs) - len(shown)} more (--all lists them)")
    return EXIT_OK


def cmd_list(args) -> int:
    from . import sweep
    from .backends import default_workers

    for study in (specs.load_spec(path, args.quick, args.max_runs) for path in catalog.spec_paths()):
        flags = [flag for flag, on in (("timing", study.timing), ("not default", not study.default)) if on]
        if study.search is not None:
            flags.append(f"searched: {study.search.search.trials} trials per grid point, then retrained")
        # The whole sweep's time, scaled by the study's stored runs where there are some (as plan).
        seconds = sweep_seconds(study, sweep.stored_runs(args.results, study.name), default_workers())
        print(f"{study.name:<15} {total_runs(study):>5} runs  ~{format_seconds(seconds):>8}  {study.description}"
              + (f"  [{', '.join(flags)}]" if flags else ""))
    return EXIT_OK


def cmd_status(args) -> int:
    from . import store, sweep
    from .provenance import REPO, RESULT_CODE, UNKNOWN_COMMIT, code_version
    from .resolve.rounds import known_runs, status_note

    studies = _load(args.studies, False, args.max_runs)
    extra = []
    if not args.studies:  # also whatever else is stored: quick runs, studies given by path
        known = {study.name for study in studies}
        for name in catalog.stored_studies(args.results):
            if name in known:
                continue
            # a shipped study outside the default sweep, or a quick one, with results
            shipped = catalog.shipped_study_of(name, max_runs=args.max_runs)
            if shipped is not None:
                studies.append(shipped)
            else:
                extra.append(name)
    commit = code_version()["git_commit"]
    unreadable = False
    meaning = (f"stored by code that differs from {commit[:10]} in {', '.join(RESULT_CODE)}, "
               "or by a plugin engine whose source changed since"
               if commit != UNKNOWN_COMMIT else
               f"? = cannot tell: git cannot be run in {REPO}")
    print(f"{'study':<16} {'runs':>5} {'ok':>5} {'diverged':>8} {'failed':>6} {'pending':>7} "
          f"{'stale':>5}  (stale: {meaning})")
    for study in studies:
        try:
            _, _, c, replay = known_runs(study, args.results, commit)
        except store.CorruptResults as error:
            print(f"{study.name:<16} unreadable: {error}")
            unreadable = True
            continue
        note = _status_notes(study, c) + status_note(replay)
        print(f"{study.name:<16} {c.total:>5} {c.ok:>5} {c.diverged:>8} {c.failed:>6} {c.pending:>7} "
              f"{_stale_cell(c.stale + c.stale_data, c.unknown):>5}{note}")
    if not args.studies:
        for name, reason in catalog.inaccessible_studies(args.results).items():
            print(f"{name:<16} skipped: {reason}")
    for name in extra:
        try:
            stored = sweep.stored_runs(args.results, name)
        except store.CorruptResults as error:
            print(f"{name:<16} unreadable: {error}")
            unreadable = True
            continue
        statuses = list(stored.status.values())
        staleness = [sweep.run_is_stale(stored, run_id, commit) for run_id in stored.commit]
        print(f"{name:<16} {'?':>5} {statuses.count('ok'):>5} {statuses.count('diverged'):>8} "
              f"{statuses.count('failed'):>6} {'?':>7} "
              f"{_stale_cell(staleness.count(True), staleness.count(None)):>5}  (no shipped spec)")
    return EXIT_USAGE if unreadable else EXIT_OK


def _status_notes(study: specs.Study, c) -> str:
    """What a study's ``status`` row adds after its counts (``c``: its ``sweep.Counts``)."""
    from .plugin_engines import plugin_engines

    note = (f"  (+{c.extra} stored runs superseded by the spec: kept, not rerun, not reported)"
            if c.extra else "")
    if c.stale_data:
        note += f"  ({c.stale_data} stale: stored from an earlier version of the data file; not reported)"
    if c.unknown:
        note += f"  ({c.unknown} of unknown staleness)"
    plugins = plugin_engines(study)
    if plugins:  # status reads the spec without running the modules it names
        note += f"  (plugin engine {', '.join(plugins)}: not imported by status)"
    return note


def _stale_cell(stale: int, unknown: int) -> str:
    """``3``; ``?`` when none is known stale and some cannot be told; ``3+?`` for both."""
    if not unknown:
        return str(stale)
    return f"{stale}+?" if stale else "?"


def cmd_compact(args) -> int:
    import time

    from . import store

    names = args.studies or catalog.stored_studies(args.results)
    if not args.studies:
        for name, reason in catalog.inaccessible_studies(args.results).items():
            print(f"note: skipped {name}: {reason}", file=sys.stderr)
    unreadable = []
    for name in names:
        tables = [table for table in store.TABLES if store.shard_paths(args.results, name, table)]
        if not tables:
            raise SpecError(f"no results for study {name!r} in {args.results}/ (stored: "
                            f"{', '.join(catalog.stored_studies(args.results)) or 'none'})")
        store.clean_temporaries(args.results, name)
        for table in tables:
            before = len(store.shard_paths(args.results, name, table))
            started = time.perf_counter()
            try:
                store.compact(args.results, name, table)
            except CorruptResults as error:
                unreadable.append(f"{name}/{table} not compacted: {error}")
                continue
            print(f"{name}/{table}: {before} shard{'s' if before != 1 else ''} -> 1 "
                  f"({time.perf_counter() - started:.1f} s)")
    for error in unreadable:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_USAGE if unreadable else EXIT_OK


COMMANDS = {"sweep": cmd_sweep, "plan": cmd_plan, "list": cmd_list, "status": cmd_status,
            "compact": cmd_compact}


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run one parsed command; bad specs and unreadable results exit 2 with one line."""
    from .lock import StudyBusy

    try:
        return stoppable(lambda: COMMANDS[args.command](args), LEFT_BEHIND[args.command])
    except BrokenPipeError:  # output piped into head: not an error
        sys.stderr.close()
        return EXIT_OK
    except (SpecError, CorruptResults, UnwritableResults, StudyBusy) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
