"""The ``jax`` engine: nncore's network, loss and SGD written in JAX, jit-compiled (the ``jax`` extra).

    nncore.train(net, X, Y, ..., engine=JaxEngine())     # or engine = "nnstudy_engines.jax_engine:JaxEngine"

Gradients come from ``jax.value_and_grad`` of the summed loss, so they are JAX's, not a copy of
nncore's backprop: that is what makes the engine a peer. Everything runs in float64 (``jax_enable_x64``)
unless the network is float32. The whole-epoch path, ``train_epoch`` (plain SGD), is one jit-compiled function that
runs ``lax.scan`` over the epoch's full batches (the last, smaller batch is one more jit call), the way a
JAX user writes a training loop; ``epoch_function`` gives the benchmarks the same epoch on device
arrays, with no copies between NumPy and JAX inside the timed call.

Compiling is what costs here: XLA compiles each function once per configuration (activation,
output, loss) and per array shape and dtype, about 0.1-0.5 s each, while a scanned step takes
microseconds. The jitted functions are made once per configuration (``_functions``) and jit keeps
one executable per shape, so a network is never re-jitted; and, as numba's ``cache=True`` does for
the ``compiled`` engine, the executables go to a persistent cache on disk (``compilation_cache``),
so that a second process (a sweep's next worker, the next ``nnstudy check-engine jax``) loads them
instead of compiling again.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (after the x64 switch, so arrays default to float64)
from jax import lax  # noqa: E402

from nncore.engines import Engine  # noqa: E402

CACHE_VARIABLE = "NNSTUDY_JAX_CACHE"  # a folder for the compilation cache, or "off"


def compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache, unless the user configured one already or set
    ``NNSTUDY_JAX_CACHE=off``: in ``$NNSTUDY_JAX_CACHE``, else ``$XDG_CACHE_HOME/nnstudy/jax``
    (``~/.cache/nnstudy/jax``). Every executable is cached, however quick its compile (JAX's
    default keeps only those over a second, and ours take less). Returns the folder, or None."""
    configured = jax.config.jax_compilation_cache_dir
    setting = os.environ.get(CACHE_VARIABLE, "")
    if configured or setting.lower() == "off":
        return Path(configured) if configured else None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = Path(setting) if setting else base / "nnstudy" / "jax"
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return folder


compilation_cache()

ACTIVATIONS = {
    "identity": lambda z: z,
    "relu": jax.nn.relu,  # derivative 0 at 0, as nncore's
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softmax": lambda z: jax.nn.softmax(z, axis=-1),
}


def _summed_loss(loss: str, a, z, y):
    """sum_i L_i over the rows of a = output(z), z and y, all (n, out), as ``nncore.losses``."""
    if loss == "mse":
        return jnp.sum((a - y) ** 2) / a.shape[-1]
    if loss == "sse":
        return jnp.sum((a - y) ** 2)
    if loss == "cross_entropy":  # from the logits: sum(y) logsumexp(z) - sum(y z)
        return jnp.sum(jnp.sum(y, axis=-1) * jax.nn.logsumexp(z, axis=-1)) - jnp.sum(y * z)
    return jnp.sum(jnp.logaddexp(0.0, z) - y * z)  # binary cross-entropy from the logits


@lru_cache(maxsize=None)
def _functions(activation: str, output: str, loss: str):
    """(value_and_grad of the summed loss, a whole SGD epoch) for one configuration, each
    jit-compiled once (jit then keeps one executable per array shape and dtype); params is a
    tuple of (W (fan_in, fan_out), b (fan_out,)) pairs."""
    hidden, last = ACTIVATIONS[activation], ACTIVATIONS[output]

    def summed_loss(params, X, Y):
        a = X
        for W, b in params[:-1]:
            a = hidden(a @ W + b)
        W, b = params[-1]
        z = a @ W + b
        return _summed_loss(loss, last(z), z, Y)

    def step(params, X, Y, step_size):
        grads = jax.grad(summed_loss)(params, X, Y)
        return jax.tree_util.tree_map(lambda p, g: p - step_size * g, params, grads)

    def epoch(params, X_batches, Y_batches, rest_X, rest_Y, full_step, rest_step):
        """``lax.scan`` over the full batches (batches, batch, in), then the smaller last batch
        (rows, in), if any: one compiled call per epoch (shapes are static under jit)."""
        def body(carry, batch):
            return step(carry, *batch, full_step), None
        if X_batches.shape[0]:
            params = lax.scan(body, params, (X_batches, Y_batches))[0]
        if rest_X.shape[0]:
            params = step(params, rest_X, rest_Y, rest_step)
        return params

    return jax.jit(jax.value_and_grad(summed_loss)), jax.jit(epoch)


def _as_pairs(net, flat=None):
    """The network's parameters as a tuple of JAX (W, b) pairs (copies)."""
    sizes, flat = net.layer_sizes, net.flat_params() if flat is None else flat
    pairs, at = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = flat[at:at + fan_in * fan_out].reshape(fan_in, fan_out)
        at += fan_in * fan_out
        pairs.append((jnp.asarray(W), jnp.asarray(flat[at:at + fan_out])))
        at += fan_out
    return tuple(pairs)


def _write_flat(pairs, out: np.ndarray) -> None:
    """Copy JAX (W, b) pairs into the flat vector ``out`` laid out like ``net.flat_params()``."""
    at = 0
    for W, b in pairs:
        for array in (W, b):
            values = np.asarray(array).ravel()
            out[at:at + values.size] = values
            at += values.size


class JaxEngine(Engine):
    """The engine protocol in JAX: ``summed_gradients`` and the whole-epoch ``train_epoch``.

    It subclasses nncore's ``Engine`` so that ``nncore.train`` accepts an instance as it is; the
    protocol itself is duck-typed.
    """

    name = "jax"
    supports = {"activation": ("relu", "sigmoid", "tanh", "identity"),
                "output": tuple(ACTIVATIONS), "loss": ("mse", "sse", "cross_entropy", "binary_cross_entropy"),
                "dtype": ("float64", "float32"), "reduction": ("mean", "sum")}

    @staticmethod
    def _functions(net):
        return _functions(net.activation.name, net.output.name, net.loss.name)

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        """Overwrite ``grads`` (laid out like ``net.flat_params()``) with scale x the summed
        per-sample gradients over X (n, in), Y (n, out); the summed loss or None."""
        value_and_grad = self._functions(net)[0]
        loss_sum, pair_grads = value_and_grad(_as_pairs(net), jnp.asarray(X), jnp.asarray(Y))
        _write_flat(pair_grads, grads)
        if scale != 1.0:
            grads *= scale
        return float(loss_sum) if compute_loss else None

    def epoch_function(self, net, X: np.ndarray, Y: np.ndarray, batch_size: int, lr: float,
                       reduction: str):
        """A callable running one plain-SGD epoch over consecutive batches of X (n, in), Y (n, out)
        on JAX arrays held inside it (no NumPy copies per call), and a ``write_back(net)`` that
        copies the trained parameters into ``net``: ``(epoch, write_back)``."""
        epoch = self._functions(net)[1]
        n, dtype = X.shape[0], net.dtype
        full = n // batch_size
        scan_X = jnp.asarray(X[:full * batch_size].reshape(full, batch_size, X.shape[1]))
        scan_Y = jnp.asarray(Y[:full * batch_size].reshape(full, batch_size, Y.shape[1]))
        rest_X, rest_Y = jnp.asarray(X[full * batch_size:]), jnp.asarray(Y[full * batch_size:])
        full_step = jnp.asarray(lr / batch_size if reduction == "mean" else lr, dtype=dtype)
        rest_step = jnp.asarray(lr / max(n - full * batch_size, 1) if reduction == "mean" else lr,
                                dtype=dtype)
        state = {"params": _as_pairs(net)}

        def run_epoch():
            state["params"] = jax.block_until_ready(
                epoch(state["params"], scan_X, scan_Y, rest_X, rest_Y, full_step, rest_step))

        def write_back(target) -> None:
            _write_flat(state["params"], target.flat_params())

        return run_epoch, write_back

    def train_epoch(self, net, X: np.ndarray, Y: np.ndarray, batch_size: int, optimizer,
                    reduction: str, grads: np.ndarray, order: np.ndarray | None = None) -> bool:
        """Plain-SGD steps over the batches of X (n, in), Y (n, out) in ``order`` (consecutive
        rows when None), in place: the steps ``nncore.train_step`` makes with this engine, to
        float rounding; False, changing nothing, for any other update rule. ``grads`` is unused."""
        if not optimizer.folds_into_gradient:
            return False
        if order is not None:  # the arrays cross into JAX once per epoch anyway
            X, Y = X[order], Y[order]
        run_epoch, write_back = self.epoch_function(net, X, Y, batch_size, optimizer.lr, reduction)
        run_epoch()
        write_back(net)
        return True
