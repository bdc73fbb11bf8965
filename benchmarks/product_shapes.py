"""Which backprop products the compiled engine should run as loops: loops against ``np.dot``, in turns.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m benchmarks.product_shapes

For each (n, fan_in, fan_out) of the benchmarked nets, each of ``compiled_products``' three products
is timed both ways inside numba (so neither pays the interpreter), rounds alternating; printed is
the median over rounds of BLAS time / loop time (above 1: the loops win) with its quartiles, and the
path the engine takes for that shape.
"""
from __future__ import annotations

import time

import numpy as np
from numba import njit

from nncore.engines import compiled_products as products

SHAPES = ((10, 2, 100), (10, 100, 1), (100, 2, 100), (100, 100, 1), (10, 100, 80), (10, 30, 10),
          (10, 10, 1), (128, 784, 1024))


@njit
def _repeat(which, use_blas, A, W, D, Z, G, P, repeats):
    for _ in range(repeats):
        if which == 0:
            np.dot(A, W, Z) if use_blas else products.forward_product(A, W, Z)
        elif which == 1:
            np.dot(A.T, D, G) if use_blas else products.weight_gradient(A, D, G)
        else:
            np.dot(D, W.T, P) if use_blas else products.delta_back(D, W, P)


def _path(which: int, n: int, k: int, m: int) -> str:
    if which == 2:
        return "loops" if m == 1 else "BLAS"
    return "loops" if m == 1 and n * k <= products.LOOP_ROWS else "BLAS"


def main(rounds: int = 7) -> int:
    rng = np.random.default_rng(0)
    print(f"{'n, fan_in, fan_out':<20} {'product':<16} {'BLAS/loops':>22} engine takes")
    for n, k, m in SHAPES:
        A, W, D = rng.random((n, k)), rng.random((k, m)), rng.random((n, m))
        Z, G, P = np.empty((n, m)), np.empty((k, m)), np.empty((n, k))
        repeats = max(1, int(1e6 // (n * k * m)))
        for which, name in enumerate(("forward A@W", "weight A.T@D", "delta D@W.T")):
            times = {True: [], False: []}
            for _ in range(rounds + 1):
                for use_blas in (True, False):
                    started = time.perf_counter()
                    _repeat(which, use_blas, A, W, D, Z, G, P, repeats)
                    times[use_blas].append(time.perf_counter() - started)
            ratio = np.array(times[True][1:]) / np.array(times[False][1:])
            q1, median, q3 = np.percentile(ratio, [25, 50, 75])
            print(f"{str((n, k, m)):<20} {name:<16} {median:>8.2f}x [{q1:.2f}-{q3:.2f}]  {_path(which, n, k, m)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
