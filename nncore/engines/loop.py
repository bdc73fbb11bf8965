"""The ``loop`` engine: one sample at a time with NumPy vectors (Nielsen's ``network.py`` style).

A sample goes forward, its error goes back, its gradients are added to the batch's sums.
"""
from __future__ import annotations

import numpy as np

from ..network import parameter_views
from .base import Engine


class LoopEngine(Engine):
    name = "loop"

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        grads.fill(0)
        pairs = parameter_views(grads, net.layer_sizes)
        acts = net.activations
        loss_sum = 0.0
        for x, y in zip(X, Y):
            layer_outputs = [x]
            for (W, b), act in zip(net.params, acts):
                z = layer_outputs[-1] @ W + b
                layer_outputs.append(act.forward(z))
            if compute_loss:
                loss_sum += float(net.loss.per_sample(layer_outputs[-1], y, z))
            delta = net.loss.output_delta(net.output, layer_outputs[-1], y)
            for layer in range(net.n_layers - 1, -1, -1):
                dW, db = pairs[layer]
                dW += np.outer(layer_outputs[layer], delta)
                db += delta
                if layer > 0:
                    W = net.params[layer][0]
                    delta = acts[layer - 1].backward(layer_outputs[layer], W @ delta)
        grads *= scale
        return loss_sum if compute_loss else None
