"""Per-layer activation statistics, and the classic initialization picture on a small deep net."""
import numpy as np
import pytest

import nncore
from nncore.activation_stats import HISTOGRAM_BINS, per_layer, saturated_mask

LAYERS = [20, 50, 50, 50, 50, 3]  # four hidden layers of 50: deep enough for the picture


def _inputs(n=400, seed=0):
    return np.random.default_rng(seed).normal(size=(n, LAYERS[0]))


def _stats(activation, init, scale=1.0):
    net = nncore.MLP(LAYERS, activation=activation, output="softmax", loss="cross_entropy",
                     init=init, init_scale=scale, seed=3)
    return per_layer(net, _inputs())


def test_forward_layers_end_with_the_forward_pass_and_match_manual_products():
    net = nncore.MLP([4, 5, 3, 2], activation="tanh", seed=1)
    X = _inputs(7)[:, :4]
    layers = list(net.forward_layers(X))
    assert len(layers) == 3
    a = X
    for (W, b), act, (z, out) in zip(net.params, net.activations, layers):
        np.testing.assert_allclose(z, a @ W + b)
        a = act.forward(a @ W + b)
        np.testing.assert_allclose(out, a)
    z, out = net.forward_pass(X)
    np.testing.assert_array_equal(out, layers[-1][1])


def test_one_entry_per_hidden_layer_with_a_full_histogram():
    stats = _stats("relu", "he")
    assert [s.layer for s in stats] == [1, 2, 3, 4]
    for s in stats:
        assert s.counts.shape == (HISTOGRAM_BINS,) and s.bin_edges.shape == (HISTOGRAM_BINS + 1,)
        assert s.counts.sum() == 400 * 50  # every value of the layer lands in a bin
        assert s.bin_edges[0] == 0.0  # ReLU's histogram starts at its bound


def test_bounded_activations_are_histogrammed_over_their_range():
    for activation, (low, high) in (("sigmoid", (0, 1)), ("tanh", (-1, 1))):
        for s in _stats(activation, "xavier"):
            assert (s.bin_edges[0], s.bin_edges[-1]) == (low, high)


def test_saturation_is_within_one_percent_of_the_range_and_relu_death_is_exactly_zero():
    sigmoid = np.array([[0.005, 0.0101, 0.5, 0.995]])
    np.testing.assert_array_equal(saturated_mask(sigmoid, (0.0, 1.0)), [[True, False, False, True]])
    tanh = np.array([[-0.99, -0.97, 0.0, 0.981]])
    np.testing.assert_array_equal(saturated_mask(tanh, (-1.0, 1.0)), [[True, False, False, True]])
    relu = np.array([[0.0, 1e-300, 3.0]])
    np.testing.assert_array_equal(saturated_mask(relu, (0.0, np.inf)), [[True, False, False]])


def test_dead_units_count_units_dead_on_every_sample():
    net = nncore.MLP([2, 3, 1], activation="relu", seed=0)
    W, b = net.params[0]
    W[...] = [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]]
    b[...] = [0.0, -1.0, 0.0]
    X = np.array([[1.0, 0.0], [2.0, 0.0]])  # unit 0 alive, unit 1 always 0, unit 2 always 0
    (stats,) = per_layer(net, X)
    assert stats.dead_units == pytest.approx(2 / 3)
    assert stats.saturated == pytest.approx(4 / 6)
    assert stats.mean == pytest.approx(np.mean([[1, 0, 0], [2, 0, 0]]))


def test_measuring_leaves_the_network_unchanged():
    net = nncore.MLP(LAYERS, activation="sigmoid", output="softmax", loss="cross_entropy", seed=2)
    before = net.flat_params().copy()
    per_layer(net, _inputs())
    np.testing.assert_array_equal(net.flat_params(), before)


def test_bad_bins_name_the_argument():
    net = nncore.MLP([2, 3, 1], seed=0)
    with pytest.raises(ValueError, match="bins"):
        per_layer(net, np.zeros((2, 2)), bins=0)


# --- the known picture (Glorot and Bengio 2010; Saito, Deep Learning from Scratch, 6.2) ---------

def test_sigmoid_with_unit_normal_weights_saturates():
    deepest = _stats("sigmoid", "normal", 1.0)[-1]
    assert deepest.saturated > 0.3  # a third or more of the values within 1% of 0 or 1


def test_sigmoid_with_tiny_normal_weights_collapses_onto_one_half():
    for s in _stats("sigmoid", "normal", 0.01)[1:]:
        assert abs(s.mean - 0.5) < 0.01 and s.std < 0.02


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_xavier_keeps_sigmoid_and_tanh_spread(activation):
    for s in _stats(activation, "xavier"):
        assert s.saturated < 0.02
        assert s.std > 0.05


def test_he_keeps_relu_layers_alive_where_tiny_weights_kill_them():
    he = _stats("relu", "he")
    tiny = _stats("relu", "normal", 0.01)
    assert all(s.dead_units < 0.05 for s in he)
    assert he[-1].std > 0.5 * he[0].std  # the spread survives the depth
    assert tiny[-1].dead_units > 0.2
    assert tiny[-1].std < 0.05 * he[-1].std  # what is left of them carries almost nothing


def test_he_uniform_draws_within_its_bound_with_he_variance_and_zero_biases():
    net = nncore.MLP([200, 300, 2], init="he_uniform", init_scale=1.0, seed=4)
    (W, b), _ = net.params
    limit = np.sqrt(6.0 / 200)
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.99 * limit
    assert W.var() == pytest.approx(2.0 / 200, rel=0.02)
    assert not b.any()
