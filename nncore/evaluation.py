"""The mean loss and accuracy of a whole data set, as ``nncore.train`` records them.

A data set goes forward a chunk of rows at a time through per-layer buffers made once, instead of
as one pass that allocates (and first touches) a fresh (n, fan_out) array per layer: on the
2-100-1 net and 10,000 rows, those allocations cost four times the arithmetic. Each row meets
the same operations as in ``MLP.forward_pass`` (``A @ W``, then ``+ b``, then the activation),
the per-sample losses land in one vector and its mean is taken once, so the numbers are those of
a single pass wherever BLAS gives a row the same bits whatever the rows beside it (tested). An
engine with an ``evaluate`` hook (``compiled``) does the same in its own kernels.
"""
from __future__ import annotations

import numpy as np

# A chunk's widest layer holds about this many numbers (128 KB in float64), so that its
# activations stay in the core's cache from one layer to the next, but never fewer than MIN_ROWS
# rows, below which BLAS's products lose speed (784-1024-1024-10: 64 rows 1.25x slower than 128).
# Measured on the deep sin-cos net: 64-160 rows 1.3-1.5x faster than 655 or 10,000.
CHUNK_ENTRIES = 1 << 14
MIN_ROWS = 128


def chunk_rows(layer_sizes: list[int], n: int) -> int:
    """Rows per chunk for a network of ``layer_sizes`` over n rows: at least 1, at most n."""
    return max(1, min(n, max(MIN_ROWS, CHUNK_ENTRIES // max(layer_sizes[1:]))))


def correct_rows(a: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Which rows of the outputs a (n, out) name the class of the targets Y (n, out): bool (n,).
    A single output is a class above 0.5; several, the largest."""
    if a.shape[1] == 1:
        return (a[:, 0] > 0.5) == (Y[:, 0] > 0.5)
    return a.argmax(axis=1) == Y.argmax(axis=1)


class Evaluation:
    """``evaluation(X, Y) -> (mean loss, accuracy or NaN)`` of ``net`` over validated X (n, in),
    Y (n, out): through ``engine.evaluate(net, X, Y) -> (summed loss, rows correct)`` when the
    engine has that hook, else in NumPy chunks through buffers kept from call to call."""

    def __init__(self, net, engine=None):
        self.net = net
        self.hook = getattr(engine, "evaluate", None)
        self.buffers: dict[int, list[np.ndarray]] = {}  # chunk rows -> each layer's (rows, fan_out)
        self.losses: dict[int, np.ndarray] = {}  # n -> per-sample losses (n,)

    def __call__(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
        net, n = self.net, X.shape[0]
        with np.errstate(all="ignore"):
            if self.hook is not None:
                loss_sum, correct = self.hook(net, X, Y)
                loss = loss_sum / n
            else:
                losses, correct = self._per_sample(X, Y)
                loss = float(np.mean(losses))
        return loss, (correct / n if net.is_classifier else float("nan"))

    def _layer_buffers(self, rows: int) -> list[np.ndarray]:
        if rows not in self.buffers:
            self.buffers[rows] = [np.empty((rows, size), dtype=self.net.dtype)
                                  for size in self.net.layer_sizes[1:]]
        return self.buffers[rows]

    def _per_sample(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, int]:
        """(per-sample losses (n,), rows correct) chunk by chunk."""
        net, n = self.net, X.shape[0]
        rows = chunk_rows(net.layer_sizes, n)
        buffers, last = self._layer_buffers(rows), net.n_layers - 1
        losses = self.losses.get(n)
        if losses is None:
            losses = self.losses[n] = np.empty(n, dtype=net.dtype)
        correct = 0
        for start in range(0, n, rows):
            a = X[start:start + rows]
            for layer, ((W, b), act, buffer) in enumerate(zip(net.params, net.activations, buffers)):
                z = np.matmul(a, W, out=buffer[:a.shape[0]])
                z += b
                a = act.forward(z) if layer == last else act.forward(z, out=z)  # losses need z
            losses[start:start + rows] = net.loss.per_sample(a, Y[start:start + rows], z)
            if net.is_classifier:
                correct += int(np.count_nonzero(correct_rows(a, Y[start:start + rows])))
        return losses, correct
