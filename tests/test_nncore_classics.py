"""The classic results the original tutorials and study reported."""
import numpy as np

import nncore
from nncore import datasets


def test_xor_2_3_1_relu_net_is_solved_within_10000_steps():
    X, Y, _, _ = datasets.xor()
    net = nncore.MLP([2, 3, 1], activation="relu", output="identity", loss="mse", seed=0)
    history = nncore.train(net, X, Y, epochs=10_000, batch_size=4, lr=0.01, shuffle=False)
    assert history.steps == 10_000  # one batch of the 4 samples per epoch: train_loss[k] is after k steps
    below = np.flatnonzero(np.array(history.train_loss) < 0.001)
    assert below.size, f"the loss never fell below 0.001 in 10,000 steps (min {min(history.train_loss):.3g})"
    first_solved_step = int(below[0])  # the tutorial reported 3,315 steps
    # Solved for good: once below 0.001 the loss stays there, and every output rounds to its target.
    assert np.array_equal(below, np.arange(first_solved_step, 10_001)), f"lost after step {first_solved_step}"
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
