"""The matrix products of one training step on their own: the machine's peak for that work.

``nncore.probe.matmul_peak`` times these for a GFLOP/s figure; the benchmarks time them directly,
next to the training steps they bound, so a step's time over theirs is its share of peak.
"""
from __future__ import annotations

import numpy as np

from nncore.probe import training_gemm_shapes


def gemm_operands(layer_sizes, batch_size: int, dtype: str, seed: int = 0):
    """(A (m, k), B (k, n), out (m, n)) for every product of one step, allocated once."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype),
             np.empty((m, n), dtype=dtype)) for m, k, n in training_gemm_shapes(list(layer_sizes), batch_size)]


def run_products(operands) -> None:
    """Every product once, written into its preallocated output: one step's GEMM work."""
    for a, b, out in operands:
        np.matmul(a, b, out=out)
