"""Which backprop products the compiled engine should run as loops: every variant, in turns.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 1 python -m benchmarks.probes.product_shapes

For each (n, fan_in, fan_out), each of ``compiled_products``' three products is timed in every
variant that computes it for that shape (BLAS: ``np.dot`` and the bias pass; the fan-in loops
up to ``MAX_LOOP_FAN_IN``; the one-output loops where fan_out is 1), inside numba so that none
pays the interpreter, rounds alternating. Printed: nanoseconds per call (the median over rounds),
each loop variant's speed over BLAS's (BLAS time / loop time, above 1: the loop wins) with the
quartiles of the per-round ratios, and the variant the engine takes. The thresholds in
``compiled_products`` (``FORWARD_FAN_IN``, ``WEIGHT_FAN_IN``, ``ONE_ROW_FAN_IN``, ``LOOP_ROWS``) are
set from this table with ``--sweep``.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from numba import njit

from nncore.engines import compiled_products as products
from benchmarks.machine import host_line

# The benchmarked nets' layers (batch 10, 100 and 128), then fan-ins 1-6 into widths 100 and 1000,
# and fan-outs 1 and 2 from a width of 100.
NET_SHAPES = ((10, 2, 100), (10, 100, 1), (100, 2, 100), (100, 100, 1), (10, 100, 80), (10, 30, 10),
              (10, 10, 1), (1000, 2, 1000), (1000, 1000, 1), (128, 784, 1024))
SWEEP_SHAPES = tuple((n, k, m) for n in (1, 10, 100) for k in (1, 2, 3, 4, 5, 6) for m in (100, 1000)
                     ) + ((10, 100, 2), (100, 100, 2), (10, 3, 1), (10, 5, 2))
MAX_LOOP_FAN_IN = 6  # the fan-in loops are timed up to here, to see where BLAS overtakes them
FLOPS_PER_ROUND = 2e6
VARIANTS = {  # product -> (variant name, function, applies to (n, k, m))
    "forward A@W+b": (("BLAS", products.forward_blas, lambda n, k, m: True),
                      ("fan-in loops", products.forward_fan_in_loops, lambda n, k, m: k <= MAX_LOOP_FAN_IN),
                      ("one-output loops", products.forward_one_output_loops, lambda n, k, m: m == 1)),
    "weight A.T@D": (("BLAS", products.weight_blas, lambda n, k, m: True),
                     ("fan-in loops", products.weight_fan_in_loops, lambda n, k, m: k <= MAX_LOOP_FAN_IN),
                     ("one-output loops", products.weight_one_output_loops, lambda n, k, m: m == 1)),
    "delta D@W.T": (("BLAS", products.delta_blas, lambda n, k, m: True),
                    ("one-output loops", products.delta_one_output_loops, lambda n, k, m: m == 1)),
}


@njit
def _repeat4(product, first, second, third, fourth, repeats):
    for _ in range(repeats):
        product(first, second, third, fourth)


@njit
def _repeat3(product, first, second, third, repeats):
    for _ in range(repeats):
        product(first, second, third)


def operands(product: str, n: int, k: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """The arguments of ``product`` for A (n, k), W (k, m), D (n, m), outputs preallocated."""
    A, W, D, b = rng.random((n, k)), rng.random((k, m)), rng.random((n, m)), rng.random(m)
    if product.startswith("forward"):
        return A, W, b, np.empty((n, m))
    if product.startswith("weight"):
        return A, D, np.empty((k, m)), np.empty(m)
    return D, W, np.empty((n, k))


def seconds_per_call(function, args: tuple[np.ndarray, ...], repeats: int) -> float:
    repeat = _repeat4 if len(args) == 4 else _repeat3
    started = time.perf_counter()
    repeat(function, *args, repeats)
    return (time.perf_counter() - started) / repeats


def time_variants(product: str, shape: tuple[int, int, int], rounds: int) -> dict[str, np.ndarray]:
    """Seconds per call of each variant of ``product`` that applies to ``shape``, per round
    (variants alternating, a first round dropped as the warm-up)."""
    n, k, m = shape
    args = operands(product, n, k, m, np.random.default_rng(0))
    variants = [(name, function) for name, function, applies in VARIANTS[product] if applies(n, k, m)]
    repeats = max(1, int(FLOPS_PER_ROUND // (2 * n * k * m)))
    times = {name: [] for name, _ in variants}
    for _ in range(rounds + 1):
        for name, function in variants:
            times[name].append(seconds_per_call(function, args, repeats))
    return {name: np.array(values[1:]) for name, values in times.items()}


def engine_variant(product: str, n: int, k: int, m: int) -> str:
    """The variant the engine's dispatch takes for ``product`` on this shape."""
    path = {"forward": products.forward_path, "weight": products.weight_path,
            "delta": products.delta_path}[product.split()[0]](n, k, m)
    return products.PATH_NAMES[path]


def report_lines(product: str, shape: tuple[int, int, int], times: dict[str, np.ndarray]) -> list[str]:
    blas = times["BLAS"]
    lines = []
    for name, seconds in times.items():
        q1, median, q3 = np.percentile(blas / seconds, [25, 50, 75])
        speed = "" if name == "BLAS" else f"{median:>6.2f}x [{q1:.2f}-{q3:.2f}]"
        taken = "<- engine" if name == engine_variant(product, *shape) else ""
        lines.append(f"{str(shape):<16} {product:<14} {name:<17} {np.median(seconds) * 1e9:>10.0f} "
                     f"{speed:<22} {taken}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.product_shapes",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per variant (default 7)")
    parser.add_argument("--sweep", action="store_true", help="also the fan-in and fan-out sweep")
    parser.add_argument("--shape", type=int, nargs=3, action="append", metavar=("N", "K", "M"),
                        help="time only these (n, fan_in, fan_out); repeatable")
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    shapes = [tuple(shape) for shape in args.shape] if args.shape else list(
        NET_SHAPES + (SWEEP_SHAPES if args.sweep else ()))
    print(f"{'n, k, m':<16} {'product':<14} {'variant':<17} {'ns/call':>10} {'BLAS/variant':<22}")
    for shape in shapes:
        for product in VARIANTS:
            for line in report_lines(product, shape, time_variants(product, shape, args.rounds)):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
