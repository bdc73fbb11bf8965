"""The generated datasets have their published shapes and values and refuse bad arguments; the
probe counts flops and bytes."""
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


@pytest.mark.parametrize("kwargs, words", [
    ({"step": 0.0}, "sincos step must be a positive finite number, got 0.0"),
    ({"step": float("nan")}, "sincos step"), ({"step": True}, "sincos step"),
    ({"n_val": -5}, "sincos n_val must be an integer >= 1, got -5"),
    ({"seed": -1}, "sincos seed must be an integer >= 0, got -1"), ({"seed": 1.5}, "sincos seed"),
])
def test_sincos_refuses_arguments_that_cannot_build_it(kwargs, words):
    with pytest.raises(ValueError, match=words):
        datasets.sincos(**kwargs)


@pytest.mark.parametrize("kwargs, words", [
    ({"n": 0}, "random_regression n must"), ({"n_inputs": -1}, "n_inputs"),
    ({"n_outputs": 2.0}, "n_outputs"), ({"seed": -4}, "random_regression seed must be an integer >= 0"),
])
def test_random_regression_refuses_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        datasets.random_regression(**kwargs)


def test_an_integer_step_builds_the_same_grid_as_before():
    X, _, _, _ = datasets.sincos(step=1, n_val=3)
    np.testing.assert_array_equal(np.unique(X[:, 0]), np.arange(-5, 5, 1))
