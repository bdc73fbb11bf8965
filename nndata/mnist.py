"""MNIST from its four standard IDX files (gzipped or not), read from a directory and optionally
downloaded into it first."""
from __future__ import annotations

import gzip
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np

from .record import Dataset

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


MNIST = Dataset(load=mnist, task="classification",
                cheap_shape=lambda directory=None: (784, 10, 60000),  # the standard files' sizes
                validation_samples=lambda directory=None: 10000, spec_options=("directory",))
