"""The records of nncore's generated toys: sin-cos, XOR, people, random regression, with what a
run measures on XOR (solved, steps to solve) and on people (the held-out predictions)."""
from __future__ import annotations

import numpy as np

from nncore import datasets

from .record import Dataset, Metrics

XOR_SOLVED_LOSS = 1e-3  # XOR is solved when every rounded prediction is right and the loss below


def _sincos_shape(n_val: int = 1000, seed: int = 0, step: float = 0.1):
    points = len(datasets.sincos_axis(n_val, seed, step))  # the grid sincos builds
    return 2, 1, points * points


class XorMetrics(Metrics):
    """``solved`` (rounded predictions right and the final loss under ``XOR_SOLVED_LOSS``), the
    four ``predictions``, and ``steps_to_solve``: the step count at the first evaluated epoch
    where both held (None if never)."""

    solved_at = None

    def _solved(self, net, history) -> bool:
        if not history.train_loss[-1] < XOR_SOLVED_LOSS:
            return False
        return bool(np.all(np.round(net.forward(self.X)[:, 0]) == self.Y[:, 0]))

    def observe(self, epoch, net, history):
        if self.solved_at is None and self._solved(net, history):
            self.solved_at = history.steps

    def result(self, net, history):
        return {"solved": self._solved(net, history),
                "predictions": [float(p) for p in net.forward(self.X)[:, 0]], "steps_to_solve": self.solved_at}


class PeopleMetrics(Metrics):
    """The trained network's outputs for the two held-out people, ``emily`` and ``frank``."""

    def result(self, net, history):
        emily, frank = net.forward(self.X_val)[:, 0]
        return {"emily": float(emily), "frank": float(frank)}


SINCOS = Dataset(load=datasets.sincos, task="regression", cheap_shape=_sincos_shape,
                 validation_samples=lambda n_val=1000, **_: n_val, snapshot_grid=True)
XOR = Dataset(load=datasets.xor, task="classification", cheap_shape=lambda: (2, 1, 4),
              validation_samples=lambda: 0, metrics=XorMetrics)
PEOPLE = Dataset(load=datasets.people, task="classification", cheap_shape=lambda: (2, 1, 4),
                 validation_samples=lambda: 2, metrics=PeopleMetrics)  # emily and frank
RANDOM_REGRESSION = Dataset(load=datasets.random_regression, task="regression",
                            cheap_shape=datasets.check_random_regression,
                            validation_samples=lambda **_: 0)
