"""Seconds per epoch of nncore's vectorized and compiled engines beside JAX and scikit-learn, in turns.

    python -m benchmarks.probes.engine_epochs            # the goals of the compiled engine, a few minutes
    python -m benchmarks.probes.engine_epochs --where    # also the cases where BLAS does the work
    python -m benchmarks.probes.engine_epochs --adam --rounds 20   # only the Adam epochs, epoch by epoch

One BLAS thread (threadpoolctl; run it under ``make``'s thread variables or with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``). Each epoch function is the one the peer baselines
use (``benchmarks.peers``): ``nncore`` is ``nncore.train``'s vectorized inner loop,
``nncore-compiled`` the compiled engine's one-call epoch, ``jax`` the jax engine's jit-compiled
epoch (``lax.scan`` over the batches; left out when jax is not installed), ``sklearn`` one
``partial_fit`` of ``MLPRegressor`` / ``MLPClassifier``, ``matmul-peak`` the bare products of the
same steps. They take turns for 1 warm-up and ``--rounds`` timed rounds, so every ratio comes from
one run under the same machine load: a goal's ratio is the median of the per-round ratios, printed
with their quartiles. ``comp %peak`` is the compiled epoch's GFLOP/s over the machine's
large-matmul GFLOP/s (a 1024^3 NumPy matmul, the shape where BLAS reaches its peak), the product
taking its turn in the same rounds, so that both see the same load.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from nncore.probe import training_flops

from benchmarks.cases import SINCOS_DEEP, SINCOS_WIDE, SOFTMAX_BIG, NetCase
from benchmarks.machine import host_line
from benchmarks.peers import (ADAM_EPOCH_BUILDERS, EPOCH_BUILDERS, PEAK, busy_threads, gemm_epoch, interleaved_seconds,
                              pin_xla_to_one_thread)

HAVE_JAX = importlib.util.find_spec("jax") is not None
FRAMEWORKS = ("nncore", "nncore-compiled", *(("jax",) if HAVE_JAX else ()), "sklearn")
SINCOS_SAMPLES = 10_000  # the sin-cos study's training grid: 1,000 steps an epoch at batch 10
SOFTMAX_SAMPLES = 128 * 10
PEAK_SHAPE = (1024, 1024, 1024)
LARGE_MATMUL = "large-matmul"
JAX_THREADS = "jax-threads"  # how many threads computed during the jax epochs (benchmarks.peers.busy_threads)


def large_matmul(dtype: str, shape: tuple[int, int, int] = PEAK_SHAPE):
    """One (m, k) @ (k, n) product into a preallocated output: the machine's matmul peak."""
    m, k, n = shape
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype=dtype)
    return lambda: np.matmul(A, B, out=out)


@dataclass(frozen=True)
class Goal:
    """``slower`` must take at least ``factor`` times as long per epoch as ``faster`` on ``case``."""

    case: NetCase
    slower: str
    faster: str
    factor: float


WIDE_B10, DEEP_B10 = NetCase("sincos", SINCOS_WIDE, 10, ()), NetCase("sincos", SINCOS_DEEP, 10, ())
WIDE_B100, BIG_B128 = NetCase("sincos", SINCOS_WIDE, 100, ()), NetCase("softmax", SOFTMAX_BIG, 128, ())
GOAL_CASES = (WIDE_B10, DEEP_B10, WIDE_B100)
GOALS = (Goal(WIDE_B10, "nncore", "nncore-compiled", 3.0),
         Goal(DEEP_B10, "nncore", "nncore-compiled", 1.3),
         Goal(WIDE_B10, "sklearn", "nncore-compiled", 8.0),
         *((Goal(WIDE_B10, "jax", "nncore-compiled", 1.2), Goal(DEEP_B10, "jax", "nncore-compiled", 1.2),
            Goal(WIDE_B100, "jax", "nncore-compiled", 1.0), Goal(BIG_B128, "jax", "nncore-compiled", 0.9),
            Goal(WIDE_B10, "jax-adam", "nncore-compiled-adam", 1.2),
            Goal(DEEP_B10, "jax-adam", "nncore-compiled-adam", 1.2))
           if HAVE_JAX else ()))
ADAM_CASES = (WIDE_B10, DEEP_B10)  # where Adam epochs take their turns too (with jax)
# Large batches and widths, where BLAS does the work and the interpreter's share is small.
WHERE_CASES = (NetCase("sincos", SINCOS_DEEP, 100, ()), NetCase("sincos", (2, 1000, 1), 1000, ()), BIG_B128)
PEAK_GOAL = (WIDE_B10, 0.15)  # the compiled epoch's share of the large-matmul peak


def measure(case: NetCase, dtype: str, rounds: int, n_samples: int | None = None) -> dict[str, np.ndarray]:
    """Seconds per epoch of each framework and of the bare products on ``case``, one entry per
    timed round (the warm-up round dropped unless ``rounds`` is 0)."""
    n_samples = n_samples or (SINCOS_SAMPLES if case.task == "sincos" else SOFTMAX_SAMPLES)
    X, Y = case.dataset(n_samples)
    with threadpool_limits(1):
        epochs = {name: EPOCH_BUILDERS[name](case, dtype, X, Y) for name in FRAMEWORKS}
        if HAVE_JAX and case in ADAM_CASES:
            epochs.update({name: build(case, dtype, X, Y) for name, build in ADAM_EPOCH_BUILDERS.items()})
        epochs[PEAK] = gemm_epoch(case, dtype, X, Y)
        epochs[LARGE_MATMUL] = large_matmul(dtype)
        seconds = interleaved_seconds(epochs, rounds + 1)
        if "jax" in epochs:  # the check that XLA kept to one thread
            seconds[JAX_THREADS] = [busy_threads(epochs["jax"])] * 2
    return {name: np.array(times[1:] if rounds else times) for name, times in seconds.items()}


def ratio_text(slower: np.ndarray, faster: np.ndarray) -> tuple[float, str]:
    """Median of the per-round ratios slower / faster, and 'median [q1-q3]'."""
    q1, median, q3 = np.percentile(slower / faster, [25, 50, 75])
    return float(median), f"{median:.2f}x [{q1:.2f}-{q3:.2f}]"


def peak_share(case: NetCase, seconds: dict[str, np.ndarray], n_samples: int) -> np.ndarray:
    """Per round: the compiled epoch's GFLOP/s over the large product's GFLOP/s."""
    m, k, n = PEAK_SHAPE
    epoch_flops = training_flops(list(case.layer_sizes), n_samples)
    return (epoch_flops / seconds["nncore-compiled"]) / (2.0 * m * k * n / seconds[LARGE_MATMUL])


def format_row(case: NetCase, dtype: str, seconds: dict[str, np.ndarray], n_samples: int) -> str:
    median = {name: float(np.median(times)) for name, times in seconds.items()}
    compiled = median["nncore-compiled"]
    jax = f"{median['jax']:>10.4f} {median['jax'] / compiled:>9.2f}" if HAVE_JAX else f"{'-':>10} {'-':>9}"
    return (f"{case.case_id:<32} {dtype:<8} {median['nncore']:>10.4f} {compiled:>10.4f} {jax} "
            f"{median['sklearn']:>10.4f} {median['nncore'] / compiled:>9.2f} "
            f"{float(np.median(peak_share(case, seconds, n_samples))):>10.1%}")


HEADER = (f"{'case':<32} {'dtype':<8} {'vector s':>10} {'compiled s':>10} {'jax s':>10} {'jax/comp':>9} "
          f"{'sklearn s':>10} {'vec/comp':>9} {'comp %peak':>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.engine_epochs",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per case (default 7)")
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    parser.add_argument("--where", action="store_true", help="also time the large-batch cases")
    parser.add_argument("--adam", action="store_true",
                        help="only JAX Adam / compiled Adam, one epoch a round from a running state")
    parser.add_argument("--samples", type=int, default=None, help=argparse.SUPPRESS)  # tests: tiny epochs
    args = parser.parse_args(argv)
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        return adam_run(args) if args.adam else run(args)
    finally:  # the pin for jax holds the process to one CPU: a caller (the tests) gets its CPUs back
        if allowed is not None:
            os.sched_setaffinity(0, allowed)


def run(args: argparse.Namespace) -> int:
    """Measure every case in turns and print the table, the checks and the goals."""
    cases = tuple(dict.fromkeys(GOAL_CASES + ((BIG_B128,) if HAVE_JAX else ()) + (WHERE_CASES if args.where else ())))
    pinned = pin_xla_to_one_thread() if HAVE_JAX else "jax not installed"
    with threadpool_limits(1):
        print(host_line())
    print(f"jax held to one thread: {pinned}\n")
    print("seconds per epoch (median of interleaved rounds), one thread; jax/comp and vec/comp: how many "
          "times faster the compiled engine is; comp %peak: its GFLOP/s over a 1024^3 matmul's, timed "
          "in the same rounds\n")
    print(HEADER)
    measured = {}
    for case in cases:
        for dtype in args.dtypes:
            n_samples = args.samples or (SINCOS_SAMPLES if case.task == "sincos" else SOFTMAX_SAMPLES)
            measured[case.case_id, dtype] = seconds = measure(case, dtype, args.rounds, n_samples)
            print(format_row(case, dtype, seconds, n_samples), flush=True)
    print()
    print_verdicts(measured, cases, args)
    return 0


ADAM_EARLY_EPOCHS = 6  # Adam's first moment of dead units used to turn subnormal after these


def adam_run(args: argparse.Namespace) -> int:
    """JAX Adam against the compiled engine's Adam on ``ADAM_CASES``, each round one more epoch of
    the same two trainings (epoch 1, which compiles, untimed): the median per-epoch ratio over all
    epochs, up to epoch ``ADAM_EARLY_EPOCHS`` and after it."""
    if not HAVE_JAX:
        print("jax is not installed: nothing to compare")
        return 1
    pinned = pin_xla_to_one_thread()
    with threadpool_limits(1):
        print(host_line())
        print(f"jax held to one thread: {pinned}\n")
        for case in ADAM_CASES:
            for dtype in args.dtypes:
                X, Y = case.dataset(args.samples or SINCOS_SAMPLES)
                epochs = {name: build(case, dtype, X, Y) for name, build in ADAM_EPOCH_BUILDERS.items()}
                seconds = {name: np.array(times[1:]) for name, times in  # epoch 1 compiles: dropped
                           interleaved_seconds(epochs, max(args.rounds, 1) + 1).items()}
                ratios, early = seconds["jax-adam"] / seconds["nncore-compiled-adam"], ADAM_EARLY_EPOCHS - 1
                last = len(ratios) + 1
                parts = [(f"epochs 2-{last}", ratios), (f"2-{ADAM_EARLY_EPOCHS}", ratios[:early]),
                         (f"{ADAM_EARLY_EPOCHS + 1}-{last}", ratios[early:])]
                text = "; ".join(f"{label} {np.median(part):.2f}x [{np.percentile(part, 25):.2f}-"
                                 f"{np.percentile(part, 75):.2f}]" for label, part in parts if part.size)
                print(f"jax-adam / compiled-adam {case.case_id} {dtype}: {text} (compiled "
                      f"{np.median(seconds['nncore-compiled-adam']):.4f} s, jax {np.median(seconds['jax-adam']):.4f} s "
                      f"an epoch)", flush=True)
    return 0


def print_verdicts(measured: dict, cases: tuple[NetCase, ...], args: argparse.Namespace) -> None:
    """The one-thread check of jax, each goal met or not, and the float32 speed-ups."""
    for (case_id, dtype), seconds in measured.items():
        if JAX_THREADS in seconds:
            threads = int(seconds[JAX_THREADS][0])
            print(f"jax on {case_id} {dtype}: {threads} thread(s) computed during its epochs, "
                  f"{'one thread (checked)' if threads == 1 else 'NOT one thread'}")
    for goal in GOALS:
        for dtype in args.dtypes:
            seconds = measured[goal.case.case_id, dtype]
            ratio, text = ratio_text(seconds[goal.slower], seconds[goal.faster])
            print(f"goal {goal.faster} >= {goal.factor:g}x faster than {goal.slower} on "
                  f"{goal.case.case_id} {dtype}: {text}, {'met' if ratio >= goal.factor else 'NOT met'}")
    case, share_goal = PEAK_GOAL
    for dtype in args.dtypes:
        n_samples = args.samples or SINCOS_SAMPLES
        q1, share, q3 = np.percentile(peak_share(case, measured[case.case_id, dtype], n_samples), [25, 50, 75])
        print(f"goal nncore-compiled >= {share_goal:.0%} of the matmul peak on {case.case_id} {dtype}: "
              f"{share:.1%} [{q1:.1%}-{q3:.1%}], {'met' if share >= share_goal else 'NOT met'}")
    if len(args.dtypes) == 2:
        for case in cases:
            ratio, text = ratio_text(measured[case.case_id, "float64"]["nncore-compiled"],
                                     measured[case.case_id, "float32"]["nncore-compiled"])
            print(f"compiled float32 speed over float64 on {case.case_id}: {text}")


if __name__ == "__main__":
    sys.exit(main())
