"""The ``vectorized`` engine: the whole mini-batch at once with matrix products.

For layer l with inputs A (n, fan_in) and deltas D = dL/dZ (n, fan_out):
    Z = A @ W + b          dW = A.T @ D        db = D.sum(axis=0)
    D_previous = (D @ W.T) * f'(A)
Two things keep the per-step cost at the BLAS calls themselves:
- The bias trick. Each layer's inputs are stored with an extra column of ones, and W and b sit
  one after the other in the parameter vector (and in the gradient vector, laid out alike), so
  ``[W; b]`` is one (fan_in + 1, fan_out) view: ``stacked_views``, this engine's own view of
  that layout. Then ``[A, 1] @ [W; b]`` is the forward product with its bias, and
  ``[A, 1].T @ D`` writes dW and db in one product (db is the sum of D's rows). The previous
  layer's product writes A into the buffer's first columns: a view with a row stride of
  fan_in + 1, which BLAS takes as it is. (Fortran-ordered buffers would make A contiguous, but
  then ReLU's backward mixes layouts with the C-ordered deltas: measured 8% slower on the
  784-1024-1024-10 step with OpenBLAS's AVX-512 kernels.)
- Buffers are allocated once per batch size and reused, and every call writes through ``out=``:
  at batch 10 the cost is the number of NumPy calls, at batch 128 it is the temporaries.
"""
from __future__ import annotations

import numpy as np

from .base import Engine, EpochRows, Workspaces


def stacked_views(flat: np.ndarray, layer_sizes: list[int]) -> list[np.ndarray]:
    """Each layer's ``[W; b]``, shape (fan_in + 1, fan_out), as a view into the parameter (or
    gradient) vector ``flat``: ``parameter_views`` puts b right after W, so b is one more row."""
    views, offset = [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        size = (fan_in + 1) * fan_out
        views.append(flat[offset:offset + size].reshape(fan_in + 1, fan_out))
        offset += size
    return views


class _StackedViews:
    """``stacked_views`` of the vector last seen, remade only when another vector comes along:
    making them costs ~0.6 us a layer, a few percent of a batch-10 step. Holding only the last
    vector keeps no old parameter or gradient vector alive."""

    def __init__(self, layer_sizes: list[int]):
        self.layer_sizes = layer_sizes
        self.vector: np.ndarray | None = None
        self.views: list[np.ndarray] = []

    def of(self, vector: np.ndarray) -> list[np.ndarray]:
        if vector is not self.vector:
            self.vector, self.views = vector, stacked_views(vector, self.layer_sizes)
        return self.views


class _Workspace:
    """Per-layer buffers for one network layout and batch size."""

    def __init__(self, net, n: int):
        sizes = net.layer_sizes
        # inputs[l] is [A_l, 1]: layer l's inputs followed by a column of ones.
        self.inputs = [np.ones((n, size + 1), dtype=net.dtype) for size in sizes[:-1]]
        self.logits = np.empty((n, sizes[-1]), dtype=net.dtype)
        self.outputs = self.logits if net.output.name == "identity" else np.empty_like(self.logits)
        self.deltas = [np.empty((n, size), dtype=net.dtype) for size in sizes[1:]]
        self.weights, self.gradients = _StackedViews(sizes), _StackedViews(sizes)


class VectorizedEngine(Engine):
    name = "vectorized"

    def __init__(self):
        self.workspaces = Workspaces(_Workspace)
        self.rows = EpochRows()

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        work = self.workspaces.for_batch(net, X.shape[0])
        return self._gradients(net, work, work.weights.of(net.flat_params()), work.gradients.of(grads),
                               net.activations, X, Y, compute_loss, scale)

    def train_epoch(self, net, X: np.ndarray, Y: np.ndarray, batch_size: int, optimizer,
                    reduction: str, grads: np.ndarray, order: np.ndarray | None = None) -> bool:
        """The steps ``nncore.train_step`` makes on the batches of X (n, in), Y (n, out) in
        ``order`` (consecutive rows when None) with ``optimizer`` at its current ``lr``, to the
        bit: the same NumPy calls in the same order. What is done once per epoch here instead of
        once per step (the parameter vector's check, the workspace lookup, the layers' views and
        activations) was a fifth of a step at 2-100-1, batch 10, where a step is ~25 NumPy calls.
        The rows are gathered in ``order`` once per epoch into reused buffers (``EpochRows``): two
        NumPy calls a batch to gather them there would cost more than the copy."""
        X, Y = self.rows.of(X, Y, order)
        params, acts, rows = net.flat_params(), net.activations, X.shape[0]
        full = self.workspaces.for_batch(net, min(batch_size, rows))
        for start in range(0, rows, batch_size):
            X_batch, Y_batch = X[start:start + batch_size], Y[start:start + batch_size]
            n = X_batch.shape[0]
            work = full if n == batch_size or n == rows else self.workspaces.for_batch(net, n)
            weights, gradients = work.weights.of(params), work.gradients.of(grads)
            if optimizer.folds_into_gradient:   # as train_step: lr (/ n) folded into the gradient
                step = optimizer.lr / n if reduction == "mean" else optimizer.lr
                self._gradients(net, work, weights, gradients, acts, X_batch, Y_batch, False, step)
                params -= grads
            else:
                scale = 1.0 / n if reduction == "mean" else 1.0
                self._gradients(net, work, weights, gradients, acts, X_batch, Y_batch, False, scale)
                optimizer.step(params, grads)
        return True

    @staticmethod
    def _gradients(net, work: _Workspace, weights: list[np.ndarray], gradients: list[np.ndarray],
                   acts, X: np.ndarray, Y: np.ndarray, compute_loss: bool, scale: float) -> float | None:
        """``summed_gradients`` on a workspace for X's rows, with ``weights`` and ``gradients``
        the ``stacked_views`` of the parameter and gradient vectors and ``acts`` the network's
        activations: the loss sum (None unless ``compute_loss``)."""
        last = net.n_layers - 1
        np.copyto(work.inputs[0][:, :-1], X)
        for layer in range(last):
            z = work.inputs[layer + 1][:, :-1]
            np.matmul(work.inputs[layer], weights[layer], out=z)
            acts[layer].forward(z, out=z)
        np.matmul(work.inputs[last], weights[last], out=work.logits)
        a_out = net.output.forward(work.logits, out=work.outputs)
        loss_sum = float(net.loss.per_sample(a_out, Y, work.logits).sum()) if compute_loss else None

        # Every gradient below is linear in the output delta: the scale is applied once, here.
        delta = net.loss.output_delta(net.output, a_out, Y, out=work.deltas[last], scale=scale)
        for layer in range(last, -1, -1):
            np.matmul(work.inputs[layer].T, delta, out=gradients[layer])
            if layer > 0:
                previous = work.deltas[layer - 1]
                np.matmul(delta, weights[layer][:-1].T, out=previous)
                delta = acts[layer - 1].backward(work.inputs[layer][:, :-1], previous, out=previous)
        return loss_sum
