"""numba kernels of the ``compiled`` engine; imported only by ``compiled.py``, only when used.

The math is the vectorized engine's, mini-batch by mini-batch: for layer l with inputs A (n, fan_in)
and deltas D = dL/dZ (n, fan_out),
    Z = A @ W + b          dW = A.T @ D        db = D.sum(axis=0)
    D_previous = (D @ W.T) * f'(A)
with the products through ``np.dot`` (numba hands them to BLAS with no interpreter in between)
and everything else (bias, activation, loss, output delta, SGD update) in compiled loops.

Arrays cross the boundary flat, so that one signature serves every depth:
- ``params`` / ``grads``: the network's parameter vector (each W (fan_in, fan_out) followed by
  its b, layer by layer), and a gradient vector of the same layout;
- ``outputs`` / ``deltas``: at least n * sum(layer_sizes[1:]) entries; layer l's block is the
  C-ordered (n, layer_sizes[l + 1]) matrix of its activations (its deltas), blocks one after
  another, so a batch smaller than the buffers simply packs tighter;
- ``logits``: at least n * n_outputs entries, the output layer's pre-activation Z;
- activations and the loss as small integer codes (``ACTIVATION_CODES``, ``LOSS_CODES``).

``cache=True``: numba writes the machine code next to this file (``__pycache__``; or under
``NUMBA_CACHE_DIR``, or the user's cache folder when this folder is read-only), so each machine
compiles once per dtype and every later process, loky workers included, loads it.
"""
from __future__ import annotations

import numpy as np
from numba import boolean, float32, float64, int64, njit, void

IDENTITY, RELU, SIGMOID, TANH, SOFTMAX = 0, 1, 2, 3, 4
MSE, SSE, CROSS_ENTROPY, BINARY_CROSS_ENTROPY = 0, 1, 2, 3
ACTIVATION_CODES = {"identity": IDENTITY, "relu": RELU, "sigmoid": SIGMOID, "tanh": TANH,
                    "softmax": SOFTMAX}
LOSS_CODES = {"mse": MSE, "sse": SSE, "cross_entropy": CROSS_ENTROPY,
              "binary_cross_entropy": BINARY_CROSS_ENTROPY}


@njit(cache=True)
def _forward_activation(z, b, a, code):
    """z (n, m) <- z + b and a (n, m) <- f(z + b), f given by ``code``; a may be z itself."""
    n, m = z.shape
    for i in range(n):
        for j in range(m):
            v = z[i, j] + b[j]
            z[i, j] = v
            if code == RELU:
                v = max(v, 0.0)
            elif code == SIGMOID:
                # 1 / (1 + exp(-v)) == (1 + tanh(v / 2)) / 2, which never overflows.
                v = (np.tanh(v * 0.5) + 1.0) * 0.5
            elif code == TANH:
                v = np.tanh(v)
            a[i, j] = v
        if code == SOFTMAX:
            # Subtracting the row maximum keeps exp() from overflowing.
            top = a[i, 0]
            for j in range(1, m):
                top = max(top, a[i, j])
            total = 0.0
            for j in range(m):
                a[i, j] = np.exp(a[i, j] - top)
                total += a[i, j]
            for j in range(m):
                a[i, j] /= total


@njit(cache=True)
def _activation_backward(a, d, code):
    """d (n, m) <- d * da/dz in place, from the activation's output a (n, m)."""
    n, m = d.shape
    if code == IDENTITY:
        return
    for i in range(n):
        if code == SOFTMAX:
            # Jacobian-vector product: a * (d - <d, a>) row by row.
            inner = 0.0
            for j in range(m):
                inner += d[i, j] * a[i, j]
            for j in range(m):
                d[i, j] = (d[i, j] - inner) * a[i, j]
            continue
        for j in range(m):
            if code == RELU:
                # The derivative at 0 is taken as 0: a == 0 exactly where z <= 0.
                if a[i, j] <= 0.0:
                    d[i, j] = 0.0
            elif code == SIGMOID:
                d[i, j] *= a[i, j] * (1.0 - a[i, j])
            elif code == TANH:
                d[i, j] *= 1.0 - a[i, j] * a[i, j]


@njit(cache=True)
def _output_delta(a, y, d, output_code, loss_code, scale):
    """d (n, out) <- scale * dL_i/dz per sample row, for a = output(z) and targets y (n, out)."""
    n, m = a.shape
    if loss_code == MSE:
        factor = 2.0 * scale / m
    elif loss_code == SSE:
        factor = 2.0 * scale
    else:
        factor = scale  # cross-entropy fused with its softmax / sigmoid output: a - y
    for i in range(n):
        for j in range(m):
            d[i, j] = (a[i, j] - y[i, j]) * factor
    if loss_code == MSE or loss_code == SSE:
        _activation_backward(a, d, output_code)


@njit(cache=True)
def _summed_loss(a, z, y, loss_code):
    """sum_i L_i over the rows of a, z (the output's pre-activation) and y, all (n, out)."""
    n, m = a.shape
    total = 0.0
    for i in range(n):
        row = 0.0
        if loss_code == MSE or loss_code == SSE:
            for j in range(m):
                diff = a[i, j] - y[i, j]
                row += diff * diff
            if loss_code == MSE:
                row /= m
        elif loss_code == CROSS_ENTROPY:
            # -sum y log softmax(z) = sum(y) logsumexp(z) - sum(y z), with the max shifted out.
            top = z[i, 0]
            for j in range(1, m):
                top = max(top, z[i, j])
            exp_sum, y_sum = 0.0, 0.0
            for j in range(m):
                exp_sum += np.exp(z[i, j] - top)
                y_sum += y[i, j]
                row -= y[i, j] * z[i, j]
            row += y_sum * (np.log(exp_sum) + top)
        else:
            # -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z, never rounding 1 - a.
            for j in range(m):
                v = z[i, j]
                row += max(v, 0.0) + np.log1p(np.exp(-abs(v))) - y[i, j] * v
        total += row
    return total


def _for_each_dtype(signature):
    """Signatures for float64 and float32 arrays: compiled (or loaded from the cache) when this
    module is imported, so no training step ever waits for the compiler."""
    return [signature(real[::1], real[:, ::1]) for real in (float64, float32)]


@njit(_for_each_dtype(lambda vector, matrix: float64(
    vector, vector, int64[::1], matrix, matrix, vector, vector, vector,
    int64, int64, int64, float64, boolean)), cache=True)
def batch_gradients(params, grads, sizes, X, Y, outputs, logits, deltas,
                    hidden_code, output_code, loss_code, scale, compute_loss):
    """Overwrite ``grads`` with scale * sum_i dL_i/dparams over the rows of X (n, in), Y (n, out).

    Returns the summed loss sum_i L_i (unscaled) when ``compute_loss`` is true, else 0.0.
    """
    n = X.shape[0]
    last = sizes.shape[0] - 2
    param_at = np.zeros(last + 2, np.int64)  # where layer l's W starts in params and grads
    block_at = np.zeros(last + 2, np.int64)  # where its block starts in outputs and deltas
    for layer in range(last + 1):
        param_at[layer + 1] = param_at[layer] + (sizes[layer] + 1) * sizes[layer + 1]
        block_at[layer + 1] = block_at[layer] + n * sizes[layer + 1]

    # Forward: each layer's activations into its block of ``outputs``.
    inputs = X
    for layer in range(last + 1):
        fan_in, fan_out, at = sizes[layer], sizes[layer + 1], param_at[layer]
        W = params[at:at + fan_in * fan_out].reshape((fan_in, fan_out))
        b = params[at + fan_in * fan_out:at + (fan_in + 1) * fan_out]
        a = outputs[block_at[layer]:block_at[layer + 1]].reshape((n, fan_out))
        if layer < last:
            np.dot(inputs, W, a)
            _forward_activation(a, b, a, hidden_code)
        else:
            z = logits[:n * fan_out].reshape((n, fan_out))
            np.dot(inputs, W, z)
            _forward_activation(z, b, a, output_code)
        inputs = a
    loss_sum = _summed_loss(a, z, Y, loss_code) if compute_loss else 0.0

    # Backward: every gradient is linear in the output delta, so the scale is applied once there.
    d = deltas[block_at[last]:block_at[last + 1]].reshape((n, sizes[last + 1]))
    _output_delta(a, Y, d, output_code, loss_code, scale)
    for layer in range(last, -1, -1):
        fan_in, fan_out, at = sizes[layer], sizes[layer + 1], param_at[layer]
        if layer > 0:
            inputs = outputs[block_at[layer - 1]:block_at[layer]].reshape((n, fan_in))
        else:
            inputs = X
        np.dot(inputs.T, d, grads[at:at + fan_in * fan_out].reshape((fan_in, fan_out)))
        db = grads[at + fan_in * fan_out:at + (fan_in + 1) * fan_out]
        db[:] = 0.0
        for i in range(n):
            for j in range(fan_out):
                db[j] += d[i, j]
        if layer > 0:
            W = params[at:at + fan_in * fan_out].reshape((fan_in, fan_out))
            previous = deltas[block_at[layer - 1]:block_at[layer]].reshape((n, fan_in))
            np.dot(d, W.T, previous)
            _activation_backward(inputs, previous, hidden_code)
            d = previous
    return loss_sum


@njit(_for_each_dtype(lambda vector, matrix: void(
    vector, vector, int64[::1], matrix, matrix, int64, float64, boolean, vector, vector, vector,
    int64, int64, int64)), cache=True)
def sgd_epoch(params, grads, sizes, X, Y, batch_size, lr, mean, outputs, logits, deltas,
              hidden_code, output_code, loss_code):
    """One epoch of plain SGD over consecutive batches of X (n, in), Y (n, out), in place.

    Each step is ``nncore.sgd_step``'s: grads <- step * summed gradient with step = lr / rows
    (``mean``) or lr, then params -= grads; the last batch may be smaller.
    """
    n = X.shape[0]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        step = lr / (stop - start) if mean else lr
        batch_gradients(params, grads, sizes, X[start:stop], Y[start:stop], outputs, logits,
                        deltas, hidden_code, output_code, loss_code, step, False)
        for k in range(params.shape[0]):
            params[k] -= grads[k]
