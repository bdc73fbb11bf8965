"""numba kernels of the ``compiled`` engine's whole epochs with any update rule of ``nncore.optimizers``.

``optimizer_epoch`` runs every step of an epoch in one call: the batch's gradient
(``compiled_kernels.batch_gradients``), then the rule's update, element by element in one fused
loop, where ``nncore.optimizers`` makes four to six NumPy passes; plain SGD (``FOLDED_SGD``) has
its step size folded into the gradient as ``nncore.train_step`` folds it. Each update is the formula in the
docstring of its class there, in the same order of operations, so trajectories agree with it to
rounding (``tests/test_nncore_compiled.py``). Rules and their hyperparameters arrive as a code
(``RULE_CODES``) and a float64 vector ``hyper`` laid out as ``HYPER_NAMES`` (hyperparameters a
rule lacks are 0); the state vectors are the optimizer's own (``optimizer.state``), updated in
place. Constants are cast to the parameters' dtype, so float32 stays float32.

Decaying state is flushed to zero, as XLA flushes subnormal floats. A state entry whose gradients
stop (a dead ReLU unit's weights: their gradient is exactly 0) decays geometrically: Adam's first
moment, by 0.9 a step, falls below the dtype's smallest normal (2.2e-308 in float64) after ~7,000
steps and stays subnormal for good (0.9 times the smallest subnormal rounds back to itself), and
every later step does the CPU's slow subnormal arithmetic on it (measured: the deep sin-cos net's
Adam epoch 3x slower from epoch ~6 on). So an updated moment below the smallest normal is set to
exactly 0, which changes no parameter by a bit:
- Adam's step is step_size * M / (sqrt(V) + eps_scaled) <= lr * |M| / eps (step_size / eps_scaled =
  lr (1 - b1) / ((1 - b1^t) eps) <= lr / eps): with |M| < 2.2e-308 and eps = 1e-8 under
  lr * 2.2e-300, below half an ulp of any parameter above ~1e-284 in magnitude. A momentum
  buffer's step lr * v is smaller still. When gradients return, a subnormal added to any
  |g| > 2^-969 (~2e-292) rounds away: the flushed and kept state agree again to the bit.
- A second moment (Adam's V, RMSprop's mean of g^2) enters as sqrt(V) < 1.5e-154 beside eps, where
  it rounds away when eps > 2^54 sqrt(smallest normal) (~2.7e-138; in float32 2^25 sqrt(1.2e-38),
  ~3.6e-12). For a smaller eps (0 included, where a flushed V could make 0 / 0) Adam and RMSprop
  keep their moments as they are (``_flush_floor``). Adagrad's sum of squares never decays.
``tests/test_nncore_compiled_optimizers.py`` checks every parameter bit against
``nncore.optimizers`` (which keeps torch.optim's arithmetic) on runs whose state goes subnormal.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .compiled_kernels import batch_gradients

# numba's cache checks only this file; batch_gradients' machine code comes from compiled_kernels:
# its stamp here (tests/test_nncore_compiled_cache.py) makes a change there recompile this file's too.
DEPENDS_ON = {"compiled_kernels.py": "9615484d4f9048d1"}

SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM, ADAMW = range(7)
FOLDED_SGD = -1  # plain SGD with lr folded into the gradient, as ``nncore.train_step`` makes it
RULE_CODES = {"sgd": SGD, "momentum": MOMENTUM, "nesterov": NESTEROV, "adagrad": ADAGRAD,
              "rmsprop": RMSPROP, "adam": ADAM, "adamw": ADAMW}
HYPER_NAMES = ("lr", "weight_decay", "momentum", "alpha", "beta1", "beta2", "eps")
# below these, a float is subnormal: np.finfo(dtype).smallest_normal
SMALLEST_NORMAL_64, SMALLEST_NORMAL_32 = float(np.finfo(np.float64).tiny), float(np.finfo(np.float32).tiny)


@njit(cache=True, error_model="numpy", inline="always")
def _decay_into_gradient(p, g, weight_decay):
    """g += weight_decay * p (coupled L2), skipped at 0 as in ``nncore.optimizers``."""
    if weight_decay != 0:
        for k in range(p.shape[0]):
            g[k] += p[k] * weight_decay


@njit(cache=True, error_model="numpy", inline="always")
def _adam_constants(beta1, beta2, eps, lr, steps):
    """(eps / root, step size) of ``Adam._constants`` at step ``steps``, in float64."""
    root = math.sqrt((1.0 - beta2) / (1.0 - beta2 ** float(steps)))
    return eps / root, lr * (1.0 - beta1) / ((1.0 - beta1 ** float(steps)) * root)


@njit(cache=True, error_model="numpy", inline="always")
def _flushed(value, floor):
    """``value``, or exactly +0 when |value| < ``floor`` (a subnormal at the smallest normal); NaN
    is kept."""
    if abs(value) < floor:
        return value - value
    return value


@njit(cache=True, error_model="numpy", inline="always")
def _flush_floor(p, eps):
    """The smallest normal of p's dtype when ``eps`` is large enough that a subnormal moment
    cannot change a step (sqrt of it below half an ulp of eps), else 0: nothing flushed."""
    if p.itemsize == 8:
        return SMALLEST_NORMAL_64 if math.sqrt(SMALLEST_NORMAL_64) * 2.0 ** 54 < eps else 0.0
    return SMALLEST_NORMAL_32 if math.sqrt(SMALLEST_NORMAL_32) * 2.0 ** 25 < eps else 0.0


@njit(cache=True, error_model="numpy", inline="always")
def apply_rule(rule, p, g, first, second, hyper, steps):
    """One update of p (P,) in place from the gradient g (P,) (overwritten), by rule ``rule`` at
    step number ``steps`` (1-based); ``first``/``second`` are the rule's state vectors (P,), their
    subnormal entries flushed to 0 (see the module's docstring)."""
    real = p.dtype.type
    lr, weight_decay, momentum = real(hyper[0]), real(hyper[1]), real(hyper[2])
    alpha, beta1, beta2, eps = real(hyper[3]), real(hyper[4]), real(hyper[5]), real(hyper[6])
    one = real(1.0)
    smallest = real(SMALLEST_NORMAL_64 if p.itemsize == 8 else SMALLEST_NORMAL_32)
    if rule != ADAMW:
        _decay_into_gradient(p, g, weight_decay)
    if rule == SGD:
        for k in range(p.shape[0]):
            p[k] -= g[k] * lr
    elif rule == MOMENTUM or rule == NESTEROV:
        for k in range(p.shape[0]):
            first[k] = _flushed(first[k] * momentum + g[k], smallest)
            p[k] -= ((g[k] + first[k] * momentum) if rule == NESTEROV else first[k]) * lr
    elif rule == ADAGRAD or rule == RMSPROP:  # Adagrad's sum never decays: a floor of 0 keeps it
        keep, floor = (alpha, real(_flush_floor(p, hyper[6]))) if rule == RMSPROP else (one, real(0.0))
        fresh = real(1.0 - hyper[3])  # 1 - alpha in float64, then cast, as NumPy casts a Python float
        for k in range(p.shape[0]):
            square = g[k] * g[k]
            first[k] = _flushed(first[k] * keep + (square * fresh if rule == RMSPROP else square), floor)
            p[k] -= g[k] / (np.sqrt(first[k]) + eps) * lr
    else:  # adam, adamw: the state holds M = m / (1 - b1) and V = v / (1 - b2), see ``Adam``
        if rule == ADAMW:
            shrink = real(1.0 - hyper[0] * hyper[1])  # in float64, then cast, as in NumPy
            for k in range(p.shape[0]):
                p[k] *= shrink
        eps_scaled, step_size = _adam_constants(hyper[4], hyper[5], hyper[6], hyper[0], steps)
        floor = real(_flush_floor(p, hyper[6]))
        eps_scaled, step_size = real(eps_scaled), real(step_size)
        for k in range(p.shape[0]):
            first[k] = _flushed(first[k] * beta1 + g[k], floor)
            second[k] = _flushed(second[k] * beta2 + g[k] * g[k], floor)
            p[k] -= first[k] / (np.sqrt(second[k]) + eps_scaled) * step_size


@njit(cache=True, error_model="numpy", inline="always")
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
def optimizer_epoch(params, grads, layout, X, Y, order, batch_size, mean, outputs, logits, deltas,
                    x_rows, y_rows, hidden_code, output_code, loss_code, rule, hyper, first, second,
                    steps):
    """One epoch over the batches of X (n, in), Y (n, out) in ``order`` (consecutive rows when it
    is empty; ``batch_rows``), in place, by rule ``rule``; ``steps`` is the optimizer's step count
    before the epoch; returns it after.

    ``FOLDED_SGD`` makes ``nncore.train_step``'s steps of plain SGD: grads <- step * summed
    gradient with step = lr / rows (``mean``) or lr (lr = ``hyper[0]``), then params -= grads; the
    last batch may be smaller. Any other rule takes the batch-mean (``mean``) or summed gradient
    into ``grads``, then ``apply_rule``. One kernel for both, so that numba compiles (and a new
    machine waits for) one whole epoch, not two.
    """
    n = X.shape[0]
    folded = rule == FOLDED_SGD
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        step = hyper[0] if folded else 1.0  # lr folded into the gradient, or the rule's own step
        scale = step / (stop - start) if mean else step
        x, y = batch_rows(X, Y, order, start, stop, x_rows, y_rows)
        batch_gradients(params, grads, layout, x, y, outputs, logits, deltas, hidden_code,
                        output_code, loss_code, scale, False)
        steps += 1
        if folded:
            for k in range(params.shape[0]):
                params[k] -= grads[k]
        else:
            apply_rule(rule, params, grads, first, second, hyper, steps)
    return steps


@njit(cache=True, error_model="numpy")
def sgd_epoch(params, grads, layout, X, Y, order, batch_size, lr, mean, outputs, logits, deltas,
              x_rows, y_rows, hidden_code, output_code, loss_code):
    """One epoch of plain SGD, as ``optimizer_epoch`` makes it with ``FOLDED_SGD`` at step size
    ``lr``. The engine calls ``optimizer_epoch`` itself; this signature is kept for the probes
    that time the plain-SGD epoch by name (compiled only when one calls it)."""
    hyper = np.zeros(len(HYPER_NAMES))
    hyper[0] = lr
    optimizer_epoch(params, grads, layout, X, Y, order, batch_size, mean, outputs, logits, deltas,
                    x_rows, y_rows, hidden_code, output_code, loss_code, FOLDED_SGD, hyper,
                    params[:0], params[:0], 0)
