"""Compare a benchmark run with the last saved run of the same machine; fail on real regressions.

    python -m benchmarks.compare [--threshold 15] [--alpha 0.01]      # run now, compare, exit 1 on regression
    python -m benchmarks.compare --current RUN.json [--baseline SAVED.json]   # compare files only

A benchmark regresses when its median time grew by more than ``threshold`` percent *and* a one-sided
Mann-Whitney U test on the raw per-round timings says the new run is slower (p < ``alpha``). The
median guards against reacting to tiny shifts; the test guards against noise within a run. A
benchmark's rounds run back to back within about a second, so a busy spell of a shared machine
shifts all of them and the test alone would call it significant: the benchmarks flagged are
therefore run again, and only those that regress in both runs count (``--confirm 0`` turns it off).
Runs are compared only when their CPU, BLAS library and kernel, BLAS threads and Python agree
(``benchmarks.machine``); otherwise the comparison is refused (exit 2), never silently made.

Baselines are the JSON files pytest-benchmark saves under ``.benchmarks/<machine-id>/`` with
``--benchmark-autosave --benchmark-save-data`` (``make bench``). The comparison run itself is not
saved as a baseline, so that a chain of small regressions cannot each pass against the previous one.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import mannwhitneyu

from benchmarks.machine import differences

STORAGE = Path(".benchmarks")
LAST_COMPARE_RUN = "last-compare.json"
CONFIRM_RUN = "last-compare-confirm.json"
# Peer baselines time other libraries: not a regression of ours, and slow; `make bench-peers` runs them.
# The same options as `make bench`, so that a comparison run measures what a baseline measured.
PYTEST_ARGS = ["-q", "--benchmark-only", "--ignore=benchmarks/test_peers.py", "--benchmark-min-rounds=10"]

EXIT_OK, EXIT_REGRESSION, EXIT_REFUSED = 0, 1, 2


class CannotCompare(Exception):
    """No comparable baseline: the message says why and what to do."""


@dataclass
class Comparison:
    """One benchmark in both runs. Times in seconds; ``ratio`` is now / baseline of the medians."""

    name: str
    baseline_median: float
    current_median: float
    p_value: float
    verdict: str    # "regressed", "slower (noise)", "slower (not confirmed)", "improved", "ok"

    @property
    def ratio(self) -> float:
        return self.current_median / self.baseline_median


def load_run(path: Path) -> dict:
    with open(path) as file:
        run = json.load(file)
    if "benchmarks" not in run or "machine_info" not in run:
        raise CannotCompare(f"{path} is not a pytest-benchmark JSON file (no 'benchmarks'/'machine_info')")
    run["_path"] = str(path)
    return run


def run_fingerprint(run: dict) -> dict:
    fingerprint = run["machine_info"].get("nnstudy")
    if fingerprint is None:
        raise CannotCompare(f"{run.get('_path', 'run')} has no machine fingerprint "
                            "(machine_info['nnstudy']); it was not saved by this project's benchmarks")
    return fingerprint


def saved_runs(storage: Path) -> list[Path]:
    """pytest-benchmark's saved runs: ``storage/<machine-id>/NNNN_*.json``."""
    return sorted(storage.glob("*/*.json"))


def find_baseline(current: dict, candidates: list[dict]) -> dict:
    """The newest candidate run made on the same machine (see ``benchmarks.machine``) as ``current``."""
    if not candidates:
        raise CannotCompare("no saved benchmark run to compare with: run `make bench` first "
                            "(before your change) to save a baseline")
    fingerprint = run_fingerprint(current)
    newest_first = sorted(candidates, key=lambda run: run.get("datetime", ""), reverse=True)
    for run in newest_first:
        if "nnstudy" in run["machine_info"] and not differences(run_fingerprint(run), fingerprint):
            return run
    newest = newest_first[0]
    diff = differences(newest["machine_info"].get("nnstudy", {}), fingerprint)
    detail = ", ".join(f"{key}: saved {saved!r}, now {now!r}" for key, (saved, now) in diff.items())
    raise CannotCompare("no saved run comes from this machine, so timings would not be comparable; "
                        f"the newest ({newest['_path']}) differs in {detail}. "
                        "Save a baseline here with `make bench` first.")


def timings(benchmark: dict) -> list[float]:
    data = benchmark["stats"].get("data")
    if not data:
        raise CannotCompare(f"benchmark {benchmark['name']} has no raw timings; save runs with "
                            "--benchmark-save-data (`make bench` does)")
    return data


def compare_benchmark(name: str, baseline: list[float], current: list[float],
                      threshold: float, alpha: float) -> Comparison:
    """Verdict on one benchmark from its raw timings; ``threshold`` in percent."""
    baseline_median, current_median = statistics.median(baseline), statistics.median(current)
    ratio = current_median / baseline_median
    p_slower = float(mannwhitneyu(current, baseline, alternative="greater").pvalue)
    p_faster = float(mannwhitneyu(current, baseline, alternative="less").pvalue)
    limit = threshold / 100.0
    if ratio > 1 + limit:
        verdict, p_value = ("regressed" if p_slower < alpha else "slower (noise)"), p_slower
    elif ratio < 1 - limit and p_faster < alpha:
        verdict, p_value = "improved", p_faster
    else:
        verdict, p_value = "ok", p_slower
    return Comparison(name, baseline_median, current_median, p_value, verdict)


def compare_runs(baseline: dict, current: dict, threshold: float = 15.0,
                 alpha: float = 0.01) -> tuple[list[Comparison], list[str], list[str]]:
    """Comparisons of the benchmarks in both runs, and the names only in the current / baseline one."""
    differing = differences(run_fingerprint(baseline), run_fingerprint(current))
    if differing:
        detail = ", ".join(f"{key}: {saved!r} vs {now!r}" for key, (saved, now) in differing.items())
        raise CannotCompare(f"the runs come from different machines ({detail}); refusing to compare")
    before = {bench["fullname"]: bench for bench in baseline["benchmarks"]}
    after = {bench["fullname"]: bench for bench in current["benchmarks"]}
    comparisons = [compare_benchmark(name, timings(before[name]), timings(after[name]), threshold, alpha)
                   for name in sorted(before.keys() & after.keys())]
    return comparisons, sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())


def confirm(first: list[Comparison], again: list[Comparison]) -> list[Comparison]:
    """``first`` with each regression kept only if the run ``again`` regressed it too."""
    regressed_again = {c.name for c in again if c.verdict == "regressed"}
    confirmed = []
    for comparison in first:
        if comparison.verdict == "regressed" and comparison.name not in regressed_again:
            comparison = Comparison(comparison.name, comparison.baseline_median, comparison.current_median,
                                    comparison.p_value, "slower (not confirmed)")
        confirmed.append(comparison)
    return confirmed


def format_seconds(seconds: float) -> str:
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= factor:
            return f"{seconds / factor:.3f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"


def format_table(comparisons: list[Comparison]) -> str:
    """One line per benchmark: baseline and current medians, their ratio, p-value and verdict."""
    names = [c.name.split("::")[-1] for c in comparisons]
    width = max([len(name) for name in names] + [9])
    lines = [f"{'benchmark':<{width}}  {'baseline':>11}  {'now':>11}  {'ratio':>6}  {'p-value':>8}  verdict"]
    for name, c in zip(names, comparisons):
        lines.append(f"{name:<{width}}  {format_seconds(c.baseline_median):>11}  "
                     f"{format_seconds(c.current_median):>11}  {c.ratio:>6.3f}  {c.p_value:>8.2g}  {c.verdict}")
    return "\n".join(lines)


def run_benchmarks(output: Path, targets: list[str], pytest_args: list[str]) -> dict:
    """Run ``targets`` (paths or node ids) now, raw timings included, into ``output``; load it."""
    command = [sys.executable, "-m", "pytest", *targets, *PYTEST_ARGS, f"--benchmark-json={output}",
               *pytest_args]
    print("running:", " ".join(command), flush=True)
    status = subprocess.call(command)
    if status != 0:
        raise CannotCompare(f"the benchmark run failed (pytest exit status {status})")
    return load_run(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=15.0,
                        help="percent by which a median may grow before it can count as a regression (default 15)")
    parser.add_argument("--alpha", type=float, default=0.01,
                        help="significance level of the one-sided Mann-Whitney U test (default 0.01)")
    parser.add_argument("--storage", type=Path, default=STORAGE,
                        help="pytest-benchmark storage folder holding the saved runs (default .benchmarks)")
    parser.add_argument("--baseline", type=Path, help="a saved run to compare with (default: the newest "
                        "saved run of this machine)")
    parser.add_argument("--current", type=Path, help="a run to compare (default: run the benchmarks now)")
    parser.add_argument("--confirm", type=int, choices=(0, 1), default=1,
                        help="re-run the benchmarks that regressed and count only those that regress "
                        "again (default 1; only when the benchmarks run now)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments after --, e.g. -- -k vectorized")
    args = parser.parse_args(argv)
    if args.threshold <= 0 or not 0 < args.alpha < 1:
        parser.error("--threshold must be > 0 and --alpha in (0, 1)")
    try:
        if args.current is not None:
            current = load_run(args.current)
        else:
            args.storage.mkdir(parents=True, exist_ok=True)
            current = run_benchmarks(args.storage / LAST_COMPARE_RUN, ["benchmarks"], args.pytest_args)
        candidates = [load_run(args.baseline)] if args.baseline else [
            load_run(path) for path in saved_runs(args.storage)]
        baseline = find_baseline(current, candidates)
        comparisons, new, missing = compare_runs(baseline, current, args.threshold, args.alpha)
        flagged = [c.name for c in comparisons if c.verdict == "regressed"]
        if flagged and args.current is None and args.confirm:
            print(f"\n{len(flagged)} benchmarks look slower; running them again to confirm", flush=True)
            again = run_benchmarks(args.storage / CONFIRM_RUN, flagged, args.pytest_args)
            comparisons = confirm(comparisons, compare_runs(baseline, again, args.threshold, args.alpha)[0])
    except CannotCompare as problem:
        print(f"bench-compare: {problem}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"\nbaseline: {baseline['_path']} ({baseline.get('datetime', '?')}, "
          f"commit {baseline.get('commit_info', {}).get('id', '?')[:10]})")
    confirmed = " in this run and its re-run" if args.current is None and args.confirm else ""
    print(f"now:      {current['_path']}; regression = median > +{args.threshold:g}% and "
          f"Mann-Whitney p < {args.alpha:g}{confirmed}\n")
    print(format_table(comparisons))
    for label, names in (("new (no baseline)", new), ("missing now", missing)):
        if names:
            print(f"\n{label}: " + ", ".join(name.split("::")[-1] for name in names))
    regressed = [c for c in comparisons if c.verdict == "regressed"]
    print(f"\n{len(regressed)} of {len(comparisons)} benchmarks regressed")
    return EXIT_REGRESSION if regressed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
