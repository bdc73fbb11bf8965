"""The ``scalar`` engine: pure Python, neuron by neuron, sample by sample.

The style of the classic 2-2-1 toy-network tutorial, generalised to any depth: every weighted sum
is a Python loop over Python floats. It is slow by design: the baseline of the timing study.
Activations and the loss's output gradient are the shared ones, applied once per layer vector.
Python floats are doubles, so a float32 network's sums are accumulated in double precision here
and rounded to float32 where they enter a layer vector or the gradient buffers.
"""
from __future__ import annotations

import numpy as np

from ..network import parameter_views
from .base import Engine


class ScalarEngine(Engine):
    name = "scalar"

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        weights = [W.tolist() for W, _ in net.params]
        biases = [b.tolist() for _, b in net.params]
        grad_w = [[[0.0] * len(row) for row in W] for W in weights]
        grad_b = [[0.0] * len(b) for b in biases]
        acts = net.activations
        loss_sum = 0.0
        for x, y in zip(X, Y):
            # Forward: z_j = sum_i a_i w_ij + b_j, one neuron at a time.
            layer_outputs = [x.tolist()]
            for W, b, act in zip(weights, biases, acts):
                inputs = layer_outputs[-1]
                z = []
                for j in range(len(b)):
                    total = b[j]
                    for i in range(len(inputs)):
                        total += inputs[i] * W[i][j]
                    z.append(total)
                layer_outputs.append(act.forward(np.array(z, dtype=net.dtype)).tolist())
            a_out = np.array(layer_outputs[-1], dtype=net.dtype)
            if compute_loss:
                loss_sum += float(net.loss.per_sample(a_out, y, np.array(z, dtype=net.dtype)))
            delta = net.loss.output_delta(net.output, a_out[None], y[None])[0].tolist()
            # Backward: dL/dw_ij = a_i * delta_j; delta_i = f'(z_i) * sum_j w_ij delta_j.
            for layer in range(len(weights) - 1, -1, -1):
                inputs, W = layer_outputs[layer], weights[layer]
                for j in range(len(delta)):
                    grad_b[layer][j] += delta[j]
                    for i in range(len(inputs)):
                        grad_w[layer][i][j] += inputs[i] * delta[j]
                if layer == 0:
                    break
                back = []
                for i in range(len(inputs)):
                    total = 0.0
                    for j in range(len(delta)):
                        total += W[i][j] * delta[j]
                    back.append(total)
                delta = acts[layer - 1].backward(
                    np.array(inputs, dtype=net.dtype), np.array(back, dtype=net.dtype)).tolist()
        for (dW, db), gw, gb in zip(parameter_views(grads, net.layer_sizes), grad_w, grad_b):
            dW[...] = gw
            db[...] = gb
        grads *= scale
        return loss_sum if compute_loss else None
