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

Helpers with one caller are inlined at numba's level (``inline="always"``), and so is
``batch_gradients`` into the epoch kernel (``compiled_optimizers.optimizer_epoch``): numba links the code of every function it compiles on
its own into each caller's and optimizes and translates it to machine code there again, so each
level of calls adds a pass over all the code below it (``python -m benchmarks.probes.warmup_compile``:
the default studies' first compilation, docs/measurements.md). Helpers called from several places
stay functions of their own, compiled once.

``cache=True``: numba writes the machine code next to this file (``__pycache__``; or under
``NUMBA_CACHE_DIR``, or the user's cache folder when this folder is read-only), so each machine
compiles once and every later process, loky workers included, loads it. The entry points compile
lazily, per dtype, at their first call: a process that only trains float64 never loads float32.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .compiled_products import (FAST, as_read_only, column_as_vector, delta_back, forward_product,
                                matrix_at, relu_network_output, rows_at_once, weight_gradient)

# numba's cache checks only the file of the function it compiled, while the machine code of these
# kernels holds what they call from compiled_products: this stamp of that file's source (checked by
# tests/test_nncore_compiled_cache.py) makes a change there change this file, so the cache recompiles.
DEPENDS_ON = {"compiled_products.py": "994e3cc967498067"}

IDENTITY, RELU, SIGMOID, TANH, SOFTMAX = 0, 1, 2, 3, 4
MSE, SSE, CROSS_ENTROPY, BINARY_CROSS_ENTROPY = 0, 1, 2, 3
ACTIVATION_CODES = {"identity": IDENTITY, "relu": RELU, "sigmoid": SIGMOID, "tanh": TANH,
                    "softmax": SOFTMAX}
LOSS_CODES = {"mse": MSE, "sse": SSE, "cross_entropy": CROSS_ENTROPY,
              "binary_cross_entropy": BINARY_CROSS_ENTROPY}


@njit(cache=True, error_model="numpy", inline="always")
def _activate(z, code, zero, half, one):
    """f(z) of an elementwise activation: the compiled kernels' one definition of each, written as
    ``nncore.activations`` computes it."""
    if code == RELU:
        return max(z, zero)
    if code == SIGMOID:
        return (np.tanh(z * half) + one) * half
    if code == TANH:
        return np.tanh(z)
    return z


@njit(cache=True, error_model="numpy", inline="always")
def _derivative_from_output(a, code, zero, one):
    """f'(z) of an elementwise activation from its output a = f(z): the compiled kernels' one
    definition of each derivative, as ``nncore.activations`` takes it (ReLU's at 0 is 0)."""
    if code == RELU:
        return one if a > zero else zero
    if code == SIGMOID:
        return a * (one - a)
    if code == TANH:
        return one - a * a
    return one


@njit(cache=True, error_model="numpy", inline="always")
def _softmax_rows(z, a):
    """a (n, m) <- softmax of each row of z (n, m); a may be z itself. The row maximum is
    subtracted so exp() never overflows."""
    n, m = z.shape
    for i in range(n):
        top = z[i, 0]
        for j in range(1, m):
            top = max(top, z[i, j])
        total = a.dtype.type(0.0)
        for j in range(m):
            a[i, j] = np.exp(z[i, j] - top)
            total += a[i, j]
        for j in range(m):
            a[i, j] /= total


@njit(cache=True, error_model="numpy", inline="always")
def _map_rows(z, a, code, zero, half, one):
    """a (n, m) <- ``_activate`` of each entry of z (n, m); a may be z itself. One loop for every
    code: LLVM's loop unswitching hoists the branch on ``code`` out of it and vectorizes each
    copy (ReLU's and the identity's), so numba compiles the loop once, not once per code."""
    n, m = z.shape
    for i in range(n):
        for j in range(m):
            a[i, j] = _activate(z[i, j], code, zero, half, one)


@njit(cache=True, error_model="numpy")
def _forward_activation(z, a, code):
    """a (n, m) <- f(z) for z (n, m), f given by ``code``; a may be z itself."""
    zero, half, one = z.dtype.type(0.0), z.dtype.type(0.5), z.dtype.type(1.0)
    if code == SOFTMAX:  # read from z, not copied first: a[:, :] = z would link numba's
        _softmax_rows(z, a)  # formatted shape-mismatch error, string code that took seconds to compile
    else:
        _map_rows(z, a, code, zero, half, one)


@njit(cache=True, error_model="numpy", inline="always")
def _pull_rows(a, d, code, zero, one):
    """d (n, m) <- d * f'(z) in place, f' from the activation's output a (n, m) by
    ``_derivative_from_output`` (ReLU's 0 or 1, as NumPy's ``grad * (a > 0)``); one loop for
    every code, as ``_map_rows``."""
    n, m = d.shape
    for i in range(n):
        for j in range(m):
            d[i, j] *= _derivative_from_output(a[i, j], code, zero, one)


@njit(cache=True, error_model="numpy")
def _activation_backward(a, d, code):
    """d (n, m) <- d * da/dz in place, from the activation's output a (n, m)."""
    n, m = d.shape
    zero, one = d.dtype.type(0.0), d.dtype.type(1.0)
    if code == SOFTMAX:
        for i in range(n):  # Jacobian-vector product: a * (d - <d, a>) row by row.
            inner = zero
            for j in range(m):
                inner += d[i, j] * a[i, j]
            for j in range(m):
                d[i, j] = (d[i, j] - inner) * a[i, j]
    elif code != IDENTITY:  # the identity's f' is 1: nothing to do
        _pull_rows(a, d, code, zero, one)


@njit(cache=True, error_model="numpy", inline="always")
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
def _fused(sizes, hidden_code):
    """Whether a network runs fused row by row: one or two inputs, one hidden elementwise layer,
    one output (the sin-cos nets)."""
    return sizes.shape[0] == 3 and sizes[0] <= 2 and sizes[2] == 1 and hidden_code != SOFTMAX


@njit(cache=True, error_model="numpy", inline="always")
def _forward(params, layout, X, outputs, logits, hidden_code, output_code, keep_hidden):
    """The forward pass over the rows of X (n, in): every layer's activations into its block of
    ``outputs``; returns (z, a), the output layer's pre-activation and activation (n, out), views
    of ``logits`` and ``outputs``. The sin-cos nets (``_fused``) run ``_forward_small_in_one_out``,
    keeping their hidden activations only when ``keep_hidden`` (backprop needs them); evaluating
    with ReLU, ``relu_network_output`` (its columns in ``outputs`` before a's block); any other
    net layer by layer."""
    n = X.shape[0]
    sizes, param_at, unit_at = layout[0], layout[1], layout[2]
    last = sizes.shape[0] - 2
    z = matrix_at(logits, 0, n, sizes[last + 1])
    a = matrix_at(outputs, n * unit_at[last], n, sizes[last + 1])
    if _fused(sizes, hidden_code):  # W1 (fan_in, width), b1, W2 (width, 1), b2, one after another
        width = sizes[1]
        W1, W2 = matrix_at(params, 0, sizes[0], width), matrix_at(params, param_at[1], width, 1)
        b1, b2 = params[param_at[1] - width:param_at[1]], params[param_at[2] - 1:param_at[2]]
        at_once = rows_at_once(X)
        padded = -(-n // at_once) * at_once
        if not keep_hidden and hidden_code == RELU and 3 * padded <= n * width:  # room before a
            relu_network_output(X, W1, b1, W2, b2, matrix_at(outputs, 0, 3, padded), z)
        else:
            hidden = matrix_at(outputs, 0, n if keep_hidden else 0, width)
            _forward_small_in_one_out(X, W1, b1, W2, b2, hidden, z, hidden_code)
        _forward_activation(z, a, output_code)
    else:
        _forward_layers(params, layout, X, outputs, z, hidden_code, output_code)
    return z, a


@njit(cache=True, error_model="numpy", inline="always")
def batch_gradients(params, grads, layout, X, Y, outputs, logits, deltas,
                    hidden_code, output_code, loss_code, scale, compute_loss):
    """Overwrite ``grads`` with scale * sum_i dL_i/dparams over the rows of X (n, in), Y (n, out).

    Returns the summed loss sum_i L_i (unscaled, in the arrays' dtype) when ``compute_loss`` is
    true, else 0. Allocates nothing: every array is a view of the ones passed in. A network of one
    or two inputs, one hidden layer and one output (the sin-cos nets) runs fused row by row
    (``_forward_small_in_one_out``, ``_backward_small_in_one_out``); any other layer by layer.
    """
    n = X.shape[0]
    sizes, param_at, unit_at = layout[0], layout[1], layout[2]
    last = sizes.shape[0] - 2
    z, a = _forward(params, layout, X, outputs, logits, hidden_code, output_code, n >= 0)  # True
    loss_sum = _summed_loss(a, z, Y, loss_code) if compute_loss else X.dtype.type(0.0)

    # Backward: every gradient is linear in the output delta, so the scale is applied once there.
    d = matrix_at(deltas, n * unit_at[last], n, sizes[last + 1])
    _output_delta(a, Y, d, output_code, loss_code, X.dtype.type(scale))
    if _fused(sizes, hidden_code):
        width = sizes[1]
        _backward_small_in_one_out(X, matrix_at(outputs, 0, n, width), d,
                                   matrix_at(params, param_at[1], width, 1), grads[:param_at[1]],
                                   grads[param_at[1]:param_at[2]], hidden_code)
    else:
        _backward_layers(params, grads, layout, X, outputs, deltas, d, hidden_code)
    return loss_sum


@njit(cache=True, error_model="numpy", inline="always")
def _correct(a, y):
    """How many rows of a (n, out) name the class of the same row of y: a single output above
    0.5 as y's is, or else the row's first largest entry where y's is, as ``nncore.train``
    counts them."""
    n, m = a.shape
    count = 0
    for i in range(n):
        if m == 1:
            count += (a[i, 0] > 0.5) == (y[i, 0] > 0.5)
            continue
        best_a, best_y = 0, 0
        for j in range(1, m):
            if a[i, j] > a[i, best_a] or (a[i, j] != a[i, j] and a[i, best_a] == a[i, best_a]):
                best_a = j  # the first largest, or the first NaN, as np.argmax
            if y[i, j] > y[i, best_y]:
                best_y = j
        count += best_a == best_y
    return count


@njit(cache=True, error_model="numpy")
def evaluate(params, layout, X, Y, chunk, outputs, logits, hidden_code, output_code, loss_code,
             classify):
    """(sum_i L_i in float64, rows classified correctly or 0 unless ``classify``) over X (n, in),
    Y (n, out), forward only, ``chunk`` rows at a time through buffers sized for ``chunk`` rows."""
    n = X.shape[0]
    total, correct = 0.0, 0
    # False, known only at run time: with a constant, numba would compile _forward a second time
    # for it (a literal argument is a type of its own), beside batch_gradients' run-time True.
    keep_hidden = n < 0
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        z, a = _forward(params, layout, X[start:stop], outputs, logits, hidden_code, output_code,
                        keep_hidden)
        total += np.float64(_summed_loss(a, z, Y[start:stop], loss_code))
        if classify:
            correct += _correct(a, Y[start:stop])
    return total, correct


@njit(cache=True, error_model="numpy", inline="always")
def _forward_layers(params, layout, X, outputs, z, hidden_code, output_code):
    """Each layer's activations into its block of ``outputs``, the output layer's pre-activation
    into z (n, n_outputs)."""
    n = X.shape[0]
    sizes, param_at, unit_at = layout[0], layout[1], layout[2]
    last = sizes.shape[0] - 2
    # X and a block are arrays of different numba types (a slice of X may be non-contiguous to
    # numba's eye); one variable holding either would make every product on it take the slow,
    # strided path.
    for layer in range(last + 1):
        fan_in, fan_out, at = sizes[layer], sizes[layer + 1], param_at[layer]
        W = matrix_at(params, at, fan_in, fan_out)
        b = params[at + fan_in * fan_out:at + (fan_in + 1) * fan_out]
        a = matrix_at(outputs, n * unit_at[layer], n, fan_out)
        target = a if layer < last else z
        if layer == 0:
            forward_product(X, W, b, target)
        else:
            inputs = as_read_only(matrix_at(outputs, n * unit_at[layer - 1], n, fan_in))
            forward_product(inputs, W, b, target)
        _forward_activation(target, a, hidden_code if layer < last else output_code)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _forward_small_in_one_out(X, W1, b1, W2, b2, hidden, z, hidden_code):
    """hidden (n, width) <- f(X @ W1 + b1) and z (n, 1) <- hidden @ W2 + b2 for X (n, 1 or 2),
    in one pass over each row of hidden: each hidden unit is added into z as it is made. A hidden
    of no rows, (0, width), keeps none (an evaluation: a third faster than storing them)."""
    n, fan_in = X.shape
    width, keep = hidden.shape[1], hidden.shape[0] > 0
    zero, half, one = hidden.dtype.type(0.0), hidden.dtype.type(0.5), hidden.dtype.type(1.0)
    w0, w1, w2 = W1[0], W1[fan_in - 1], column_as_vector(W2)
    for i in range(n):
        x0 = X[i, 0]
        x1 = X[i, 1] if fan_in == 2 else zero
        total = zero
        for j in range(width):
            h = _activate(b1[j] + x0 * w0[j] + x1 * w1[j], hidden_code, zero, half, one)
            if keep:
                hidden[i, j] = h
            total += h * w2[j]
        z[i, 0] = total + b2[0]


@njit(cache=True, error_model="numpy", inline="always")
def _backward_layers(params, grads, layout, X, outputs, deltas, d, hidden_code):
    """grads <- the gradient of every layer from the output delta d (n, n_outputs), layer by
    layer from the last: dW and db, then the delta sent back through W and f'."""
    n = X.shape[0]
    sizes, param_at, unit_at = layout[0], layout[1], layout[2]
    for layer in range(sizes.shape[0] - 2, -1, -1):
        fan_in, fan_out, at = sizes[layer], sizes[layer + 1], param_at[layer]
        dW = matrix_at(grads, at, fan_in, fan_out)
        db = grads[at + fan_in * fan_out:at + (fan_in + 1) * fan_out]
        if layer == 0:
            weight_gradient(X, d, dW, db)
            break
        inputs = matrix_at(outputs, n * unit_at[layer - 1], n, fan_in)
        weight_gradient(as_read_only(inputs), d, dW, db)
        W = matrix_at(params, at, fan_in, fan_out)
        previous = matrix_at(deltas, n * unit_at[layer - 1], n, fan_in)
        delta_back(d, W, previous)
        _activation_backward(inputs, previous, hidden_code)
        d = previous


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _backward_small_in_one_out(X, hidden, d, W2, first, second, hidden_code):
    """The gradients of a fan_in-width-1 network (fan_in 1 or 2) from its output delta d (n, 1),
    in one pass over each row of the hidden activations (n, width): dW2 and db2 (``second``,
    width + 1 entries), the hidden delta g = d W2.T f'(hidden) and from it dW1 and db1 (``first``,
    (fan_in + 1) width entries). Layer by layer that is four products and f', nine passes a row;
    here g never leaves the registers."""
    n, width = hidden.shape
    fan_in = X.shape[1]
    zero, one = hidden.dtype.type(0.0), hidden.dtype.type(1.0)
    w2 = column_as_vector(W2)
    first[:] = zero
    second[:] = zero
    g0, g1, db1 = first[:width], first[(fan_in - 1) * width:fan_in * width], first[fan_in * width:]
    dW2 = second[:width]
    for i in range(n):
        row, delta, x0, x1 = hidden[i], d[i, 0], X[i, 0], X[i, fan_in - 1]
        second[width] += delta
        for j in range(width):
            dW2[j] += delta * row[j]
            g = delta * w2[j] * _derivative_from_output(row[j], hidden_code, zero, one)
            db1[j] += g
            g0[j] += x0 * g
            if fan_in == 2:
                g1[j] += x1 * g
