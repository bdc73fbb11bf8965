"""The classic results the original tutorials and study reported."""
import numpy as np

import nncore
from nncore import datasets


def test_xor_2_3_1_relu_net_is_solved_within_10000_steps():
    X, Y, _, _ = datasets.xor()
    net = nncore.MLP([2, 3, 1], activation="relu", output="identity", loss="mse", seed=0)
    history = nncore.train(net, X, Y, epochs=10_000, batch_size=4, lr=0.01, shuffle=False)
    losses = np.array(history.train_loss)
    assert history.steps == 10_000
    assert losses.min() < 0.001
    assert np.argmax(losses < 0.001) <= 10_000  # the tutorial reported 3,315 steps
    np.testing.assert_array_equal(np.round(net.forward(X)), Y)


def test_people_2_2_1_sigmoid_net_tells_emily_from_frank():
    X, Y, X_val, _ = datasets.people()
    net = nncore.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", loss="mse", seed=0)
    nncore.train(net, X, Y, epochs=1000, batch_size=1, lr=0.1, seed=0)
    emily, frank = net.forward(X_val)[:, 0]
    assert emily > 0.9
    assert frank < 0.1


def test_random_regression_is_driven_to_zero():
    X, Y, _, _ = datasets.random_regression()
    net = nncore.MLP([1000, 100, 10], activation="relu", loss="sse", seed=0)
    history = nncore.train(net, X, Y, epochs=500, batch_size=64, lr=0.002, shuffle=False)
    assert history.train_loss[0] > 1
    assert history.train_loss[-1] < 1e-3
