"""Command line: ``python -m experiments {sweep,plan,list,status,compact}``.

Exit status: 0 when everything asked for ran (diverged runs are results), 1 when some run
failed, 2 for a bad spec, bad arguments, an unreadable or unwritable results folder or a lost
backend (one line saying what; nothing stored is damaged) or a study another sweep is sweeping,
130 when interrupted (Ctrl-C), 143 when terminated (SIGTERM).
"""
from __future__ import annotations

import argparse
import sys
import time

from . import catalog, compaction, cost_model, progress, schemas, store
from .backends import default_workers
from .config import SpecError
from .cost_model import format_seconds, sweep_seconds, total_runs, unknown_runs_seconds
from .stopping import EXIT_OK, EXIT_USAGE, LEFT_BEHIND, stoppable
from .lock import StudyBusy
from .parser import build_parser
from .plugin_engines import plugin_engines
from .provenance import REPO, RESULT_CODE, UNKNOWN_COMMIT, code_version
from .resolve.rounds import known_runs, status_note
from .spec import load_spec
from .store import CorruptResults, UnwritableResults
from .study import Study
from .sweep_command import cmd_sweep


def cmd_plan(args) -> int:
    study = catalog.find_study(args.study, args.quick, max_runs=args.max_runs)
    planned = study
    study, stored, tally, replay = known_runs(study, args.results)
    pending = progress.select(study, stored)
    workers = args.jobs or (1 if study.timing else default_workers())
    estimates = cost_model.calibrated_estimates(study, stored)
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
    for study in (load_spec(path, args.quick, args.max_runs) for path in catalog.spec_paths()):
        flags = [flag for flag, on in (("timing", study.timing), ("not default", not study.default)) if on]
        if study.search is not None:
            flags.append(f"searched: {study.search.search.trials} trials per grid point, then retrained")
        if study.resolve is not None:
            flags.append(f"[resolve] counted at most: rounds after the first add up to "
                         f"{study.resolve.most_added()} runs while a comparison is open")
        # The whole sweep's time, scaled by the study's stored runs where there are some (as plan).
        seconds = sweep_seconds(study, progress.stored_runs(args.results, study.name), default_workers())
        print(f"{study.name:<15} {total_runs(study):>5} runs  ~{format_seconds(seconds):>8}  {study.description}"
              + (f"  [{', '.join(flags)}]" if flags else ""))
    return EXIT_OK


def cmd_status(args) -> int:
    studies = catalog.load_studies(args.studies, False, args.max_runs)
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
            stored = progress.stored_runs(args.results, name)
        except store.CorruptResults as error:
            print(f"{name:<16} unreadable: {error}")
            unreadable = True
            continue
        statuses = list(stored.status.values())
        staleness = [progress.run_is_stale(stored, run_id, commit) for run_id in stored.commit]
        print(f"{name:<16} {'?':>5} {statuses.count('ok'):>5} {statuses.count('diverged'):>8} "
              f"{statuses.count('failed'):>6} {'?':>7} "
              f"{_stale_cell(staleness.count(True), staleness.count(None)):>5}  (no shipped spec)")
    return EXIT_USAGE if unreadable else EXIT_OK


def _status_notes(study: Study, c: progress.Counts) -> str:
    """What a study's ``status`` row adds after its counts."""
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
    names = args.studies or catalog.stored_studies(args.results)
    if not args.studies:
        for name, reason in catalog.inaccessible_studies(args.results).items():
            print(f"note: skipped {name}: {reason}", file=sys.stderr)
    unreadable = []
    for name in names:
        tables = [table for table in schemas.TABLES if store.shard_paths(args.results, name, table)]
        if not tables:
            raise SpecError(f"no results for study {name!r} in {args.results}/ (stored: "
                            f"{', '.join(catalog.stored_studies(args.results)) or 'none'})")
        store.clean_temporaries(args.results, name)
        for table in tables:
            before = len(store.shard_paths(args.results, name, table))
            started = time.perf_counter()
            try:
                compaction.compact(args.results, name, table)
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
    try:
        return stoppable(lambda: COMMANDS[args.command](args), LEFT_BEHIND[args.command])
    except BrokenPipeError:  # output piped into head: not an error
        sys.stderr.close()
        return EXIT_OK
    except (SpecError, CorruptResults, UnwritableResults, StudyBusy) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
