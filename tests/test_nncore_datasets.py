"""The classic datasets have their published shapes and values, and the MNIST reader checks files."""
import gzip
import struct

import numpy as np
import pytest

from nncore import datasets
from nncore.probe import matmul_peak, training_flops, training_gemm_shapes


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


def test_matmul_peak_is_a_positive_rate():
    assert matmul_peak([(64, 64, 64)], min_seconds=0.01) > 0.01
