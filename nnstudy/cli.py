"""``nnstudy sweep|plan|list|status|compact|report|bench``: experiments' commands plus ``report``
and ``bench``.

``nnstudy report`` is ``python -m reports build``; ``nnstudy bench compare|calibrate|bisect|history``
is ``benchmarks.cli``; the other commands are ``python -m experiments``'s, with the same arguments
and exit statuses (``nnstudy COMMAND --help``).
"""
from __future__ import annotations

import sys

from benchmarks import cli as bench_cli
from experiments import cli as experiments_cli
from reports import __main__ as reports_cli


def _add_report(commands) -> None:
    report = commands.add_parser("report", help="build the report (index.html) from stored results",
                                 description="Figures and tables of stored results, for the "
                                             "shipped studies or any spec given by path.")
    reports_cli.add_build_arguments(report)


def _add_commands(commands) -> None:
    _add_report(commands)
    bench_cli.add_commands(commands)


def main(argv: list[str] | None = None) -> int:
    parser = experiments_cli.build_parser(
        prog="nnstudy", extend=_add_commands,
        description="Run study specs, store their results in Parquet, and report them.")
    args = parser.parse_args(argv)
    if args.command == "report":
        return reports_cli.run_build(args)
    if args.command == "bench":
        return bench_cli.run(args)
    return experiments_cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
