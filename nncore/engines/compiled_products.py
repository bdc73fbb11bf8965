"""The matrix products of backprop for the ``compiled`` engine: loops where BLAS's fixed cost
dominates, BLAS everywhere else.

For a layer with inputs A (n, fan_in), weights W (fan_in, fan_out), bias b (fan_out,) and
deltas D (n, fan_out):
    forward_product:   Z = A @ W + b                       (n, fan_out)
    weight_gradient:   dW = A.T @ D, db = D.sum(axis=0)    (fan_in, fan_out), (fan_out,)
    delta_back:        D_previous = D @ W.T                (n, fan_in)
A BLAS call costs a few hundred nanoseconds before its first multiply-add (dispatch, packing the
operands), and the bias is one more pass over Z or D. Measured against ``np.dot`` inside numba
(``python -m benchmarks.product_shapes``), generic loops lose to OpenBLAS's small-matrix kernels
almost everywhere; what wins is a loop written for the shape: a fan-in of 1 or 2 (the sin-cos
inputs), where a whole row of Z, or of dW and db together, is built in one pass over contiguous
memory that LLVM vectorizes, and a fan-out of 1 (a single output), where the products are a dot
product per sample, a weighted sum of rows and an outer product.

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
def forward_product(A, W, b, out):
    """out (n, m) <- A (n, k) @ W (k, m) + b (m,)."""
    n, k = A.shape
    m = W.shape[1]
    if k <= 2:  # the sin-cos inputs: each row of out in one pass
        w0, w1 = W[0], W[k - 1]
        for i in range(n):
            row, a0 = out[i], A[i, 0]
            if k == 1:
                for j in range(m):
                    row[j] = b[j] + a0 * w0[j]
            else:
                a1 = A[i, 1]
                for j in range(m):
                    row[j] = b[j] + a0 * w0[j] + a1 * w1[j]
    elif m == 1 and n * k <= LOOP_ROWS:  # one output: a dot product per sample
        w = W.reshape(k)
        for i in range(n):
            a = A[i]
            total = a[0] * w[0]
            for p in range(1, k):
                total += a[p] * w[p]
            out[i, 0] = total + b[0]
    else:
        np.dot(A, W, out)
        for i in range(n):
            row = out[i]
            for j in range(m):
                row[j] += b[j]


@njit(cache=True, fastmath=FAST)
def weight_gradient(A, D, dW, db):
    """dW (k, m) <- A.T @ D and db (m,) <- D.sum(axis=0), for A (n, k), D (n, m)."""
    n, k = A.shape
    m = D.shape[1]
    if k <= 2:  # the sin-cos inputs: dW's rows and db in one pass over each row of D
        g0, g1 = dW[0], dW[k - 1]
        for j in range(m):
            db[j] = 0.0
            g0[j] = 0.0
            g1[j] = 0.0
        for i in range(n):
            d, a0, a1 = D[i], A[i, 0], A[i, k - 1]
            if k == 1:
                for j in range(m):
                    db[j] += d[j]
                    g0[j] += a0 * d[j]
            else:
                for j in range(m):
                    db[j] += d[j]
                    g0[j] += a0 * d[j]
                    g1[j] += a1 * d[j]
        return
    if m == 1 and n * k <= LOOP_ROWS:  # one output: dW[:, 0] = sum_i D[i, 0] A[i]
        column = dW.reshape(k)
        a, d = A[0], D[0, 0]
        total = d
        for p in range(k):
            column[p] = a[p] * d
        for i in range(1, n):
            a, d = A[i], D[i, 0]
            total += d
            for p in range(k):
                column[p] += a[p] * d
        db[0] = total
        return
    np.dot(A.T, D, dW)
    for j in range(m):
        db[j] = D[0, j]
    for i in range(1, n):
        d = D[i]
        for j in range(m):
            db[j] += d[j]


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
