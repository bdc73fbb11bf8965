"""Seconds per epoch of nncore's vectorized and compiled engines beside scikit-learn, in turns.

    python -m benchmarks.engine_epochs            # the goals of the compiled engine, ~2 minutes
    python -m benchmarks.engine_epochs --where    # also the cases where vectorized is expected to win

One BLAS thread (threadpoolctl; run it under ``make``'s thread variables or with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``). Each epoch function is the one the peer baselines
use (``benchmarks.peers``): ``nncore`` is ``nncore.train``'s vectorized inner loop,
``nncore-compiled`` the compiled engine's one-call epoch, ``sklearn`` one ``partial_fit`` of
``MLPRegressor`` / ``MLPClassifier``, ``matmul-peak`` the bare products of the same steps. They
take turns for 1 warm-up and ``--rounds`` timed rounds, so every ratio comes from one run under
the same machine load; the figure is the median. No torch needed (``make bench-peers`` adds it).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.cases import SINCOS_DEEP, SINCOS_WIDE, SOFTMAX_BIG, NetCase
from benchmarks.peers import EPOCH_BUILDERS, PEAK, gemm_epoch, interleaved_seconds

FRAMEWORKS = ("nncore", "nncore-compiled", "sklearn")
SINCOS_SAMPLES = 10_000  # the sin-cos study's training grid: 1,000 steps an epoch at batch 10
SOFTMAX_SAMPLES = 128 * 10


@dataclass(frozen=True)
class Goal:
    """``slower`` must take at least ``factor`` times as long per epoch as ``faster`` on ``case``."""

    case: NetCase
    slower: str
    faster: str
    factor: float


GOAL_CASES = (NetCase("sincos", SINCOS_WIDE, 10, ()), NetCase("sincos", SINCOS_DEEP, 10, ()))
GOALS = (Goal(GOAL_CASES[0], "nncore", "nncore-compiled", 3.0),
         Goal(GOAL_CASES[1], "nncore", "nncore-compiled", 1.3),
         Goal(GOAL_CASES[0], "sklearn", "nncore-compiled", 8.0))
# Large batches and widths, where BLAS does the work and the interpreter's share is small.
WHERE_CASES = (NetCase("sincos", SINCOS_DEEP, 100, ()), NetCase("sincos", (2, 1000, 1), 1000, ()),
               NetCase("softmax", SOFTMAX_BIG, 128, ()))


def measure(case: NetCase, dtype: str, rounds: int, n_samples: int | None = None) -> dict[str, float]:
    """Median seconds per epoch of each framework and of the bare products on ``case``."""
    n_samples = n_samples or (SINCOS_SAMPLES if case.task == "sincos" else SOFTMAX_SAMPLES)
    X, Y = case.dataset(n_samples)
    with threadpool_limits(1):
        epochs = {name: EPOCH_BUILDERS[name](case, dtype, X, Y) for name in FRAMEWORKS}
        epochs[PEAK] = gemm_epoch(case, dtype, X, Y)
        seconds = interleaved_seconds(epochs, rounds + 1)
    return {name: float(np.median(times[1:] if rounds else times)) for name, times in seconds.items()}


def format_row(case: NetCase, dtype: str, seconds: dict[str, float]) -> str:
    vectorized, compiled = seconds["nncore"], seconds["nncore-compiled"]
    return (f"{case.case_id:<32} {dtype:<8} {vectorized:>10.4f} {compiled:>10.4f} {seconds['sklearn']:>10.4f} "
            f"{vectorized / compiled:>9.2f} {seconds['sklearn'] / compiled:>11.2f} "
            f"{seconds[PEAK] / vectorized:>9.1%}")


HEADER = (f"{'case':<32} {'dtype':<8} {'vector s':>10} {'compiled s':>10} {'sklearn s':>10} "
          f"{'vec/comp':>9} {'sklearn/comp':>11} {'vec %peak':>9}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine_epochs",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per case (default 7)")
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    parser.add_argument("--where", action="store_true", help="also time the large-batch cases")
    parser.add_argument("--samples", type=int, default=None, help=argparse.SUPPRESS)  # tests: tiny epochs
    args = parser.parse_args(argv)

    cases = GOAL_CASES + (WHERE_CASES if args.where else ())
    print("seconds per epoch (median of interleaved rounds), one thread; vec/comp and sklearn/comp: "
          "how many times faster the compiled engine is; vec %peak: the bare products' time (NumPy "
          "matmul, one Python call each) over vectorized's\n")
    print(HEADER)
    measured = {}
    for case in cases:
        for dtype in args.dtypes:
            measured[case.case_id, dtype] = seconds = measure(case, dtype, args.rounds, args.samples)
            print(format_row(case, dtype, seconds), flush=True)
    print()
    for goal in GOALS:
        for dtype in args.dtypes:
            seconds = measured[goal.case.case_id, dtype]
            ratio = seconds[goal.slower] / seconds[goal.faster]
            print(f"goal {goal.faster} >= {goal.factor:g}x faster than {goal.slower} on "
                  f"{goal.case.case_id} {dtype}: {ratio:.2f}x, {'met' if ratio >= goal.factor else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
