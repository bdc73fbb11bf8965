"""The datasets, registered by name in ``DATASETS``. Each returns ``(X, Y, X_val, Y_val)``; a
missing split is ``None``.

Regression targets have shape (n, outputs); classification targets are integer labels (n,)
except where the original used 0/1 regression targets (xor, people).

``shape(name, **options)`` gives (inputs, outputs, training samples) of a dataset, for specs and
cost estimates: from the loader's cheap ``shape`` when it has one (``@shaped``), else by loading
it. A new dataset is one entry in ``DATASETS``; a cheap shape is an optional speed-up.
"""
from __future__ import annotations

import gzip
import numbers
import os
import random
import struct
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from . import datafile


def shaped(shape_fn):
    """Attach ``shape_fn(**options) -> (inputs, outputs, training samples)`` to a loader, for
    datasets that are costly to build just to learn their sizes."""
    def attach(loader):
        loader.shape = shape_fn
        return loader
    return attach


def _sincos_shape(n_val: int = 1000, seed: int = 0, step: float = 0.1):
    points = len(np.arange(-5, 5, step))  # the grid sincos builds
    return 2, 1, points * points


@shaped(_sincos_shape)

def sincos(n_val: int = 1000, seed: int = 0, step: float = 0.1):
    """y = sin(x1) - cos(x2) on the grid ``np.arange(-5, 5, step)`` squared (10,000 points at 0.1).

    Validation: ``n_val`` points uniform in [-5, 5]^2 from a generator seeded with ``seed``.
    """
    axis = np.arange(-5, 5, step)
    x1, x2 = np.meshgrid(axis, axis, indexing="ij")
    X = np.column_stack([x1.ravel(), x2.ravel()])
    X_val = np.random.default_rng(seed).uniform(-5, 5, size=(n_val, 2))
    return X, sincos_target(X), X_val, sincos_target(X_val)


def sincos_target(X: np.ndarray) -> np.ndarray:
    """y = sin(x1) - cos(x2) for X (n, 2), shape (n, 1)."""
    return (np.sin(X[:, 0]) - np.cos(X[:, 1]))[:, None]


def xor():
    """The four points of XOR with 0/1 targets of shape (4, 1); no validation set."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    return X, Y, None, None


PEOPLE = {  # name: (weight - 135 lb, height - 66 in, female)
    "Alice": (-2, -1, 1), "Bob": (25, 6, 0), "Charlie": (17, 4, 0), "Diana": (-15, -6, 1),
}
HELD_OUT_PEOPLE = {"Emily": (-7, -3, 1), "Frank": (20, 2, 0)}


def people():
    """The 4-person gender toy set (shifted weight and height); validation: Emily and Frank."""
    def arrays(table):
        rows = np.array(list(table.values()), dtype=float)
        return rows[:, :2], rows[:, 2:]
    X, Y = arrays(PEOPLE)
    X_val, Y_val = arrays(HELD_OUT_PEOPLE)
    return X, Y, X_val, Y_val


@shaped(lambda n=64, n_inputs=1000, n_outputs=10, seed=0: (int(n_inputs), int(n_outputs), int(n)))
def random_regression(n: int = 64, n_inputs: int = 1000, n_outputs: int = 10, seed: int = 0):
    """X ~ N(0, 1) of shape (n, n_inputs), Y ~ N(0, 1) of shape (n, n_outputs); no validation."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_inputs)), rng.normal(size=(n, n_outputs)), None, None


DIGITS_SAMPLES = 1797  # images in scikit-learn's bundled digits


def _digits_test_rows(test_size: float) -> int:
    return int(round(test_size * DIGITS_SAMPLES))


@shaped(lambda test_size=0.2, seed=0: (64, 10, DIGITS_SAMPLES - _digits_test_rows(test_size)))
def digits(test_size: float = 0.2, seed: int = 0):
    """8x8 digits shipped inside scikit-learn, pixels scaled to [0, 1], labels (n,) in 0..9.

    Split into train and test by a permutation from a generator seeded with ``seed``.
    """
    from sklearn.datasets import load_digits  # bundled data; no download

    data = load_digits()
    X, y = data.data / 16.0, data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = _digits_test_rows(test_size)
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}
IDX_MAGIC = {2051: 3, 2049: 1}  # magic number -> number of dimensions (images, labels)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file of unsigned bytes (gzip or not), checking magic number and size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short to be an IDX file ({len(data)} bytes)")
    magic = struct.unpack(">I", data[:4])[0]
    if magic not in IDX_MAGIC:
        raise ValueError(f"{path}: magic number {magic} is not an MNIST IDX magic (2051 images, 2049 labels)")
    ndim = IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes) but the file has {len(data)} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _find_idx(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / name).exists():
            return directory / name
    return None


@shaped(lambda directory=None, download=False: (784, 10, 60000))  # the standard files' sizes
def mnist(directory: str | os.PathLike | None = None, download: bool = False):
    """MNIST from the four standard IDX files, pixels scaled to [0, 1] and flattened to 784.

    The directory is the argument, else ``$NNSTUDY_DATA``, else ``./data/mnist``. With
    ``download=True`` and ``$NNSTUDY_MNIST_URL`` set (a base URL holding the ``.gz`` files),
    missing files are fetched first. Returns ``(X_train, y_train, X_test, y_test)``.
    """
    directory = Path(directory or os.environ.get("NNSTUDY_DATA") or "data/mnist")
    base_url = os.environ.get("NNSTUDY_MNIST_URL")
    paths = {}
    for key, stem in MNIST_FILES.items():
        path = _find_idx(directory, stem)
        if path is None and download and base_url:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / (stem + ".gz")
            urllib.request.urlretrieve(f"{base_url.rstrip('/')}/{stem}.gz", path)
        if path is None:
            raise FileNotFoundError(
                f"MNIST file {stem}[.gz] not found in {directory}. Put the four IDX files "
                f"({', '.join(MNIST_FILES.values())}, gzipped or not) there, or point "
                "NNSTUDY_DATA at their directory (set NNSTUDY_MNIST_URL and download=True to fetch them).")
        paths[key] = path
    arrays = {key: read_idx(path) for key, path in paths.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise ValueError(f"MNIST {split}: {images.shape[0]} images but {labels.shape[0]} labels")
    flat = {key: arr.reshape(arr.shape[0], -1) / 255.0 if arr.ndim == 3 else arr.astype(np.int64)
            for key, arr in arrays.items()}
    return flat["train_images"], flat["train_labels"], flat["test_images"], flat["test_labels"]


MNIST1D_PACKAGE_SEED = 42  # the mnist1d package's default seed: the paper's dataset


def cache_directory() -> Path:
    """Where generated datasets are cached: ``$NNSTUDY_CACHE``, else ``~/.cache/nnstudy``."""
    return Path(os.environ.get("NNSTUDY_CACHE") or Path.home() / ".cache" / "nnstudy")


def _save_atomically(path: Path, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` beside ``path`` and rename it into place, so that parallel workers
    never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a cache is for every user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _generate_mnist1d(n_samples: int, package_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` (a multiple of 10) signals (n, 40) and labels from the mnist1d package.

    Its generator seeds and draws from NumPy's and Python's global random state; that state is
    put back afterwards so that generating a dataset never changes anyone else's random numbers.
    """
    from mnist1d.data import get_dataset_args, make_dataset  # generates locally; downloads nothing

    args = get_dataset_args()
    args.num_samples, args.seed = n_samples, package_seed
    args.train_split = 1.0  # split here, so that any n_train works: the defaults split at 4000 too
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    return np.asarray(data["x"], dtype=np.float64), np.asarray(data["y"], dtype=np.int64)


@shaped(lambda n_train=4000, n_test=1000, label_noise=0.0, seed=0: (40, 10, int(n_train)))
def mnist1d(n_train: int = 4000, n_test: int = 1000, label_noise: float = 0.0, seed: int = 0):
    """MNIST-1D (Greydanus 2020): signals (n, 40) float64 and labels (n,) int64 in 0..9.

    Generated by the ``mnist1d`` package with its default arguments and seed 42 + ``seed``, so
    the defaults give the paper's 4,000 train / 1,000 test samples. The first ``n_train`` samples
    train, the next ``n_test`` test (``n_train + n_test`` is rounded up to a multiple of 10 for
    the generator, which makes as many samples of each class). ``label_noise=p`` replaces each
    training label, with probability p, by a class drawn uniformly (it may be the same one), from
    a generator seeded with ``seed``; inputs and test labels never change.

    The clean arrays are cached under ``cache_directory()``, keyed by the package version,
    n_train, n_test and seed, because generating them takes seconds (label noise is applied after
    loading, so a noise sweep generates them once).
    """
    for name, value in (("n_train", n_train), ("n_test", n_test), ("seed", seed)):
        low = 1 if name == "n_train" else 0
        if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low):
            raise ValueError(f"mnist1d {name} must be an integer >= {low}, got {value!r}")
    if not (isinstance(label_noise, numbers.Real) and not isinstance(label_noise, bool)
            and 0.0 <= label_noise <= 1.0):
        raise ValueError(f"mnist1d label_noise must be a probability in [0, 1], got {label_noise!r}")
    from importlib.metadata import version

    # The package version is part of the key: a changed generator must not be served old arrays.
    path = cache_directory() / f"mnist1d-{version('mnist1d')}-train{n_train}-test{n_test}-seed{seed}.npz"
    try:
        with np.load(path) as cached:
            X, y = cached["X"], cached["y"]
    except (OSError, KeyError, ValueError):
        X, y = _generate_mnist1d(-(-(n_train + n_test) // 10) * 10, MNIST1D_PACKAGE_SEED + seed)
        X, y = X[:n_train + n_test], y[:n_train + n_test]
        _save_atomically(path, X=X, y=y)
    X_train, y_train = X[:n_train], y[:n_train].copy()
    if label_noise > 0:
        rng = np.random.default_rng(seed)
        replaced = rng.random(n_train) < label_noise
        y_train[replaced] = rng.integers(0, 10, size=int(replaced.sum()))
    return X_train, y_train, X[n_train:], y[n_train:]



datafile.load.shape = datafile.shape

DATASETS = {"sincos": sincos, "xor": xor, "people": people, "random_regression": random_regression,
            "digits": digits, "mnist": mnist, "mnist1d": mnist1d, "file": datafile.load}


def shape(name: str, **options) -> tuple[int, int, int]:
    """(inputs, outputs, training samples) of dataset ``name`` built with ``options``.

    Outputs are target columns, or for integer class labels (n,) the number of classes. Uses the
    loader's cheap ``shape`` if it has one, else builds the dataset and measures it.
    """
    loader = DATASETS[name]
    if hasattr(loader, "shape"):
        return loader.shape(**options)
    X, Y, _, Y_val = loader(**options)
    if Y.ndim == 2:
        outputs = Y.shape[1]
    elif np.issubdtype(Y.dtype, np.integer):
        outputs = int(max(Y.max(), Y_val.max() if Y_val is not None else 0)) + 1
    else:
        outputs = 1
    return X.shape[1], outputs, X.shape[0]
