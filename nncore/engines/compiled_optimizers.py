"""numba kernels of the ``compiled`` engine's whole epochs with any update rule of ``nncore.optimizers``.

``sgd_epoch`` runs an epoch of plain SGD in one call, the step size folded into the gradient as
``nncore.train_step`` folds it; ``optimizer_epoch`` runs every step of an epoch in one call: the batch's gradient
(``compiled_kernels.batch_gradients``), then the rule's update, element by element in one fused
loop, where ``nncore.optimizers`` makes four to six NumPy passes. Each update is the formula in the
docstring of its class there, in the same order of operations, so trajectories agree with it to
rounding (``tests/test_nncore_compiled.py``). Rules and their hyperparameters arrive as a code
(``RULE_CODES``) and a float64 vector ``hyper`` laid out as ``HYPER_NAMES`` (hyperparameters a
rule lacks are 0); the state vectors are the optimizer's own (``optimizer.state``), updated in
place. Constants are cast to the parameters' dtype, so float32 stays float32.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .compiled_kernels import batch_gradients

# numba's cache checks only this file; batch_gradients' machine code comes from compiled_kernels:
# its stamp here (tests/test_nncore_compiled_cache.py) makes a change there recompile this file's too.
DEPENDS_ON = {"compiled_kernels.py": "a9e43bbbe375788c"}

SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM, ADAMW = range(7)
RULE_CODES = {"sgd": SGD, "momentum": MOMENTUM, "nesterov": NESTEROV, "adagrad": ADAGRAD,
              "rmsprop": RMSPROP, "adam": ADAM, "adamw": ADAMW}
HYPER_NAMES = ("lr", "weight_decay", "momentum", "alpha", "beta1", "beta2", "eps")


@njit(cache=True, error_model="numpy")
def _decay_into_gradient(p, g, weight_decay):
    """g += weight_decay * p (coupled L2), skipped at 0 as in ``nncore.optimizers``."""
    if weight_decay != 0:
        for k in range(p.shape[0]):
            g[k] += p[k] * weight_decay


@njit(cache=True, error_model="numpy")
def _adam_constants(beta1, beta2, eps, lr, steps):
    """(eps / root, step size) of ``Adam._constants`` at step ``steps``, in float64."""
    root = math.sqrt((1.0 - beta2) / (1.0 - beta2 ** float(steps)))
    return eps / root, lr * (1.0 - beta1) / ((1.0 - beta1 ** float(steps)) * root)


@njit(cache=True, error_model="numpy")
def apply_rule(rule, p, g, first, second, hyper, steps):
    """One update of p (P,) in place from the gradient g (P,) (overwritten), by rule ``rule`` at
    step number ``steps`` (1-based); ``first``/``second`` are the rule's state vectors (P,)."""
    real = p.dtype.type
    lr, weight_decay, momentum = real(hyper[0]), real(hyper[1]), real(hyper[2])
    alpha, beta1, beta2, eps = real(hyper[3]), real(hyper[4]), real(hyper[5]), real(hyper[6])
    one = real(1.0)
    if rule != ADAMW:
        _decay_into_gradient(p, g, weight_decay)
    if rule == SGD:
        for k in range(p.shape[0]):
            p[k] -= g[k] * lr
    elif rule == MOMENTUM:
        for k in range(p.shape[0]):
            first[k] = first[k] * momentum + g[k]
            p[k] -= first[k] * lr
    elif rule == NESTEROV:
        for k in range(p.shape[0]):
            first[k] = first[k] * momentum + g[k]
            p[k] -= (g[k] + first[k] * momentum) * lr
    elif rule == ADAGRAD or rule == RMSPROP:
        keep = alpha if rule == RMSPROP else one
        for k in range(p.shape[0]):
            square = g[k] * g[k]
            first[k] = first[k] * keep + (square * (one - alpha) if rule == RMSPROP else square)
            p[k] -= g[k] / (np.sqrt(first[k]) + eps) * lr
    else:  # adam, adamw: the state holds M = m / (1 - b1) and V = v / (1 - b2), see ``Adam``
        if rule == ADAMW:
            shrink = one - lr * weight_decay
            for k in range(p.shape[0]):
                p[k] *= shrink
        eps_scaled, step_size = _adam_constants(hyper[4], hyper[5], hyper[6], hyper[0], steps)
        eps_scaled, step_size = real(eps_scaled), real(step_size)
        for k in range(p.shape[0]):
            first[k] = first[k] * beta1 + g[k]
            second[k] = second[k] * beta2 + g[k] * g[k]
            p[k] -= first[k] / (np.sqrt(second[k]) + eps_scaled) * step_size


@njit(cache=True, error_model="numpy")
def batch_rows(X, Y, order, start, stop, x_rows, y_rows):
    """The batch of rows start:stop: of X and Y themselves when ``order`` is empty, else their
    rows order[start:stop] gathered into the first stop - start rows of x_rows and y_rows
    (buffers of at least as many rows): the epoch's order without a copy of X and Y."""
    if order.shape[0] == 0:
        return X[start:stop], Y[start:stop]
    rows = stop - start
    for i in range(rows):
        row = order[start + i]
        for j in range(X.shape[1]):
            x_rows[i, j] = X[row, j]
        for j in range(Y.shape[1]):
            y_rows[i, j] = Y[row, j]
    return x_rows[:rows], y_rows[:rows]


@njit(cache=True, error_model="numpy")
def sgd_epoch(params, grads, layout, X, Y, order, batch_size, lr, mean, outputs, logits, deltas,
              x_rows, y_rows, hidden_code, output_code, loss_code):
    """One epoch of plain SGD over the batches of X (n, in), Y (n, out) in ``order`` (consecutive
    rows when it is empty; see ``batch_rows``), in place.

    Each step is ``nncore.train_step``'s for plain SGD: grads <- step * summed gradient with
    step = lr / rows (``mean``) or lr, then params -= grads; the last batch may be smaller.
    """
    n = X.shape[0]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        step = lr / (stop - start) if mean else lr
        x, y = batch_rows(X, Y, order, start, stop, x_rows, y_rows)
        batch_gradients(params, grads, layout, x, y, outputs, logits, deltas, hidden_code,
                        output_code, loss_code, step, False)
        for k in range(params.shape[0]):
            params[k] -= grads[k]


@njit(cache=True, error_model="numpy")
def optimizer_epoch(params, grads, layout, X, Y, order, batch_size, mean, outputs, logits, deltas,
                    x_rows, y_rows, hidden_code, output_code, loss_code, rule, hyper, first, second,
                    steps):
    """One epoch over the batches of X (n, in), Y (n, out) in ``order`` (consecutive rows when it
    is empty; ``compiled_kernels.batch_rows``), in place: per batch the batch-mean (``mean``) or
    summed gradient into ``grads``, then ``apply_rule``. ``steps`` is the optimizer's step count
    before the epoch; returns it after."""
    n = X.shape[0]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        scale = 1.0 / (stop - start) if mean else 1.0
        x, y = batch_rows(X, Y, order, start, stop, x_rows, y_rows)
        batch_gradients(params, grads, layout, x, y, outputs, logits, deltas, hidden_code,
                        output_code, loss_code, scale, False)
        steps += 1
        apply_rule(rule, params, grads, first, second, hyper, steps)
    return steps
