"""A dataset as one record: how to build it, its sizes, its task, what a run measures on it, and
how a spec's options for it are resolved and enter the run id.

``Dataset.load(**options) -> (X, Y, X_val, Y_val)``: X (n, inputs); Y (n, outputs), or integer
class labels (n,); a missing validation split is ``None``. Every other field has a neutral default,
so the smallest record is ``Dataset(load=..., task=...)``.
"""
from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Arrays = tuple  # (X, Y, X_val, Y_val)
Shape = tuple[int, int, int]  # (inputs, outputs, training samples)
TASKS = ("regression", "classification", "either")  # "either": the spec's loss decides (file)


class Metrics:
    """What a run measures on a dataset beyond its losses and accuracies; one instance per run.

    ``observe`` runs after every evaluated epoch (epoch 0 included), ``result`` once after
    training; the result's keys go into the runs row's ``metrics`` JSON. This base measures nothing.
    """

    def __init__(self, arrays: Arrays, options: dict):
        self.X, self.Y, self.X_val, self.Y_val = arrays
        self.options = options

    def observe(self, epoch: int, net, history) -> None:
        """Called with the network and its ``nncore.History`` after each evaluated epoch."""

    def result(self, net, history) -> dict:
        """JSON-ready values of the trained run, e.g. ``{"solved": True}``."""
        return {}


@dataclass(frozen=True)
class Dataset:
    """One dataset a study can name.

    load: ``load(**options) -> (X, Y, X_val, Y_val)``, built inside the worker.
    task: one of ``TASKS``.
    cheap_shape: ``cheap_shape(**options) -> (inputs, outputs, training samples)`` without
        building the data (also where bad options are refused at spec time); None: measured by
        building the data once.
    validation_samples: ``validation_samples(**options) -> int`` for the cost model; None:
        a quarter of the training samples.
    spec_options: the options a spec may set; None: every keyword argument of ``load``.
    metrics: the ``Metrics`` class a run instantiates.
    snapshot_grid: the training inputs are a 2-D grid whose predictions a run may snapshot.
    resolve: ``resolve(options, spec_dir, loss) -> (options, shape)`` at spec time, for options
        that depend on where the spec is or on what a file holds; None: options as given.
    hashed: ``hashed(options) -> options`` that identify the data in the run id; None: all.
    check_readable: ``check_readable(options)`` reads the data whole before a sweep starts,
        raising ValueError naming what is bad; None: nothing to check.
    """

    load: Callable[..., Arrays]
    task: str
    cheap_shape: Callable[..., Shape] | None = None
    validation_samples: Callable[..., int] | None = None
    spec_options: tuple[str, ...] | None = None
    metrics: type[Metrics] = Metrics
    snapshot_grid: bool = False
    resolve: Callable[[dict, Path, str], tuple[dict, Shape]] | None = None
    hashed: Callable[[dict], dict] | None = None
    check_readable: Callable[[dict], None] | None = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"Dataset task {self.task!r} is not one of {', '.join(TASKS)}")

    @property
    def options(self) -> tuple[str, ...]:
        """The option names a spec may give in ``dataset_options``."""
        if self.spec_options is not None:
            return self.spec_options
        return _keyword_arguments(self.load)

    def shape(self, **options) -> Shape:
        """(inputs, outputs, training samples) with these options. Outputs are target columns,
        or for integer class labels (n,) the number of classes."""
        if self.cheap_shape is not None:
            return self.cheap_shape(**options)
        try:  # a spec's options are JSON: measured once per process for each
            options_json = json.dumps(options, sort_keys=True)
        except TypeError:  # a Path, say, from Python: measured every time
            return _measure(self.load(**options))
        return _measured_shape(self, options_json)

    def resolve_options(self, options: dict, spec_dir: Path, loss: str) -> tuple[dict, Shape]:
        """The run's options and its shape; ValueError (or TypeError) when they are unusable."""
        if self.resolve is not None:
            return self.resolve(options, spec_dir, loss)
        try:
            return options, self.shape(**options)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{options!r} is not usable: {error}") from None

    def hashed_options(self, options: dict) -> dict:
        """The options as the run id covers them."""
        return options if self.hashed is None else self.hashed(options)


@functools.lru_cache(maxsize=256)
def _measured_shape(dataset: Dataset, options_json: str) -> Shape:
    """The shape of a dataset without a cheap one, by building it once per process."""
    return _measure(dataset.load(**json.loads(options_json)))


def _measure(arrays: Arrays) -> Shape:
    """(inputs, outputs, training samples) of built arrays; outputs of integer labels (n,) are
    the number of classes seen in training and validation."""
    X, Y, _, Y_val = arrays
    if Y.ndim == 2:
        outputs = Y.shape[1]
    elif np.issubdtype(Y.dtype, np.integer):
        outputs = int(max(Y.max(), Y_val.max() if Y_val is not None else 0)) + 1
    else:
        outputs = 1
    return X.shape[1], outputs, X.shape[0]


@functools.lru_cache(maxsize=64)
def _keyword_arguments(load: Callable) -> tuple[str, ...]:
    """The parameters of a loader (inspecting one costs ~0.1 ms: once)."""
    return tuple(inspect.signature(load).parameters)
