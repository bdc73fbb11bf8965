"""The loaders that read, parse or cache: digits split as published, the MNIST reader checks its
files, MNIST-1D is the package's dataset, cached, and its options are checked."""
import gzip
import importlib
import struct

import numpy as np
import pytest

import nndata
from nndata.digits import digits
from nndata.mnist import mnist, read_idx
from nndata.mnist1d import mnist1d

mnist1d_module = importlib.import_module("nndata.mnist1d")


def test_digits_scaled_and_split():
    X, y, X_test, y_test = digits()
    assert X.shape[1] == 64 and len(X) + len(X_test) == 1797 and len(X_test) == 359
    assert X.min() == 0 and X.max() == 1
    assert set(np.unique(y)) == set(range(10)) and y.dtype == np.int64


def write_idx(path, array, magic, compress=False):
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = {"train": rng.integers(0, 256, size=(5, 28, 28)), "t10k": rng.integers(0, 256, size=(3, 28, 28))}
    labels = {"train": rng.integers(0, 10, size=5), "t10k": rng.integers(0, 10, size=3)}
    suffix = ".gz" if compress else ""
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte{suffix}", images[split], 2051, compress)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte{suffix}", labels[split], 2049, compress)
    X, y, X_test, y_test = mnist(tmp_path)
    assert X.shape == (5, 784) and X_test.shape == (3, 784)
    np.testing.assert_allclose(X, images["train"].reshape(5, -1) / 255)
    np.testing.assert_array_equal(y_test, labels["t10k"])


def test_mnist_directory_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSTUDY_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=f"not found in {tmp_path}.*NNSTUDY_DATA"):
        mnist()


def test_idx_reader_rejects_bad_magic_and_truncated_files(tmp_path):
    write_idx(tmp_path / "bad", np.zeros((2, 2, 2)), 1234)
    with pytest.raises(ValueError, match="magic number 1234"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "short", np.zeros((2, 2, 2)), 2051)
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match="header says shape"):
        read_idx(tmp_path / "short")


@pytest.fixture
def mnist1d_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSTUDY_CACHE", str(tmp_path))
    return tmp_path


def test_mnist1d_shapes_types_and_seed(mnist1d_cache):
    X, y, X_test, y_test = mnist1d(n_train=60, n_test=20)
    assert X.shape == (60, 40) and X_test.shape == (20, 40)
    assert X.dtype == np.float64 and y.dtype == np.int64 and y_test.dtype == np.int64
    assert set(np.unique(np.concatenate([y, y_test]))) <= set(range(10))
    assert len(np.unique(y)) >= 8
    np.testing.assert_array_equal(mnist1d(n_train=60, n_test=20)[0], X)
    assert not np.allclose(mnist1d(n_train=60, n_test=20, seed=1)[0], X)
    assert nndata.shape("mnist1d", n_train=60, n_test=20) == (40, 10, 60)
    assert nndata.shape("mnist1d") == (40, 10, 4000)


def test_mnist1d_is_the_packages_dataset_split_in_order(mnist1d_cache):
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.train_split = 100, 0.8
    package = make_dataset(args)
    X, y, X_test, y_test = mnist1d(n_train=80, n_test=20)
    np.testing.assert_array_equal(X, package["x"])
    np.testing.assert_array_equal(y, package["y"])
    np.testing.assert_array_equal(X_test, package["x_test"])
    np.testing.assert_array_equal(y_test, package["y_test"])


def test_mnist1d_defaults_ask_the_package_for_the_papers_dataset(mnist1d_cache, monkeypatch):
    from mnist1d import data as package

    seen = {}
    def record(args):
        seen.update(vars(args))
        return {"x": np.zeros((args.num_samples, 40)), "y": np.zeros(args.num_samples, dtype=int)}
    monkeypatch.setattr(package, "make_dataset", record)
    X, _, X_test, _ = mnist1d()
    paper = package.get_dataset_args(as_dict=True)
    assert (len(X), len(X_test)) == (4000, 1000)
    assert seen["num_samples"] == paper["num_samples"] == 5000 and seen["seed"] == paper["seed"] == 42
    assert {k: v for k, v in seen.items() if k not in ("num_samples", "train_split", "seed")} == \
        {k: v for k, v in paper.items() if k not in ("num_samples", "train_split", "seed")}


def test_mnist1d_is_cached_on_disk_and_leaves_global_random_state_alone(mnist1d_cache, monkeypatch):
    import random

    np.random.seed(123)
    random.seed(123)
    expected_numpy, expected_python = np.random.get_state()[1].copy(), random.getstate()
    first = mnist1d(n_train=30, n_test=10, seed=3)
    assert np.array_equal(np.random.get_state()[1], expected_numpy) and random.getstate() == expected_python
    assert [path.suffix for path in mnist1d_cache.iterdir()] == [".npz"]

    def no_generation(*args):
        raise AssertionError("generated again instead of reading the cache")
    monkeypatch.setattr(mnist1d_module, "_generate_mnist1d", no_generation)
    for cached, generated in zip(mnist1d(n_train=30, n_test=10, seed=3), first):
        np.testing.assert_array_equal(cached, generated)


def test_mnist1d_label_noise_changes_only_training_labels(mnist1d_cache):
    X, y, X_test, y_test = mnist1d(n_train=300, n_test=20)
    X_n, y_n, X_test_n, y_test_n = mnist1d(n_train=300, n_test=20, label_noise=0.5)
    np.testing.assert_array_equal(X_n, X)
    np.testing.assert_array_equal(X_test_n, X_test)
    np.testing.assert_array_equal(y_test_n, y_test)
    changed = np.mean(y_n != y)   # expected 0.5 * 9/10: a replacement may draw the same class
    assert 0.35 < changed < 0.55
    assert set(np.unique(y_n)) <= set(range(10))
    np.testing.assert_array_equal(mnist1d(n_train=300, n_test=20, label_noise=0.5)[1], y_n)
    assert np.mean(mnist1d(n_train=300, n_test=20, label_noise=1.0)[1] != y) > 0.8


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"n_train": 0}, "n_train"), ({"n_test": -1}, "n_test"), ({"label_noise": 1.5}, "label_noise"),
    ({"seed": -2}, "seed"), ({"n_train": 10.0}, "n_train"),
])
def test_mnist1d_refuses_bad_arguments(mnist1d_cache, kwargs, words):
    with pytest.raises(ValueError, match=words):
        mnist1d(**kwargs)
