"""The ``torch`` engine: nncore's network trained by PyTorch's autograd.

The network's parameter vector (``net.flat_params()``) and the caller's gradient vector become
tensors; on the CPU they are the same memory (``torch.from_numpy``), so nothing is copied in
either direction. Each layer's W and b is a leaf viewing the parameter tensor, its ``.grad`` a
view of the gradient tensor at the same offsets, so ``backward`` writes nncore's flat gradient
layout in place. Losses are nncore's, summed over the batch and multiplied by the caller's scale
before ``backward``.

``train_epoch`` runs a whole plain-SGD epoch inside torch: the inputs become tensors once, every
step updates the leaf in place under ``no_grad``, and on the CPU no array crosses between NumPy
and torch inside the epoch. With ``device="cuda"`` the parameters and the epoch's data are copied
to the GPU once per epoch and the parameters back once at its end.
"""
from __future__ import annotations

import numpy as np

INSTALL_HINT = "pip install 'nnstudy[torch]' (or pip install torch==2.13.0)"


def _import_torch():
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"engine='torch' needs PyTorch ({error}): {INSTALL_HINT}") from error
    return torch


class TorchEngine:
    """PyTorch autograd on nncore's flat parameter layout.

    Args:
        device: ``"auto"`` (CUDA where present, else the CPU), ``"cpu"``, ``"cuda"``,
            ``"cuda:1"``...; the environment variable ``NNSTUDY_TORCH_DEVICE`` overrides
            ``"auto"``.
        threads: torch's intra-op threads (``torch.set_num_threads``), a process-wide setting;
            1 matches the one BLAS thread nnstudy gives every run. None leaves it as it is.
    """

    name = "torch"

    def __init__(self, device: str = "auto", threads: int | None = 1):
        import os

        self.torch = torch = _import_torch()
        if device == "auto":
            device = os.environ.get("NNSTUDY_TORCH_DEVICE") or (
                "cuda" if torch.cuda.is_available() else "cpu")
        self.device = torch.device(device)
        if threads is not None:
            torch.set_num_threads(int(threads))

    # --- tensors -------------------------------------------------------------------------------
    def _tensor(self, array: np.ndarray):
        """The array as a tensor on the device: shared memory on the CPU, one copy elsewhere."""
        tensor = self.torch.from_numpy(np.ascontiguousarray(array))
        return tensor if self.device.type == "cpu" else tensor.to(self.device)

    def _parameters(self, net, grads: np.ndarray):
        """(flat, gradient, [(W, b), ...]): the parameter vector and a gradient vector of its
        layout as tensors (on the CPU, the network's and ``grads``' own memory), and each W
        (fan_in, fan_out) and b (fan_out,) as a leaf viewing ``flat`` whose ``.grad`` views
        ``gradient``. Autograd adds into an existing ``.grad`` in place, so ``backward`` writes
        the flat gradient directly: no per-layer copies, no full-size temporaries per view."""
        flat, gradient = self._tensor(net.flat_params()), self._tensor(grads)
        pairs, offset = [], 0
        for fan_in, fan_out in zip(net.layer_sizes[:-1], net.layer_sizes[1:]):
            pair = []
            for size, shape in ((fan_in * fan_out, (fan_in, fan_out)), (fan_out, (fan_out,))):
                leaf = flat[offset:offset + size].view(shape).detach().requires_grad_(True)
                leaf.grad = gradient[offset:offset + size].view(shape)
                pair.append(leaf)
                offset += size
            pairs.append(tuple(pair))
        return flat, gradient, pairs

    # --- the math ------------------------------------------------------------------------------
    def _activation(self, name: str, z):
        functional = self.torch.nn.functional
        if name == "relu":
            return functional.relu(z)  # derivative 0 at 0, as nncore's
        if name == "sigmoid":
            return self.torch.sigmoid(z)
        if name == "tanh":
            return self.torch.tanh(z)
        if name == "softmax":
            return self.torch.softmax(z, dim=1)
        return z

    def _summed_loss(self, net, pairs, X, Y):
        """sum_i L_i of the batch X (n, in), Y (n, out) as a differentiable scalar."""
        torch = self.torch
        a = X
        for layer, (W, b) in enumerate(pairs):
            z = torch.addmm(b, a, W)
            if layer < len(pairs) - 1:
                a = self._activation(net.activation.name, z)
        loss = net.loss.name
        if loss == "cross_entropy":  # fused with its softmax: -sum y log softmax(z)
            return -(Y * torch.log_softmax(z, dim=1)).sum()
        if loss == "binary_cross_entropy":  # fused with its sigmoid, from the logits
            return torch.nn.functional.binary_cross_entropy_with_logits(z, Y, reduction="sum")
        squared = (self._activation(net.output.name, z) - Y).square().sum()
        return squared / Y.shape[1] if loss == "mse" else squared

    # --- the engine protocol -------------------------------------------------------------------
    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        """Overwrite ``grads`` with scale * sum_i dL_i/dparams over the rows of X (n, in),
        Y (n, out); return the summed loss, or None without ``compute_loss``."""
        _, gradient, pairs = self._parameters(net, grads)
        gradient.zero_()
        loss = self._summed_loss(net, pairs, self._tensor(X), self._tensor(Y))
        (loss * scale).backward()
        if self.device.type != "cpu":
            self.torch.from_numpy(grads).copy_(gradient)
        return float(loss.detach()) if compute_loss else None

    def train_epoch(self, net, X: np.ndarray, Y: np.ndarray, batch_size: int, optimizer,
                    reduction: str, grads: np.ndarray, order: np.ndarray | None = None) -> bool:
        """Plain-SGD steps over the batches of X (n, in), Y (n, out) in ``order`` (consecutive
        rows when None), all in torch; ``grads`` holds the last step's scaled gradient afterwards.
        False, changing nothing, for any other update rule."""
        if not optimizer.folds_into_gradient:
            return False
        if order is not None:
            X, Y = X[order], Y[order]
        torch, lr = self.torch, optimizer.lr
        flat, gradient, pairs = self._parameters(net, grads)
        inputs, targets = self._tensor(X), self._tensor(Y)
        n = inputs.shape[0]
        for start in range(0, n, batch_size):
            rows = min(batch_size, n - start)
            step = lr / rows if reduction == "mean" else lr
            gradient.zero_()
            loss = self._summed_loss(net, pairs, inputs[start:start + rows],
                                     targets[start:start + rows])
            (loss * step).backward()
            with torch.no_grad():
                flat.sub_(gradient)  # on the CPU: the network's own parameter vector
        if self.device.type != "cpu":
            torch.from_numpy(net.flat_params()).copy_(flat)
            torch.from_numpy(grads).copy_(gradient)
        return True
