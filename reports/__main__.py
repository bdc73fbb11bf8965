"""``python -m reports build [--results DIR] [--out DIR] [STUDY_OR_SPEC ...]``."""
from __future__ import annotations

import argparse
import sys
from concurrent.futures.process import BrokenProcessPool

from benchmarks.records import HISTORY
from experiments.parser import positive_int

from .build import build, shipped_studies, terminal_text
from .output import OutputError
from .section_pool import default_jobs


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``build`` (also ``nnstudy report``)."""
    parser.add_argument("studies", nargs="*", metavar="STUDY_OR_SPEC",
                        help="study names or paths to .toml specs (default: every study in "
                             f"experiments/studies: {', '.join(shipped_studies())})")
    parser.add_argument("--results", default="results", help="results folder (default: results)")
    parser.add_argument("--out", default="reports/out", help="output folder (default: reports/out)")
    parser.add_argument("--quick", action="store_true",
                        help="report the `sweep --quick` smoke runs (<study>-quick)")
    parser.add_argument("--quiet", action="store_true", help="do not print the tables")
    parser.add_argument("--history", default=str(HISTORY),
                        help="benchmark history for the performance-history section, drawn when "
                             f"it exists (default: {HISTORY}, what `make bench` appends to)")
    parser.add_argument("--all-runs", action="store_true",
                        help="keep stored runs that the spec no longer contains")
    parser.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                        help="worker processes drawing the study sections (default: one per core, "
                             "at most one per study; 1 draws them in this process)")



def run_build(args: argparse.Namespace) -> int:
    """Build the report; 0 when at least one study was reported, 1 when nothing was (or a worker
    died), 2 (one line) for an output folder it must not write into."""
    studies = args.studies or shipped_studies()
    try:
        report = build(args.results, args.out, args.studies or None,
                       peers=not args.studies and not args.quick, all_runs=args.all_runs,
                       quick=args.quick, history=None if args.studies else args.history,
                       jobs=args.jobs or default_jobs(len(studies)))
    except OutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenProcessPool:  # killed (out of memory, say): nothing was written to --out
        print(f"error: a worker process drawing the study sections died; {args.out} is as it was. "
              "Rerun with --jobs 1 to draw them in this process", file=sys.stderr)
        return 1
    if not args.quiet:
        print(terminal_text(report), flush=True)
    for level, text in report.messages:
        print(f"{level}: {text}", file=sys.stderr, flush=True)
    reported = [s for s in report.sections if s.study not in ("peers", "perf-history")]
    print(f"report written to {report.out / 'index.html'}"
          f" ({len(reported)} of {len(studies)} studies)")
    # Nothing to show at all is a failure of the build; a partial report is not.
    return 0 if reported else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports",
                                     description="Figures, tables and scorecard from results/.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_build_arguments(commands.add_parser("build", help="build the report folder (index.html)"))
    return run_build(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
