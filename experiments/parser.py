"""The command line's arguments: ``build_parser`` for ``python -m experiments`` and ``nnstudy``
(which adds its own commands through ``extend``); the commands themselves are experiments/cli.py."""
from __future__ import annotations

import argparse

from . import names


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _add_max_runs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-runs", type=positive_int, default=names.MAX_RUNS, metavar="N",
                        help=f"refuse a spec of more runs than this (default: {names.MAX_RUNS:,}), "
                             "counted before its grid is expanded")


def build_parser(prog: str = "python -m experiments", extend=None,
                 description: str = "Run nnstudy's study specs and store results in Parquet."
                 ) -> argparse.ArgumentParser:
    """The command line; ``extend(commands)`` may add subcommands (the ``nnstudy`` script adds
    ``report``)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    commands = parser.add_subparsers(dest="command", required=True)

    sweep = commands.add_parser("sweep", help="run studies (default: every default study)")
    sweep.add_argument("studies", nargs="*", metavar="STUDY_OR_SPEC",
                       help="study name (a spec in experiments/studies) or path to a .toml spec")
    sweep.add_argument("--results", default="results", help="results directory (default: results)")
    sweep.add_argument("--jobs", type=positive_int, help="parallel workers (default: one per core; "
                       "1 for timing studies)")
    sweep.add_argument("--backend", choices=("loky", "dask", "serial"), default="loky")
    sweep.add_argument("--scheduler", metavar="ADDR",
                       help="with --backend dask: join this scheduler (tcp://host:8786) instead of "
                            "starting a LocalCluster")
    again = sweep.add_mutually_exclusive_group()
    again.add_argument("--force", action="store_true", help="rerun runs already stored")
    again.add_argument("--retry-failed", action="store_true", help="also rerun runs stored as failed")
    again.add_argument("--missing-only", action="store_true",
                       help="run only never-stored runs of the default studies, quietly, and exit 0 "
                            "even if some fail (for `make report`)")
    sweep.add_argument("--quick", action="store_true",
                       help="smoke run: first and last grid values, one seed, <= 2 epochs; stored "
                            f"as <study>{names.QUICK_SUFFIX}")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--wait", action="store_true", help="if another process is sweeping one "
                       "of these studies, wait for it to finish (default: exit 2 naming it)")
    _add_max_runs(sweep)

    plan = commands.add_parser("plan", help="preview a study's runs without running anything")
    plan.add_argument("study", metavar="STUDY_OR_SPEC")
    plan.add_argument("--results", default="results")
    plan.add_argument("--jobs", type=positive_int)
    plan.add_argument("--quick", action="store_true")
    plan.add_argument("--all", action="store_true", help="list every run (default: the first 20)")
    _add_max_runs(plan)

    listing = commands.add_parser("list", help="the shipped studies and their run counts")
    listing.add_argument("--quick", action="store_true")
    _add_max_runs(listing)
    listing.add_argument("--results", default="results",
                         help="calibrate the estimated times on the runs stored here")

    status = commands.add_parser("status", help="done, failed, pending and stale runs per study")
    status.add_argument("studies", nargs="*", metavar="STUDY_OR_SPEC")
    status.add_argument("--results", default="results")
    _add_max_runs(status)

    compact = commands.add_parser("compact", help="merge each table's shards into one (a sweep "
                                  "does it at its end; this is for an interrupted one)")
    compact.add_argument("studies", nargs="*", metavar="STUDY",
                         help="stored study names (default: every study in --results)")
    compact.add_argument("--results", default="results")
    if extend is not None:
        extend(commands)
    return parser
