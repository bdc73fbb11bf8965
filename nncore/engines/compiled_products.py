"""The three matrix products of backprop for the ``compiled`` engine: loops where BLAS's fixed cost
dominates, BLAS everywhere else.

For a layer with inputs A (n, fan_in), weights W (fan_in, fan_out) and deltas D (n, fan_out):
    forward_product:   Z = A @ W              (n, fan_out)
    weight_gradient:   dW = A.T @ D           (fan_in, fan_out)
    delta_back:        D_previous = D @ W.T   (n, fan_in)
A BLAS call costs a few hundred nanoseconds before its first multiply-add (dispatch, packing the
operands). Measured against ``np.dot`` inside numba (``python -m benchmarks.product_shapes``),
loops whose innermost index walks one contiguous row (so LLVM vectorizes them) win only where the
fan-out is 1 (a single output: an outer product back, a dot product per sample forward), 1.1-2x;
at fan-in 2 and fan-out 100 OpenBLAS's small-matrix kernels beat them (loops at 0.3-0.9x of its
speed), so every other shape goes to BLAS.

``fastmath`` is limited to reassociation and fused multiply-add (``FAST``): reordering a sum of a few
hundred terms moves its last bits (the engines agree to 1e-10), while NaN and infinity keep their
IEEE meaning, so a diverging run still shows NaN.
"""
from __future__ import annotations

import numpy as np
from numba import njit

FAST = {"reassoc", "contract"}
LOOP_ROWS = 1000    # n * fan_in up to which a single-output product runs as loops


@njit(cache=True, fastmath=FAST)
def forward_product(A, W, out):
    """out (n, m) <- A (n, k) @ W (k, m)."""
    n, k = A.shape
    m = W.shape[1]
    if m == 1 and n * k <= LOOP_ROWS:  # one output: a dot product per sample
        w = W.reshape(k)
        for i in range(n):
            a = A[i]
            total = a[0] * w[0]
            for p in range(1, k):
                total += a[p] * w[p]
            out[i, 0] = total
    else:
        np.dot(A, W, out)


@njit(cache=True, fastmath=FAST)
def weight_gradient(A, D, out):
    """out (k, m) <- A.T @ D for A (n, k), D (n, m)."""
    n, k = A.shape
    m = D.shape[1]
    if m == 1 and n * k <= LOOP_ROWS:  # one output: out[:, 0] = sum_i D[i, 0] A[i]
        column = out.reshape(k)
        a, d = A[0], D[0, 0]
        for p in range(k):
            column[p] = a[p] * d
        for i in range(1, n):
            a, d = A[i], D[i, 0]
            for p in range(k):
                column[p] += a[p] * d
    else:
        np.dot(A.T, D, out)


@njit(cache=True, fastmath=FAST)
def delta_back(D, W, out):
    """out (n, k) <- D (n, m) @ W.T for W (k, m)."""
    n, m = D.shape
    k = W.shape[0]
    if m == 1:  # one output: an outer product
        w = W.reshape(k)
        for i in range(n):
            row, d = out[i], D[i, 0]
            for p in range(k):
                row[p] = d * w[p]
    else:
        np.dot(D, W.T, out)
