"""The ``vectorized`` engine: the whole mini-batch at once with matrix products.

For layer l with inputs A[l-1] (n, fan_in) and deltas D[l] = dL/dZ[l] (n, fan_out):
    dW[l] = A[l-1].T @ D[l]        db[l] = D[l].sum(axis=0)
    D[l-1] = (D[l] @ W[l].T) * f'(A[l-1])
Activations and deltas live in buffers allocated once per batch size and reused on every step,
and every NumPy call writes through ``out=``: at batch 10 the cost is the number of calls, at
batch 128 it is the temporaries.
"""
from __future__ import annotations

import numpy as np

from .base import Engine


class _Workspace:
    """Per-layer activation and delta buffers for one batch size."""

    def __init__(self, net, n: int):
        sizes = net.layer_sizes[1:]
        self.outputs = [np.empty((n, size), dtype=net.dtype) for size in sizes]
        self.logits = np.empty((n, sizes[-1]), dtype=net.dtype)  # output layer's z, for the loss
        self.deltas = [np.empty((n, size), dtype=net.dtype) for size in sizes]


class VectorizedEngine(Engine):
    name = "vectorized"

    def __init__(self):
        self._workspaces: dict[tuple, _Workspace] = {}

    def _workspace(self, net, n: int) -> _Workspace:
        key = (n, tuple(net.layer_sizes), net.dtype.str)
        workspace = self._workspaces.get(key)
        if workspace is None:
            workspace = self._workspaces[key] = _Workspace(net, n)
        return workspace

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        work = self._workspace(net, X.shape[0])
        params, acts = net.params, net.activations
        inputs = X
        for layer, ((W, b), act, out) in enumerate(zip(params, acts, work.outputs)):
            z = work.logits if layer == net.n_layers - 1 else out
            np.matmul(inputs, W, out=z)
            z += b
            act.forward(z, out=out)
            inputs = out
        a_out = work.outputs[-1]
        loss_sum = float(net.loss.per_sample(a_out, Y, work.logits).sum()) if compute_loss else None
        delta = net.loss.output_delta(net.output, a_out, Y, out=work.deltas[-1])
        if scale != 1.0:
            delta *= scale  # every gradient below is linear in this delta
        for layer in range(net.n_layers - 1, -1, -1):
            dW, db = grads[layer]
            layer_inputs = work.outputs[layer - 1] if layer > 0 else X
            np.matmul(layer_inputs.T, delta, out=dW)
            np.add.reduce(delta, axis=0, out=db)
            if layer > 0:
                previous = work.deltas[layer - 1]
                np.matmul(delta, params[layer][0].T, out=previous)
                delta = acts[layer - 1].backward(layer_inputs, previous, out=previous)
        return loss_sum
