"""numba kernels of the ``compiled`` engine; imported only by ``compiled.py``, only when used.

The math is the vectorized engine's, mini-batch by mini-batch: for layer l with inputs A (n, fan_in)
and deltas D = dL/dZ (n, fan_out),
    Z = A @ W + b          dW = A.T @ D        db = D.sum(axis=0)
    D_previous = (D @ W.T) * f'(A)
with the products in ``compiled_products`` (loops when small, BLAS when large) and everything else
(bias, activation, loss, output delta, updates) in compiled loops. Every constant is cast to the
arrays' dtype (``dtype.type``), so float32 networks compute in float32 throughout.

Arrays cross the boundary flat, so that one signature serves every depth:
- ``params`` / ``grads``: the network's parameter vector (each W (fan_in, fan_out) followed by
  its b, layer by layer), and a gradient vector of the same layout;
- ``layout``: int64 (3, layers + 1): row 0 the layer sizes, row 1 where layer l's W starts in
  ``params`` (``param_at``), row 2 the running sum of sizes[1:] (``unit_at``: layer l's block of
  ``outputs`` starts at n * unit_at[l]); computed once per network by ``compiled.py``;
- ``outputs`` / ``deltas``: at least n * sum(layer_sizes[1:]) entries; layer l's block is the
  C-ordered (n, layer_sizes[l + 1]) matrix of its activations (its deltas), blocks one after
  another, so a batch smaller than the buffers simply packs tighter;
- ``logits``: at least n * n_outputs entries, the output layer's pre-activation Z;
- activations and the loss as small integer codes (``ACTIVATION_CODES``, ``LOSS_CODES``).

``cache=True``: numba writes the machine code next to this file (``__pycache__``; or under
``NUMBA_CACHE_DIR``, or the user's cache folder when this folder is read-only), so each machine
compiles once and every later process, loky workers included, loads it. The entry points compile
lazily, per dtype, at their first call: a process that only trains float64 never loads float32.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .compiled_products import delta_back, forward_product, weight_gradient

IDENTITY, RELU, SIGMOID, TANH, SOFTMAX = 0, 1, 2, 3, 4
MSE, SSE, CROSS_ENTROPY, BINARY_CROSS_ENTROPY = 0, 1, 2, 3
ACTIVATION_CODES = {"identity": IDENTITY, "relu": RELU, "sigmoid": SIGMOID, "tanh": TANH,
                    "softmax": SOFTMAX}
LOSS_CODES = {"mse": MSE, "sse": SSE, "cross_entropy": CROSS_ENTROPY,
              "binary_cross_entropy": BINARY_CROSS_ENTROPY}


@njit(cache=True, error_model="numpy")
def _softmax_rows(a):
    """a (n, m) <- softmax of each row of a, in place; the row maximum subtracted so exp() never
    overflows."""
    n, m = a.shape
    for i in range(n):
        top = a[i, 0]
        for j in range(1, m):
            top = max(top, a[i, j])
        total = a.dtype.type(0.0)
        for j in range(m):
            a[i, j] = np.exp(a[i, j] - top)
            total += a[i, j]
        for j in range(m):
            a[i, j] /= total


@njit(cache=True, error_model="numpy")
def _forward_activation(z, a, code):
    """a (n, m) <- f(z) for z (n, m), f given by ``code``; a may be z itself.

    One loop per code, so that the innermost loop has no branch and vectorizes."""
    n, m = z.shape
    zero, half, one = z.dtype.type(0.0), z.dtype.type(0.5), z.dtype.type(1.0)
    if code == SOFTMAX:
        a[:, :] = z
        _softmax_rows(a)
        return
    for i in range(n):
        if code == RELU:
            for j in range(m):
                a[i, j] = max(z[i, j], zero)
        elif code == SIGMOID:
            # 1 / (1 + exp(-v)) == (1 + tanh(v / 2)) / 2, which never overflows.
            for j in range(m):
                a[i, j] = (np.tanh(z[i, j] * half) + one) * half
        elif code == TANH:
            for j in range(m):
                a[i, j] = np.tanh(z[i, j])
        else:  # identity (a copy when a is not z itself)
            for j in range(m):
                a[i, j] = z[i, j]


@njit(cache=True, error_model="numpy")
def _activation_backward(a, d, code):
    """d (n, m) <- d * da/dz in place, from the activation's output a (n, m)."""
    n, m = d.shape
    zero, one = d.dtype.type(0.0), d.dtype.type(1.0)
    if code == IDENTITY:
        return
    for i in range(n):
        if code == SOFTMAX:
            # Jacobian-vector product: a * (d - <d, a>) row by row.
            inner = zero
            for j in range(m):
                inner += d[i, j] * a[i, j]
            for j in range(m):
                d[i, j] = (d[i, j] - inner) * a[i, j]
        elif code == RELU:
            # The derivative at 0 is taken as 0: a == 0 exactly where z <= 0.
            for j in range(m):
                d[i, j] = d[i, j] if a[i, j] > zero else zero
        elif code == SIGMOID:
            for j in range(m):
                d[i, j] *= a[i, j] * (one - a[i, j])
        elif code == TANH:
            for j in range(m):
                d[i, j] *= one - a[i, j] * a[i, j]


@njit(cache=True, error_model="numpy")
def _output_delta(a, y, d, output_code, loss_code, scale):
    """d (n, out) <- scale * dL_i/dz per sample row, for a = output(z) and targets y (n, out)."""
    n, m = a.shape
    real = a.dtype.type
    if loss_code == MSE:
        factor = real(2.0) * scale / real(m)
    elif loss_code == SSE:
        factor = real(2.0) * scale
    else:
        factor = scale  # cross-entropy fused with its softmax / sigmoid output: a - y
    for i in range(n):
        for j in range(m):
            d[i, j] = (a[i, j] - y[i, j]) * factor
    if loss_code == MSE or loss_code == SSE:
        _activation_backward(a, d, output_code)


@njit(cache=True, error_model="numpy")
def _summed_loss(a, z, y, loss_code):
    """sum_i L_i over the rows of a, z (the output's pre-activation) and y, all (n, out)."""
    n, m = a.shape
    zero = a.dtype.type(0.0)
    total = zero
    for i in range(n):
        row = zero
        if loss_code == MSE or loss_code == SSE:
            for j in range(m):
                diff = a[i, j] - y[i, j]
                row += diff * diff
            if loss_code == MSE:
                row /= a.dtype.type(m)
        elif loss_code == CROSS_ENTROPY:
            # -sum y log softmax(z) = sum(y) logsumexp(z) - sum(y z), with the max shifted out.
            top = z[i, 0]
            for j in range(1, m):
                top = max(top, z[i, j])
            exp_sum, y_sum = zero, zero
            for j in range(m):
                exp_sum += np.exp(z[i, j] - top)
                y_sum += y[i, j]
                row -= y[i, j] * z[i, j]
            row += y_sum * (np.log(exp_sum) + top)
        else:
            # -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z, never rounding 1 - a.
            for j in range(m):
                v = z[i, j]
                row += max(v, zero) + np.log1p(np.exp(-abs(v))) - y[i, j] * v
        total += row
    return total


@njit(cache=True, error_model="numpy")
def batch_gradients(params, grads, layout, X, Y, outputs, logits, deltas,
                    hidden_code, output_code, loss_code, scale, compute_loss):
    """Overwrite ``grads`` with scale * sum_i dL_i/dparams over the rows of X (n, in), Y (n, out).

    Returns the summed loss sum_i L_i (unscaled, in the arrays' dtype) when ``compute_loss`` is
    true, else 0. Allocates nothing: every array is a view of the ones passed in.
    """
    n = X.shape[0]
    sizes, param_at, unit_at = layout[0], layout[1], layout[2]
    last = sizes.shape[0] - 2
    scale = X.dtype.type(scale)

    # Forward: each layer's activations into its block of ``outputs``. X and a block are arrays of
    # different numba types (a slice of X may be non-contiguous to numba's eye); one variable
    # holding either would make every product on it take the slow, strided path.
    z = logits[:n * sizes[last + 1]].reshape((n, sizes[last + 1]))
    for layer in range(last + 1):
        fan_in, fan_out, at = sizes[layer], sizes[layer + 1], param_at[layer]
        W = params[at:at + fan_in * fan_out].reshape((fan_in, fan_out))
        b = params[at + fan_in * fan_out:at + (fan_in + 1) * fan_out]
        a = outputs[n * unit_at[layer]:n * unit_at[layer + 1]].reshape((n, fan_out))
        target = a if layer < last else z
        if layer == 0:
            forward_product(X, W, b, target)
        else:
            inputs = outputs[n * unit_at[layer - 1]:n * unit_at[layer]].reshape((n, fan_in))
            forward_product(inputs, W, b, target)
        _forward_activation(target, a, hidden_code if layer < last else output_code)
    loss_sum = _summed_loss(a, z, Y, loss_code) if compute_loss else X.dtype.type(0.0)

    # Backward: every gradient is linear in the output delta, so the scale is applied once there.
    d = deltas[n * unit_at[last]:n * unit_at[last + 1]].reshape((n, sizes[last + 1]))
    _output_delta(a, Y, d, output_code, loss_code, scale)
    for layer in range(last, -1, -1):
        fan_in, fan_out, at = sizes[layer], sizes[layer + 1], param_at[layer]
        dW = grads[at:at + fan_in * fan_out].reshape((fan_in, fan_out))
        db = grads[at + fan_in * fan_out:at + (fan_in + 1) * fan_out]
        if layer == 0:
            weight_gradient(X, d, dW, db)
            break
        inputs = outputs[n * unit_at[layer - 1]:n * unit_at[layer]].reshape((n, fan_in))
        weight_gradient(inputs, d, dW, db)
        W = params[at:at + fan_in * fan_out].reshape((fan_in, fan_out))
        previous = deltas[n * unit_at[layer - 1]:n * unit_at[layer]].reshape((n, fan_in))
        delta_back(d, W, previous)
        _activation_backward(inputs, previous, hidden_code)
        d = previous
    return loss_sum


@njit(cache=True, error_model="numpy")
def sgd_epoch(params, grads, layout, X, Y, batch_size, lr, mean, outputs, logits, deltas,
              hidden_code, output_code, loss_code):
    """One epoch of plain SGD over consecutive batches of X (n, in), Y (n, out), in place.

    Each step is ``nncore.sgd_step``'s: grads <- step * summed gradient with step = lr / rows
    (``mean``) or lr, then params -= grads; the last batch may be smaller.
    """
    n = X.shape[0]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        step = lr / (stop - start) if mean else lr
        batch_gradients(params, grads, layout, X[start:stop], Y[start:stop], outputs, logits,
                        deltas, hidden_code, output_code, loss_code, step, False)
        for k in range(params.shape[0]):
            params[k] -= grads[k]
