"""An engine written the way the classic tutorials write a network: layer objects, each with a
``forward`` that remembers what its ``backward`` needs, chained one way and then the other.

nnstudy needs nothing from this file but the engine protocol (no subclassing, no registration):
a ``name``, ``summed_gradients(net, X, Y, grads, compute_loss=True, scale=1.0)`` and, optionally,
``supports``. Name it in a spec as ``engine = "mymodule:MyEngine"`` with this folder on
PYTHONPATH, and check it with ``nnstudy check-engine mymodule:MyEngine``.
"""
import numpy as np

from nncore.network import parameter_views


class Dense:
    """z = x @ W + b for a batch x (n, fan_in); W (fan_in, fan_out), b (fan_out,)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_z):
        """grad_z = dL/dz (n, fan_out); sets dW, db and returns dL/dx (n, fan_in)."""
        self.dW = self.x.T @ grad_z
        self.db = grad_z.sum(axis=0)
        return grad_z @ self.W.T


class ReLU:
    def forward(self, z):
        self.mask = z > 0  # the derivative at 0 is taken as 0
        return z * self.mask

    def backward(self, grad):
        return grad * self.mask


class Tanh:
    def forward(self, z):
        self.a = np.tanh(z)
        return self.a

    def backward(self, grad):
        return grad * (1 - self.a ** 2)


class Sigmoid:
    def forward(self, z):
        self.a = 1 / (1 + np.exp(-z))
        return self.a

    def backward(self, grad):
        return grad * self.a * (1 - self.a)


class Softmax:
    def forward(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))  # exp() of the raw z could overflow
        self.a = e / e.sum(axis=1, keepdims=True)
        return self.a

    def backward(self, grad):
        # Jacobian-vector product, row by row: a * (grad - <grad, a>)
        return self.a * (grad - (grad * self.a).sum(axis=1, keepdims=True))


class Identity:
    def forward(self, z):
        return z

    def backward(self, grad):
        return grad


class MeanSquaredError:
    """Per sample, the mean over the outputs of (a - y)^2; summed over the batch."""

    def forward(self, a, y):
        self.diff = a - y
        return float((self.diff ** 2).sum() / a.shape[1])

    def backward(self):
        return 2 * self.diff / self.diff.shape[1]


class SoftmaxCrossEntropy:
    """Softmax of the logits z and cross-entropy against one-hot y, as one layer: dL/dz = p - y."""

    def forward(self, z, y):
        shifted = z - z.max(axis=1, keepdims=True)  # exp() of the raw logits could overflow
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.p, self.y = np.exp(log_p), y
        return float(-(y * log_p).sum())

    def backward(self):
        return self.p - self.y


class MyEngine:
    name = "mine"
    # What this engine implements; nnstudy refuses any other configuration at spec time.
    supports = {"activation": ("relu", "tanh", "sigmoid"), "output": ("identity", "softmax"),
                "loss": ("mse", "cross_entropy")}
    dense = Dense
    activations = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity,
                   "softmax": Softmax}

    def build(self, net):
        """The network as a list of layers and its loss layer."""
        layers = []
        for i, (W, b) in enumerate(net.params):
            layers.append(self.dense(W, b))
            if i < net.n_layers - 1:
                layers.append(self.activations[net.activation.name]())
        if net.loss.name == "cross_entropy":  # softmax output, fused with its loss
            return layers, SoftmaxCrossEntropy()
        return layers + [self.activations[net.output.name]()], MeanSquaredError()

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        """Write scale * the summed per-sample gradients into ``grads``, laid out like
        ``net.flat_params()`` (each W then its b, layer by layer); return the summed loss."""
        layers, loss_layer = self.build(net)
        out = X
        for layer in layers:
            out = layer.forward(out)
        loss = loss_layer.forward(out, Y)
        grad = loss_layer.backward() * scale
        for layer in reversed(layers):
            grad = layer.backward(grad)
        dense_layers = [layer for layer in layers if isinstance(layer, Dense)]
        for layer, (dW, db) in zip(dense_layers, parameter_views(grads, net.layer_sizes)):
            dW[...] = layer.dW
            db[...] = layer.db
        return loss if compute_loss else None
