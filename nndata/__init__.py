"""nndata: the datasets a study can name, each one record in ``DATASETS``.

    import nndata
    X, Y, X_val, Y_val = nndata.DATASETS["mnist1d"].load(n_train=4000)
    nndata.DATASETS["sincos"].shape(step=0.5)        # (2, 1, 400): inputs, outputs, samples

    from nndata.mnist1d import mnist1d               # the loaders themselves, by module
    from nndata.digits import digits

A record (``nndata.Dataset``) holds the loader, its cheap shape, its task, what a run measures on
it (``Metrics``), whether its inputs are a snapshot grid, and how a spec's options for it are
resolved and enter the run id. Adding a dataset is adding its record here (or, from outside,
``nndata.DATASETS[name] = Dataset(...)``); nothing else lists datasets by name.

The pure generators (sin-cos, XOR, people, random regression) are nncore's (``nncore.datasets``);
the loaders that read, download, parse or cache are here, a module each: ``nndata.digits``
(scikit-learn's bundled images), ``nndata.mnist`` (IDX files, optionally downloaded),
``nndata.mnist1d`` (generated and cached on disk) and ``nndata.datafile``, the ``file`` dataset
(the user's CSV, Parquet or .npz, read by ``nndata.tables``). Layers: nncore <- nndata <-
experiments <- reports.
"""
from __future__ import annotations

from .cache import cache_directory
from .classics import PEOPLE, RANDOM_REGRESSION, SINCOS, XOR
from .datafile import FILE
from .digits import DIGITS
from .mnist import MNIST
from .mnist1d import MNIST1D
from .record import TASKS, Dataset, Metrics, Shape

DATASETS: dict[str, Dataset] = {
    "sincos": SINCOS, "xor": XOR, "people": PEOPLE, "random_regression": RANDOM_REGRESSION,
    "digits": DIGITS, "mnist": MNIST, "mnist1d": MNIST1D, "file": FILE,
}


def shape(name: str, **options) -> Shape:
    """(inputs, outputs, training samples) of dataset ``name`` built with ``options``."""
    return DATASETS[name].shape(**options)


def hashed_options(name: str | None, options: dict) -> dict:
    """The options of dataset ``name`` as a run id covers them (all of them for a name no record
    has: a stored run of a dataset since removed keeps its id)."""
    record = DATASETS.get(name)
    return options if record is None else record.hashed_options(options)


def validation_samples(name: str, options: dict, train_samples: int) -> int:
    """Validation samples of the dataset with these options, for cost estimates: the record's
    count when it gives one, else a quarter of the training samples."""
    record = DATASETS[name]
    if record.validation_samples is None:
        return train_samples // 4
    return record.validation_samples(**options)


def snapshot_datasets() -> list[str]:
    """The datasets whose training inputs are a grid a run may snapshot predictions on."""
    return [name for name, record in DATASETS.items() if record.snapshot_grid]


def check_readable(configs) -> None:
    """Read the data of every run configuration whose dataset checks its data before a sweep
    (the ``file`` dataset: each file whole, once): ValueError naming what is bad."""
    for config in configs:
        record = DATASETS.get(config["dataset"])
        if record is not None and record.check_readable is not None:
            record.check_readable(config["dataset_options"])


__all__ = ["DATASETS", "Dataset", "Metrics", "TASKS", "shape", "hashed_options",
           "validation_samples", "snapshot_datasets", "check_readable", "cache_directory"]
