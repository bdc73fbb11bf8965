"""``nnstudy sweep|plan|list|status|compact|report``: experiments' commands plus ``report``.

``nnstudy report`` is ``python -m reports build``; the other commands are ``python -m
experiments``'s, with the same arguments and exit statuses (``nnstudy COMMAND --help``).
"""
from __future__ import annotations

import sys

from experiments import cli as experiments_cli
from reports import __main__ as reports_cli


def _add_report(commands) -> None:
    report = commands.add_parser("report", help="build the report (index.html) from stored results",
                                 description="Figures and tables of stored results, for the "
                                             "shipped studies or any spec given by path.")
    reports_cli.add_build_arguments(report)


def main(argv: list[str] | None = None) -> int:
    parser = experiments_cli.build_parser(
        prog="nnstudy", extend=_add_report,
        description="Run study specs, store their results in Parquet, and report them.")
    args = parser.parse_args(argv)
    if args.command == "report":
        return reports_cli.run_build(args)
    return experiments_cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
