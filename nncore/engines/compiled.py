"""The ``compiled`` engine: the vectorized engine's backprop compiled with numba.

At batch 10 the vectorized engine spends most of a step in the interpreter between NumPy calls
(1-2 us each, tens per step), not in the matrix products. Here the whole step, the products
included (``np.dot`` inside numba goes straight to BLAS; the tiniest products are loops), is one
compiled call, and ``nncore.train`` runs a whole epoch, with any update rule of
``nncore.optimizers``, as one call through ``train_epoch`` (each batch's rows gathered in the
epoch's order inside it), and evaluates a data set forward only as one call (``evaluate``),
a chunk of rows at a time, without NumPy's fresh arrays per layer. The kernels live in
``compiled_kernels``, ``compiled_products`` and ``compiled_optimizers`` and import numba; this
module imports them only when the engine is made, so nncore works without numba, and
``engine="compiled"`` then says how to install it.
"""
from __future__ import annotations

import numpy as np

from .base import Engine, Workspaces

INSTALL_HINT = "pip install 'nnstudy[compiled]' (or pip install 'numba>=0.60')"


def load_kernels():
    """The numba kernel modules ``(compiled_kernels, compiled_optimizers)``, or ``ImportError``
    saying how to install numba."""
    try:
        from . import compiled_kernels, compiled_optimizers
    except ImportError as error:  # numba missing, or an install numba refuses (e.g. its NumPy)
        raise ImportError(f"engine='compiled' needs numba ({error}): {INSTALL_HINT}") from error
    return compiled_kernels, compiled_optimizers


class _Workspace:
    """Flat per-layer buffers for one network layout and up to ``rows`` samples per batch."""

    def __init__(self, net, rows: int):
        sizes = net.layer_sizes
        param_at = np.cumsum([0] + [(fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])])
        unit_at = np.cumsum([0] + list(sizes[1:]))
        # (3, layers + 1): sizes, where each layer's W starts, where its outputs block starts per row
        self.layout = np.array([sizes, param_at, unit_at], dtype=np.int64)
        self.outputs = np.empty(rows * sum(sizes[1:]), dtype=net.dtype)
        self.deltas = np.empty_like(self.outputs)
        self.logits = np.empty(rows * sizes[-1], dtype=net.dtype)
        # a batch's rows gathered in the epoch's order (compiled_optimizers.batch_rows)
        self.x_rows = np.empty((rows, sizes[0]), dtype=net.dtype)
        self.y_rows = np.empty((rows, sizes[-1]), dtype=net.dtype)
        self.no_state = np.empty(0, dtype=net.dtype)  # stands in for a state vector a rule lacks


NO_ORDER = np.empty(0, dtype=np.int64)  # the kernels' "consecutive rows"


def read_only(array: np.ndarray) -> np.ndarray:
    """``array`` itself if read-only, else a read-only view of it (no copy).

    numba compiles a kernel once per kind of array it meets, and writable and read-only arrays are
    two kinds: data sets passed as they come (a study's are read-only, a one-hot matrix made from
    labels is not) compiled the epoch and evaluation kernels up to three times, 5-10 s each."""
    if not array.flags.writeable:
        return array
    view = array.view()
    view.setflags(write=False)
    return view


class CompiledEngine(Engine):
    name = "compiled"

    def __init__(self):
        self.kernels, self.rules = load_kernels()
        self.workspaces = Workspaces(_Workspace)

    def _codes(self, net) -> tuple[int, int, int]:
        """(hidden, output, loss) codes of the kernels, or ``ValueError`` for one they lack."""
        codes = []
        for kind, name, table in (("activation", net.activation.name, self.kernels.ACTIVATION_CODES),
                                  ("output", net.output.name, self.kernels.ACTIVATION_CODES),
                                  ("loss", net.loss.name, self.kernels.LOSS_CODES)):
            if name not in table:
                raise ValueError(f"engine='compiled' has no kernel for {kind}={name!r} "
                                 f"(it has {', '.join(table)}); use engine='vectorized'")
            codes.append(table[name])
        return tuple(codes)

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        work = self.workspaces.for_batch(net, X.shape[0])
        loss_sum = self.kernels.batch_gradients(
            net.flat_params(), grads, work.layout, X, Y, work.outputs, work.logits, work.deltas,
            *self._codes(net), float(scale), bool(compute_loss))
        return float(loss_sum) if compute_loss else None

    def train_epoch(self, net, X: np.ndarray, Y: np.ndarray, batch_size: int, optimizer,
                    reduction: str, grads: np.ndarray, order: np.ndarray | None = None) -> bool:
        """The steps ``nncore.train_step`` makes on the batches of X (n, in), Y (n, out) in
        ``order`` (consecutive rows when None) with ``optimizer`` at its current ``lr``, as one
        compiled call that gathers each batch's rows itself; the optimizer's state vectors and
        step count advance as they would there. Plain SGD makes ``train_step``'s updates to the
        bit; other rules agree with ``nncore.optimizers`` to rounding. Returns False, doing
        nothing, for an optimizer that is not one of ``nncore.OPTIMIZERS``' own classes."""
        from ..optimizers import OPTIMIZERS

        rules = self.rules
        if OPTIMIZERS.get(optimizer.kind) is not type(optimizer):
            return False
        work = self.workspaces.for_batch(net, min(batch_size, X.shape[0]))
        order = NO_ORDER if order is None else order
        data = (net.flat_params(), grads, work.layout, read_only(X), read_only(Y), order, int(batch_size))
        buffers = (work.outputs, work.logits, work.deltas, work.x_rows, work.y_rows, *self._codes(net))
        settings = {"lr": optimizer.lr, **optimizer.hyperparameters}
        hyper = np.array([settings.get(name, 0.0) for name in rules.HYPER_NAMES], dtype=np.float64)
        state = [optimizer.state[name] for name in optimizer.state_names]
        first, second = (state + [work.no_state, work.no_state])[:2]
        # plain SGD: lr (/ n) folded into the gradient, as train_step does, and no step count
        folded = optimizer.folds_into_gradient
        steps = rules.optimizer_epoch(
            *data, reduction == "mean", *buffers, rules.FOLDED_SGD if folded else rules.RULE_CODES[optimizer.kind],
            hyper, first, second, int(optimizer.steps))
        if not folded:
            optimizer.steps = int(steps)
        return True

    def evaluate(self, net, X: np.ndarray, Y: np.ndarray) -> tuple[float, int]:
        """(sum_i L_i, rows classified correctly: 0 for a regression) over X (n, in), Y (n, out),
        forward only, in chunks of ``nncore.evaluation.chunk_rows`` rows through reused buffers."""
        from ..evaluation import chunk_rows

        rows = chunk_rows(net.layer_sizes, X.shape[0])
        work = self.workspaces.for_batch(net, rows)
        total, correct = self.kernels.evaluate(net.flat_params(), work.layout, read_only(X), read_only(Y), rows,
                                               work.outputs, work.logits, *self._codes(net), net.is_classifier)
        return float(total), int(correct)
