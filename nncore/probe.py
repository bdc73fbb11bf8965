"""The machine's matmul throughput, so efficiency figures are ratios taken on the same machine.

``training_gemm_shapes`` lists the three products a training step does per layer; ``matmul_peak``
times exactly those shapes, and ``training_flops`` counts what an engine's step must do.
"""
from __future__ import annotations

import time

import numpy as np


def training_flops(layer_sizes: list[int], n_samples: int) -> float:
    """Floating-point operations of the matrix products in forward + backward, for n samples.

    Per layer and sample: 2 fan_in fan_out forward, as much for dW, and as much again for the
    delta sent back (skipped for the first layer, whose inputs need no gradient).
    """
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    per_sample = sum(6 * fi * fo for fi, fo in pairs) - 2 * pairs[0][0] * pairs[0][1]
    return float(per_sample) * n_samples


def training_gemm_shapes(layer_sizes: list[int], batch_size: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of every matrix product in one training step: forward, dW, and delta back."""
    shapes = []
    for layer, (fi, fo) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        shapes.append((batch_size, fi, fo))      # A @ W
        shapes.append((fi, batch_size, fo))      # A.T @ D
        if layer > 0:
            shapes.append((batch_size, fo, fi))  # D @ W.T
    return shapes


def training_bytes(layer_sizes: list[int], batch_size: int, itemsize: int = 8) -> float:
    """Bytes the matrix products of one training step move at least: each (m, k, n) product of
    ``training_gemm_shapes`` reads its two operands and writes its result once."""
    return float(itemsize * sum(m * k + k * n + m * n
                                for m, k, n in training_gemm_shapes(layer_sizes, batch_size)))


def arithmetic_intensity(layer_sizes: list[int], batch_size: int, itemsize: int = 8) -> float:
    """FLOPs per byte moved by one training step's matrix products (the roofline's x axis)."""
    flops = sum(2.0 * m * k * n for m, k, n in training_gemm_shapes(layer_sizes, batch_size))
    return flops / training_bytes(layer_sizes, batch_size, itemsize)


def matmul_peak(shapes: list[tuple[int, int, int]], dtype: str = "float64",
                min_seconds: float = 0.2, seed: int = 0) -> float:
    """GFLOP/s of NumPy matmul over the given (m, k, n) shapes, run back to back.

    Operands are preallocated and products written with ``out=``, so only the BLAS call is
    timed; repeats until ``min_seconds`` and keeps the best of three such rounds.
    """
    rng = np.random.default_rng(seed)
    operands = [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype),
                 np.empty((m, n), dtype=dtype)) for m, k, n in shapes]
    flops = sum(2.0 * m * k * n for m, k, n in shapes)
    for a, b, out in operands:  # warm-up
        np.matmul(a, b, out=out)
    best = np.inf
    for _ in range(3):
        repeats, started = 0, time.perf_counter()
        while True:
            for a, b, out in operands:
                np.matmul(a, b, out=out)
            repeats += 1
            elapsed = time.perf_counter() - started
            if elapsed >= min_seconds:
                break
        best = min(best, elapsed / repeats)
    return flops / best / 1e9


def training_peak(layer_sizes: list[int], batch_size: int, dtype: str = "float64",
                  min_seconds: float = 0.2) -> float:
    """Matmul GFLOP/s on the GEMM shapes of one training step of this network."""
    return matmul_peak(training_gemm_shapes(layer_sizes, batch_size), dtype, min_seconds)
