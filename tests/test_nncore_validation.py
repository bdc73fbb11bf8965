"""Bad input raises ValueError naming the argument and, where there are any, the valid choices."""
import numpy as np
import pytest

import nncore

X, Y = np.zeros((4, 2)), np.zeros((4, 1))


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "swish"}, r"activation='swish' is not one of relu, sigmoid, tanh, identity"),
    ({"activation": "softmax"}, r"activation='softmax' is not one of"),
    ({"output": "gelu"}, r"output='gelu' is not one of .*softmax"),
    ({"loss": "hinge"}, r"loss='hinge' is not one of mse, sse, cross_entropy, binary_cross_entropy"),
    ({"loss": "cross_entropy"}, r"loss='cross_entropy' needs output='softmax'"),
    ({"loss": "binary_cross_entropy", "output": "softmax"}, r"needs output='sigmoid'"),
    ({"init": "orthogonal"}, r"init='orthogonal' is not one of normal, he, xavier"),
    ({"init_scale": 0}, r"init_scale must be a positive"),
    ({"dtype": "float16"}, r"dtype='float16' is not one of float64, float32"),
    ({"seed": -1}, r"seed must be a non-negative integer"),
])
def test_bad_network_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nncore.MLP([2, 3, 1], **kwargs)


@pytest.mark.parametrize("sizes", [[2], [], [2, 0, 1], [2, -3, 1], [2, 2.5, 1], [2, True, 1], "21", None])
def test_layer_sizes_must_be_positive_integers(sizes):
    with pytest.raises(ValueError, match="layer_sizes"):
        nncore.MLP(sizes)


@pytest.mark.parametrize("kwargs, message", [
    ({"engine": "gpu"}, r"engine='gpu' is not one of scalar, loop, vectorized, compiled, numerical"),
    ({"reduction": "max"}, r"reduction='max' is not one of mean, sum"),
    ({"lr": 0}, r"lr must be a positive"),
    ({"lr": -0.1}, r"lr must be a positive"),
    ({"lr": float("nan")}, r"lr must be a positive"),
    ({"epochs": -1}, r"epochs must be an integer >= 0"),
    ({"epochs": 1.5}, r"epochs must be an integer"),
    ({"batch_size": 0}, r"batch_size must be an integer >= 1"),
    ({"schedule": {"kind": "cosine"}}, r"schedule kind='cosine' is not one of constant, step, exponential"),
    ({"schedule": {"kind": "step", "factor": 0.9}}, r"schedule 'step' takes factor, every.*missing: \['every'\]"),
    ({"schedule": {"kind": "step", "factor": 0.9, "every": 0}}, r"'every' must be a positive integer"),
])
def test_bad_training_options(kwargs, message):
    options = {"epochs": 1, "batch_size": 2, "lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        nncore.train(nncore.MLP([2, 3, 1]), X, Y, **options)


@pytest.mark.parametrize("engine", ["gpu", "Vectorized"])
def test_backprop_rejects_unknown_engines(engine):
    with pytest.raises(ValueError, match="engine=.* is not one of scalar, loop, vectorized, compiled, numerical"):
        nncore.backprop(nncore.MLP([2, 1]), X, Y, engine=engine)


@pytest.mark.parametrize("bad_X, bad_Y, message", [
    (np.zeros((4, 3)), Y, r"X must have shape \(n, 2\), got \(4, 3\)"),
    (np.zeros(4), Y, r"X must have shape \(n, 2\)"),
    (X, np.zeros((4, 2)), r"Y must have shape \(4, 1\), got \(4, 2\)"),
    (X, np.zeros((3, 1)), r"Y must have shape \(4, 1\)"),
    (np.array([[0, np.nan]] * 4), Y, "X must hold finite numbers"),
    (np.array([[0, np.inf]] * 4), Y, "X must hold finite numbers"),
    (X, np.array([[np.nan]] * 4), "Y must hold finite numbers"),
    (np.array([["a", "b"]] * 4), Y, "X must hold finite numbers"),
])
def test_bad_data(bad_X, bad_Y, message):
    net = nncore.MLP([2, 3, 1])
    with pytest.raises(ValueError, match=message):
        nncore.backprop(net, bad_X, bad_Y)
    with pytest.raises(ValueError, match=message):
        nncore.train(net, bad_X, bad_Y, epochs=1, batch_size=2, lr=0.1)


def test_bad_validation_data_names_the_validation_argument():
    with pytest.raises(ValueError, match=r"X_val must have shape \(n, 2\)"):
        nncore.train(nncore.MLP([2, 3, 1]), X, Y, epochs=1, batch_size=2, lr=0.1,
                     validation=(np.zeros((3, 5)), np.zeros((3, 1))))


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 1, 3, 2]), r"class labels must lie in \[0, 2\] for 3 outputs, got range \[0, 3\]"),
    (np.array([0, -1, 1, 2]), r"class labels must lie in \[0, 2\]"),
    (np.array([0.5, 1, 1, 2]), r"class labels must be integers"),
])
def test_labels_outside_the_output_range(labels, message):
    net = nncore.MLP([2, 3], output="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match=message):
        nncore.backprop(net, X, labels)


def test_binary_targets_must_lie_in_0_1():
    net = nncore.MLP([2, 1], output="sigmoid", loss="binary_cross_entropy")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        nncore.backprop(net, X, np.full((4, 1), 2.0))


def test_empty_batch_is_refused():
    with pytest.raises(ValueError, match="at least one sample"):
        nncore.backprop(nncore.MLP([2, 1]), np.zeros((0, 2)), np.zeros((0, 1)))


def test_params_assigned_with_the_wrong_shape_are_refused():
    net = nncore.MLP([2, 3, 1])
    net.params[0] = (np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"params\[0\] must be W of shape \(2, 3\) and b of shape \(3,\)"):
        nncore.train(net, X, Y, epochs=1, batch_size=2, lr=0.1)
