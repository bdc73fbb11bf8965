"""``nnstudy bench compare|calibrate|bisect|history``: performance regressions where they happen.

Exit statuses: 0 nothing slower (bisect: BAD is not slower than GOOD), 1 a benchmark is slower
beyond its threshold (bisect: it named the first slower commit), 2 bad input (one line: an unknown
commit, a selection matching nothing, no history), 125 a commit whose benchmarks cannot run (what
``git bisect run`` skips). ``git bisect run nnstudy bench compare GOOD -k EXPR`` works as a step.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from benchmarks import bisection, compare, gitrepo, history, noise, records, stats
from benchmarks.rounds import CannotRun, default_cpu

EXIT_OK, EXIT_SLOWER, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 125
STORE = Path(".benchmarks")


def _percent(text: str) -> float:
    value = float(text)
    if not 0 < value < 1000:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage in (0, 1000)")
    return value / 100.0


def _rounds(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"{text}: at least 2 rounds a side are needed for a spread")
    return value


def _cpu(text: str) -> int | None:
    if text == "any":
        return None
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not text.isdigit() or (allowed and int(text) not in allowed):
        raise argparse.ArgumentTypeError(f"{text!r} is not a CPU this process may use "
                                         f"({', '.join(map(str, allowed))}) nor 'any'")
    return int(text)


def _add_measure_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", dest="selection", metavar="EXPR",
                        help="pytest -k expression selecting the benchmarks (default: all but the peers)")
    parser.add_argument("--rounds", type=_rounds, default=compare.Options.rounds,
                        help="processes per side, alternating (default 10)")
    parser.add_argument("--warmup", type=int, choices=range(0, 4), default=compare.Options.warmup,
                        help="untimed runs per side first (default 1: imports, numba's cache)")
    parser.add_argument("--threshold", type=_percent, default=stats.THRESHOLD,
                        help="percent a median must change by to count (default 10)")
    parser.add_argument("--alpha", type=float, default=stats.ALPHA,
                        help="significance level after Holm's correction (default 0.05)")
    parser.add_argument("--noise-factor", type=float, default=stats.NOISE_FACTOR,
                        help="the threshold is at least this times the calibrated noise (default 2)")
    parser.add_argument("--max-spread", type=_percent, default=stats.MAX_SPREAD,
                        help="percent of median absolute deviation over median beyond which a benchmark is "
                             "unstable (default 10)")
    parser.add_argument("--cpu", type=_cpu, default=default_cpu(),
                        help="pin every round to this CPU, or 'any' (default: the lowest one allowed; "
                             "CPUs of a VM can differ in speed)")
    parser.add_argument("--normalize", choices=compare.NORMALIZATIONS, default=compare.Options.normalize,
                        help="divide each round's times by the reference workload timed in the same process "
                             "(default), or compare them raw")
    parser.add_argument("--store", type=Path, help="folder of the history, noise and samples "
                        "(default: .benchmarks/ in the repository)")


def add_commands(commands) -> None:
    """Add ``bench`` and its subcommands to an argparse subparsers object."""
    bench = commands.add_parser("bench", help="compare commits' benchmarks side by side, bisect, history",
                                description=__doc__.split("\n\n")[0])
    actions = bench.add_subparsers(dest="bench_command", required=True)
    compare_parser = actions.add_parser("compare", help="BASE against HEAD (default: the working tree)")
    compare_parser.add_argument("base", metavar="BASE")
    compare_parser.add_argument("head", metavar="HEAD", nargs="?", help="default: the working tree as it is")
    _add_measure_options(compare_parser)
    calibrate = actions.add_parser("calibrate", help="the working tree against itself: store each noise")
    _add_measure_options(calibrate)
    bisect = actions.add_parser("bisect", help="the first first-parent commit after GOOD that is slower")
    bisect.add_argument("good", metavar="GOOD")
    bisect.add_argument("bad", metavar="BAD")
    _add_measure_options(bisect)
    listing = actions.add_parser("history", help="the change points of the stored history")
    listing.add_argument("-k", dest="contains", metavar="TEXT", help="benchmarks whose name contains TEXT")
    listing.add_argument("--store", type=Path, help="folder of the history (default: .benchmarks/)")


def options_of(args: argparse.Namespace) -> compare.Options:
    return compare.Options(selection=args.selection, rounds=args.rounds, warmup=args.warmup,
                           threshold=args.threshold, alpha=args.alpha, max_spread=args.max_spread,
                           noise_factor=args.noise_factor, cpu=args.cpu, normalize=args.normalize)


def store_of(args: argparse.Namespace, root: Path) -> Path:
    return args.store if args.store is not None else root / STORE


def run_compare(args: argparse.Namespace) -> int:
    root = gitrepo.repo_root(".")
    store, options = store_of(args, root), options_of(args)
    with compare.checked_out(root, args.base, args.head) as (base, head):
        outcome = compare.compare_sides(base, head, options, store / "noise.parquet")
        commits = {side.label: history.commit_fields(root, side.commit, side.dirty) for side in (base, head)}
    print(compare.report(outcome, options))
    _keep_records(outcome, commits, store)
    return outcome.exit_code


def _keep_records(outcome: compare.Outcome, commits: dict, store: Path) -> None:
    """Save the raw samples and append to the history; a store that cannot take them is one
    line on stderr, never the comparison's exit status (``git bisect run`` reads that)."""
    try:
        samples = compare.save_samples(outcome, store / "compare")
        history.append(store / "history.parquet",
                       history.rows_from_samples(outcome.samples, commits, outcome.fingerprint))
    except (OSError, records.HistoryError) as problem:
        print(f"warning: {problem}; the comparison above stands, its exit status unchanged",
              file=sys.stderr)
        return
    print(f"raw samples: {samples}; history: {store / 'history.parquet'}")


def run_calibrate(args: argparse.Namespace) -> int:
    root = gitrepo.repo_root(".")
    store, options = store_of(args, root), options_of(args)
    tree = gitrepo.working_tree(root, "base")
    outcome = compare.compare_sides(tree, gitrepo.Side("head", tree.commit, tree.path, tree.dirty), options)
    stored = noise.save(store / "noise.parquet", outcome.comparisons, outcome.fingerprint.get("id", "unknown"),
                        tree.commit)
    print(compare.report(outcome, options))
    print(f"\nnoise of {len(stored)} benchmark metrics on machine {outcome.fingerprint.get('id')} "
          f"stored in {store / 'noise.parquet'}; compare's threshold is now max(--threshold, "
          f"{options.noise_factor:g} x noise)")
    for row in stored.itertuples():
        print(f"  {row.benchmark.split('::')[-1]} {row.metric}: {row.noise:.1%}")
    return EXIT_OK


def run_bisect(args: argparse.Namespace) -> int:
    root = gitrepo.repo_root(".")
    found = bisection.bisect(root, args.good, args.bad, options_of(args), store_of(args, root) / "noise.parquet")
    if found.first_slower:
        print(f"first slower commit: {found.first_slower} {gitrepo.subject(root, found.first_slower)}")
        return EXIT_SLOWER
    if found.candidates:
        print("the first slower commit is one of (the others' benchmarks do not run):")
        for commit in found.candidates:
            print(f"  {commit} {gitrepo.subject(root, commit)}")
        return EXIT_SLOWER
    print(f"BAD {args.bad} is not slower than GOOD {args.good}: nothing to bisect")
    return EXIT_OK


def run_history(args: argparse.Namespace) -> int:
    root = gitrepo.repo_root(".")
    path = store_of(args, root) / "history.parquet"
    table = records.load(path)
    if table.empty:
        raise gitrepo.BadInput(f"no benchmark history at {path}: `make bench` or `nnstudy bench compare` "
                               "appends to it")
    if args.contains:
        table = table[table["benchmark"].str.contains(args.contains, regex=False)]
    changes = records.change_points(table)
    print(history.format_changes(table, changes))
    return EXIT_OK


COMMANDS = {"compare": run_compare, "calibrate": run_calibrate, "bisect": run_bisect, "history": run_history}


def run(args: argparse.Namespace) -> int:
    """Run a parsed ``bench`` command: bad input exits 2 and a commit that cannot run 125, one line each."""
    try:
        return COMMANDS[args.bench_command](args)
    except (gitrepo.BadInput, records.HistoryError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except CannotRun as problem:
        print(f"cannot run: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
