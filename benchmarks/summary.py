"""Ratios from one saved benchmark run: engine speedups and each step's share of the matmul peak.

    python -m benchmarks.summary [RUN.json]     # default: the newest run under .benchmarks/

Every figure is a ratio of two times taken in the same run on the same machine: vectorized over
loop, loop over scalar and compiled over vectorized (how many times faster: compiled's step is
``nncore.train_step`` with one compiled call; ``nncore.train`` runs whole epochs in one call, see
``benchmarks.probes.engine_epochs``), and the bare products' time over the step's
(the step's share of the machine's matmul peak for that work). Each time is the fastest round:
on a shared machine a busy spell only ever adds time, and a benchmark's rounds run back to back,
so one spell can move a median by tens of percent while the minimum stays put.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

STORAGE = Path(".benchmarks")


def load_run(path: Path) -> dict:
    """A pytest-benchmark JSON run, with its path under ``_path``."""
    with open(path) as file:
        run = json.load(file)
    if "benchmarks" not in run or "machine_info" not in run:
        raise SystemExit(f"error: {path} is not a pytest-benchmark JSON file (no 'benchmarks'/'machine_info')")
    run["_path"] = str(path)
    return run


def saved_runs(storage: Path) -> list[Path]:
    """pytest-benchmark's saved runs: ``storage/<machine-id>/NNNN_*.json``."""
    return sorted(storage.glob("*/*.json"))


def best_times(run: dict) -> dict[tuple[str, str, str], float]:
    """{(case, dtype, engine): fastest round in seconds}; the probe's engine is ``matmul-probe``."""
    found = {}
    for bench in run["benchmarks"]:
        info = bench.get("extra_info", {})
        if {"case", "dtype", "engine"} <= info.keys():
            found[(info["case"], info["dtype"], info["engine"])] = bench["stats"]["min"]
    return found


def summary_rows(run: dict) -> list[dict]:
    times = best_times(run)
    rows = []
    for case, dtype in sorted({(case, dtype) for case, dtype, _ in times}):
        def t(engine):
            return times.get((case, dtype, engine), float("nan"))
        rows.append({"case": case, "dtype": dtype, "scalar_s": t("scalar"), "loop_s": t("loop"),
                     "vectorized_s": t("vectorized"), "loop_over_vectorized": t("loop") / t("vectorized"),
                     "scalar_over_loop": t("scalar") / t("loop"), "compiled_s": t("compiled"),
                     "vectorized_over_compiled": t("vectorized") / t("compiled"),
                     "vectorized_peak_share": t("matmul-probe") / t("vectorized")})
    return rows


def _cell(value: float, spec: str, width: int) -> str:
    return f"{'-':>{width}}" if math.isnan(value) else f"{format(value, spec):>{width}}"


def format_rows(rows: list[dict]) -> str:
    lines = [f"{'case':<34} {'dtype':<8} {'scalar us':>10} {'loop us':>10} {'vector us':>10} "
             f"{'loop/vec':>9} {'scalar/loop':>11} {'vec %peak':>9} {'comp us':>9} {'vec/comp':>9}"]
    for r in rows:
        lines.append(f"{r['case']:<34} {r['dtype']:<8} {_cell(r['scalar_s'] * 1e6, '.0f', 10)} "
                     f"{_cell(r['loop_s'] * 1e6, '.0f', 10)} {_cell(r['vectorized_s'] * 1e6, '.1f', 10)} "
                     f"{_cell(r['loop_over_vectorized'], '.1f', 9)} {_cell(r['scalar_over_loop'], '.1f', 11)} "
                     f"{_cell(r['vectorized_peak_share'], '.1%', 9)} {_cell(r['compiled_s'] * 1e6, '.1f', 9)} "
                     f"{_cell(r['vectorized_over_compiled'], '.2f', 9)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", nargs="?", type=Path, help="a saved run (default: the newest in .benchmarks/)")
    args = parser.parse_args(argv)
    if args.run is None:
        paths = saved_runs(STORAGE)
        if not paths:
            print("no saved benchmark run: run `make bench` first", file=sys.stderr)
            return 2
        runs = sorted((load_run(path) for path in paths), key=lambda run: run.get("datetime", ""))
        run = runs[-1]
    else:
        run = load_run(args.run)
    info = run["machine_info"]
    host = info.get("nnstudy_host") or f"host: {info.get('nnstudy', {})}"  # runs saved before the host line
    print(f"{run['_path']} ({run.get('datetime', '?')})\n{host}\n")
    print(format_rows(summary_rows(run)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
