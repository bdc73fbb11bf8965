"""``nnstudy check-engine NAME``: the conformance kit's table for one engine, named as in a spec.

Exit 0 when every check passes, 1 when any fails (naming it), 2 when the engine cannot be loaded.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

from nncore.engines import conformance, get_engine

EXIT_OK, EXIT_FAILED, EXIT_UNLOADABLE = 0, 1, 2
# Seconds a check may take over all its cases: the slowest engine here takes a few seconds for
# the whole kit once compiled (docs/engines.md); a first numba or jax compile takes longer.
DEFAULT_TIMEOUT_S = 300.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME",
                        help="an engine as a spec names it: one of nncore's (vectorized, ...), "
                             "package.module:ClassName, or an entry point in nnstudy.engines")
    parser.add_argument("--check", action="append", choices=list(conformance.CHECKS),
                        help="run only this check (repeatable); default: all of them")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help="a check still running after this long fails, naming the case it "
                             f"was in, and the kit goes on (default {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--every-case", action="store_true",
                        help="one table row per check and configuration, not per check")


def run(args: argparse.Namespace) -> int:
    try:
        get_engine(args.name)
    except Exception as error:  # unimportable, not an engine, or its constructor failed
        print(f"check-engine: {error}", file=sys.stderr)
        return EXIT_UNLOADABLE
    started = time.perf_counter()
    outcomes = conformance.run_kit(args.name, args.check, timeout=args.timeout)
    print(conformance.format_table(outcomes, every_case=args.every_case))
    failed = list(dict.fromkeys(o.check for o in outcomes if not o.passed))
    seconds = time.perf_counter() - started
    if failed:
        print(f"engine={args.name!r} FAILED {len(failed)} of {len(set(o.check for o in outcomes))} "
              f"checks: {', '.join(failed)} ({seconds:.1f} s)", file=sys.stderr)
        return EXIT_FAILED
    print(f"engine={args.name!r} passes every check ({len(outcomes)} check-configuration pairs, "
          f"{seconds:.1f} s)")
    return EXIT_OK
