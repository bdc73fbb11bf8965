"""The classic datasets have their published shapes and values, and the MNIST reader checks files."""
import gzip
import struct

import numpy as np
import pytest

from nncore import datasets
from nncore.probe import (arithmetic_intensity, matmul_peak, training_bytes, training_flops,
                          training_gemm_shapes)


def test_sincos_grid_and_validation():
    X, Y, X_val, Y_val = datasets.sincos()
    assert X.shape == (10_000, 2) and Y.shape == (10_000, 1)
    assert X_val.shape == (1000, 2) and Y_val.shape == (1000, 1)
    np.testing.assert_allclose(np.unique(X[:, 0]), np.arange(-5, 5, 0.1))
    np.testing.assert_allclose(Y[:, 0], np.sin(X[:, 0]) - np.cos(X[:, 1]))
    assert X_val.min() >= -5 and X_val.max() <= 5
    np.testing.assert_array_equal(datasets.sincos()[2], X_val)  # seeded
    assert not np.array_equal(datasets.sincos(seed=1)[2], X_val)


def test_xor_and_people():
    X, Y, X_val, Y_val = datasets.xor()
    assert X_val is None and Y_val is None
    np.testing.assert_array_equal(Y[:, 0], np.logical_xor(X[:, 0], X[:, 1]))
    X, Y, X_val, Y_val = datasets.people()
    np.testing.assert_array_equal(X, [[-2, -1], [25, 6], [17, 4], [-15, -6]])
    np.testing.assert_array_equal(Y[:, 0], [1, 0, 0, 1])
    np.testing.assert_array_equal(X_val, [[-7, -3], [20, 2]])
    np.testing.assert_array_equal(Y_val[:, 0], [1, 0])


def test_random_regression_shapes_and_seed():
    X, Y, _, _ = datasets.random_regression()
    assert X.shape == (64, 1000) and Y.shape == (64, 10)
    np.testing.assert_array_equal(datasets.random_regression(seed=0)[0], X)


def test_digits_scaled_and_split():
    X, y, X_test, y_test = datasets.digits()
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
    X, y, X_test, y_test = datasets.mnist(tmp_path)
    assert X.shape == (5, 784) and X_test.shape == (3, 784)
    np.testing.assert_allclose(X, images["train"].reshape(5, -1) / 255)
    np.testing.assert_array_equal(y_test, labels["t10k"])


def test_mnist_directory_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSTUDY_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=f"not found in {tmp_path}.*NNSTUDY_DATA"):
        datasets.mnist()


def test_idx_reader_rejects_bad_magic_and_truncated_files(tmp_path):
    write_idx(tmp_path / "bad", np.zeros((2, 2, 2)), 1234)
    with pytest.raises(ValueError, match="magic number 1234"):
        datasets.read_idx(tmp_path / "bad")
    write_idx(tmp_path / "short", np.zeros((2, 2, 2)), 2051)
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match="header says shape"):
        datasets.read_idx(tmp_path / "short")


def test_training_flops_count_every_product():
    # 2-3-1: forward 2*(6+3), dW 2*(6+3), delta back only through the second layer 2*3.
    assert training_flops([2, 3, 1], 1) == 2 * 9 + 2 * 9 + 2 * 3
    assert training_flops([2, 3, 1], 10) == 10 * training_flops([2, 3, 1], 1)
    flops_from_shapes = sum(2 * m * k * n for m, k, n in training_gemm_shapes([2, 3, 1], 10))
    assert flops_from_shapes == training_flops([2, 3, 1], 10)


def test_training_bytes_count_each_product_operands_and_result_once():
    # 2-3-1 at batch 4: (4,2,3) (2,4,3) | (4,3,1) (3,4,1) (4,1,3)
    elements = (8 + 6 + 12) + (8 + 12 + 6) + (12 + 3 + 4) + (12 + 4 + 3) + (4 + 3 + 12)
    assert training_bytes([2, 3, 1], 4, itemsize=8) == 8 * elements
    assert training_bytes([2, 3, 1], 4, itemsize=4) == 4 * elements
    assert arithmetic_intensity([2, 3, 1], 4) == training_flops([2, 3, 1], 4) / (8 * elements)


def test_arithmetic_intensity_grows_with_batch_and_width():
    assert arithmetic_intensity([2, 100, 1], 1000) > arithmetic_intensity([2, 100, 1], 10)
    assert arithmetic_intensity([100, 200, 200, 10], 100) > arithmetic_intensity([100, 20, 20, 10], 100)


def test_matmul_peak_is_a_positive_rate():
    assert matmul_peak([(64, 64, 64)], min_seconds=0.01) > 0.01


@pytest.fixture
def mnist1d_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSTUDY_CACHE", str(tmp_path))
    return tmp_path


def test_mnist1d_shapes_types_and_seed(mnist1d_cache):
    X, y, X_test, y_test = datasets.mnist1d(n_train=60, n_test=20)
    assert X.shape == (60, 40) and X_test.shape == (20, 40)
    assert X.dtype == np.float64 and y.dtype == np.int64 and y_test.dtype == np.int64
    assert set(np.unique(np.concatenate([y, y_test]))) <= set(range(10))
    assert len(np.unique(y)) >= 8
    np.testing.assert_array_equal(datasets.mnist1d(n_train=60, n_test=20)[0], X)
    assert not np.allclose(datasets.mnist1d(n_train=60, n_test=20, seed=1)[0], X)
    assert datasets.shape("mnist1d", n_train=60, n_test=20) == (40, 10, 60)
    assert datasets.shape("mnist1d") == (40, 10, 4000)


def test_mnist1d_is_the_packages_dataset_split_in_order(mnist1d_cache):
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.train_split = 100, 0.8
    package = make_dataset(args)
    X, y, X_test, y_test = datasets.mnist1d(n_train=80, n_test=20)
    np.testing.assert_array_equal(X, package["x"])
    np.testing.assert_array_equal(y, package["y"])
    np.testing.assert_array_equal(X_test, package["x_test"])
    np.testing.assert_array_equal(y_test, package["y_test"])


def test_mnist1d_defaults_ask_the_package_for_the_papers_dataset(mnist1d_cache, monkeypatch):
    import mnist1d.data

    seen = {}
    def record(args):
        seen.update(vars(args))
        return {"x": np.zeros((args.num_samples, 40)), "y": np.zeros(args.num_samples, dtype=int)}
    monkeypatch.setattr(mnist1d.data, "make_dataset", record)
    X, _, X_test, _ = datasets.mnist1d()
    paper = mnist1d.data.get_dataset_args(as_dict=True)
    assert (len(X), len(X_test)) == (4000, 1000)
    assert seen["num_samples"] == paper["num_samples"] == 5000 and seen["seed"] == paper["seed"] == 42
    assert {k: v for k, v in seen.items() if k not in ("num_samples", "train_split", "seed")} == \
        {k: v for k, v in paper.items() if k not in ("num_samples", "train_split", "seed")}


def test_mnist1d_is_cached_on_disk_and_leaves_global_random_state_alone(mnist1d_cache, monkeypatch):
    import random

    np.random.seed(123)
    random.seed(123)
    expected_numpy, expected_python = np.random.get_state()[1].copy(), random.getstate()
    first = datasets.mnist1d(n_train=30, n_test=10, seed=3)
    assert np.array_equal(np.random.get_state()[1], expected_numpy) and random.getstate() == expected_python
    assert [path.suffix for path in mnist1d_cache.iterdir()] == [".npz"]

    def no_generation(*args):
        raise AssertionError("generated again instead of reading the cache")
    monkeypatch.setattr(datasets, "_generate_mnist1d", no_generation)
    for cached, generated in zip(datasets.mnist1d(n_train=30, n_test=10, seed=3), first):
        np.testing.assert_array_equal(cached, generated)


def test_mnist1d_label_noise_changes_only_training_labels(mnist1d_cache):
    X, y, X_test, y_test = datasets.mnist1d(n_train=300, n_test=20)
    X_n, y_n, X_test_n, y_test_n = datasets.mnist1d(n_train=300, n_test=20, label_noise=0.5)
    np.testing.assert_array_equal(X_n, X)
    np.testing.assert_array_equal(X_test_n, X_test)
    np.testing.assert_array_equal(y_test_n, y_test)
    changed = np.mean(y_n != y)   # expected 0.5 * 9/10: a replacement may draw the same class
    assert 0.35 < changed < 0.55
    assert set(np.unique(y_n)) <= set(range(10))
    np.testing.assert_array_equal(datasets.mnist1d(n_train=300, n_test=20, label_noise=0.5)[1], y_n)
    assert np.mean(datasets.mnist1d(n_train=300, n_test=20, label_noise=1.0)[1] != y) > 0.8


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"n_train": 0}, "n_train"), ({"n_test": -1}, "n_test"), ({"label_noise": 1.5}, "label_noise"),
    ({"seed": -2}, "seed"), ({"n_train": 10.0}, "n_train"),
])
def test_mnist1d_refuses_bad_arguments(mnist1d_cache, kwargs, words):
    with pytest.raises(ValueError, match=words):
        datasets.mnist1d(**kwargs)
