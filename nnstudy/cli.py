"""``nnstudy sweep|plan|list|status|compact|report|check-engine|bench``: experiments' commands
plus ``report``, ``check-engine`` (the conformance kit on one engine) and ``bench``.

``nnstudy report`` is ``python -m reports build``; ``nnstudy bench compare|calibrate|bisect|history``
is ``benchmarks.cli``; the other commands are ``python -m experiments``'s, with the same arguments
and exit statuses (``nnstudy COMMAND --help``).
"""
from __future__ import annotations

import sys

from benchmarks import cli as bench_cli
from experiments import cli as experiments_cli
from experiments.stopping import stoppable
from experiments.parser import build_parser
from reports import __main__ as reports_cli

from . import check_engine


def _extend(commands) -> None:
    """nnstudy's own commands beside experiments': report, check-engine, bench."""
    reports_cli.add_build_arguments(commands.add_parser(
        "report", help="build the report (index.html) from stored results",
        description="Figures and tables of stored results, for the shipped studies or any spec given by path."))
    check_engine.add_arguments(commands.add_parser(
        "check-engine", help="run the conformance kit on an engine (exit 0 pass, 1 fail, 2 unloadable)",
        description="The conformance kit: gradients, purity, dtype, determinism and training of "
                    "an engine against nncore's numerical and vectorized engines."))
    bench_cli.add_commands(commands)


# The commands nnstudy adds to experiments' and what each leaves behind when Ctrl-C (or SIGTERM)
# stops it: its one line after "interrupted: " (fields of the parsed arguments in braces).
COMMANDS = {"report": reports_cli.run_build, "check-engine": check_engine.run, "bench": bench_cli.run}
LEFT_BEHIND = {
    "report": "report: not written; {out}/ is as it was; rerun to build it",
    "check-engine": "check-engine: no verdict on {name} (a check that hangs fails by itself "
                    "after --timeout SECONDS)",
    "bench": "bench {bench_command}: stopped before its verdict; nothing of it was recorded",
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(
        prog="nnstudy", extend=_extend,
        description="Run study specs, store their results in Parquet, and report them.")
    args = parser.parse_args(argv)
    if args.command not in COMMANDS:
        return experiments_cli.run(args)
    return stoppable(lambda: COMMANDS[args.command](args),
                     LEFT_BEHIND[args.command].format(**vars(args)))


if __name__ == "__main__":
    sys.exit(main())
