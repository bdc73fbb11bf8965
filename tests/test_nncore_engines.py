"""Every analytic engine computes the same gradient, and that gradient is the true one."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nncore
from nncore.gradcheck import flatten, max_relative_error
from nncore.network import parameter_count

from nncore.engines import conformance, kit_cases
from nnstudy.testing import parametrize_with_checks

# nncore's own engines pass the same kit as any plugin (``nnstudy check-engine``): one kit.
ANALYTIC = tuple(name for name in nncore.ENGINES if name != "numerical")
HIDDEN = conformance.DOMAIN["activation"]
# Each output activation with every loss defined on it.
OUTPUT_LOSSES = [(out, loss) for out in conformance.DOMAIN["output"]
                 for loss in conformance.DOMAIN["loss"] if conformance.compatible(out, loss)]


@parametrize_with_checks(list(nncore.ENGINES))
def test_every_engine_of_nncore_passes_the_conformance_kit(engine, check):
    check(engine)


@st.composite
def cases(draw):
    """A random small network and batch for the kit's checks, beyond the kit's fixed cases."""
    hidden = draw(st.lists(st.integers(1, 8), min_size=1, max_size=4))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    output, loss = draw(st.sampled_from(OUTPUT_LOSSES))
    if loss == "cross_entropy":
        n_out = max(n_out, 2)
    return conformance.Case((n_in, *hidden, n_out), draw(st.sampled_from(HIDDEN)), output, loss,
                            "float64", draw(st.sampled_from(nncore.REDUCTIONS)),
                            seed=draw(st.integers(0, 2**16)), rows=draw(st.integers(1, 5)))


def kit_check(name, engine, case):
    worst, tolerance, *_ = conformance.CHECKS[name](nncore.engines.get_engine(engine), None, case)
    return worst, tolerance


@given(cases())
def test_every_analytic_engine_matches_finite_differences(case):
    assume(kit_cases.away_from_kink(case))
    net = case.network()
    _, numerical = nncore.backprop(net, *case.batch(net), engine="numerical", reduction=case.reduction)
    # Finite differences carry ~1e-10 of absolute noise; a relative error means something only
    # for a gradient well above that (vanishing ones come from chains of width-1 layers).
    assume(np.abs(flatten(numerical)).max() > 1e-2)  # 1e-3 let a 1.1e-6 error of noise through
    for engine in ANALYTIC:
        worst, tolerance = kit_check("gradients_vs_numerical", engine, case)
        assert worst < tolerance, (engine, case.label, worst)


@given(cases())
def test_analytic_engines_agree_with_each_other(case):
    for engine in ANALYTIC:
        worst, _ = kit_check("gradients_vs_vectorized", engine, case)
        assert worst < 1e-10, (engine, case.label, worst)


def test_gradients_are_laid_out_like_params():
    net = nncore.MLP([3, 4, 2])
    _, grads = nncore.backprop(net, np.ones((2, 3)), np.ones((2, 2)))
    assert [(dW.shape, db.shape) for dW, db in grads] == [(W.shape, b.shape) for W, b in net.params]


def test_parameter_count_is_the_length_of_the_parameter_vector():
    net = nncore.MLP([3, 4, 2])
    assert parameter_count([3, 4, 2]) == (3 * 4 + 4) + (4 * 2 + 2)
    assert net.flat_params().size == sum(W.size + b.size for W, b in net.params) == parameter_count([3, 4, 2])


@pytest.mark.parametrize("engine", nncore.ENGINES)
def test_sum_reduction_is_n_times_mean(engine):
    rng = np.random.default_rng(1)
    net = nncore.MLP([2, 3, 1], activation="tanh")
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    mean_loss, mean = nncore.backprop(net, X, Y, engine=engine, reduction="mean")
    sum_loss, summed = nncore.backprop(net, X, Y, engine=engine, reduction="sum")
    assert sum_loss == pytest.approx(mean_loss)  # the loss is the batch mean either way
    np.testing.assert_allclose(flatten(summed), 5 * flatten(mean), rtol=1e-9)


@pytest.mark.parametrize(("loss", "divisor"), [("mse", 3), ("sse", 1)])
def test_squared_loss_and_gradient_factor_match_their_definition(loss, divisor):
    # One linear layer with output b = [1, 2, 3] against y = 0: L = (1 + 4 + 9) / divisor and
    # dL/db = 2 b / divisor, exactly.
    net = nncore.MLP([1, 3], activation="identity", output="identity", loss=loss)
    net.params[0] = (np.zeros((1, 3)), np.array([1.0, 2.0, 3.0]))
    value, grads = nncore.backprop(net, np.zeros((1, 1)), np.zeros((1, 3)))
    assert value == pytest.approx(14.0 / divisor)
    np.testing.assert_allclose(grads[0][1], np.array([2.0, 4.0, 6.0]) / divisor)


@pytest.mark.parametrize("engine", ANALYTIC)
def test_mse_is_sse_over_the_number_of_outputs_in_value_and_gradient(engine):
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 4))
    mse_loss, mse = nncore.backprop(nncore.MLP([2, 3, 4], loss="mse", seed=1), X, Y, engine=engine)
    sse_loss, sse = nncore.backprop(nncore.MLP([2, 3, 4], loss="sse", seed=1), X, Y, engine=engine)
    assert mse_loss == pytest.approx(sse_loss / 4, rel=1e-12)
    np.testing.assert_allclose(flatten(mse), flatten(sse) / 4, rtol=1e-12)


def test_relu_derivative_at_zero_is_zero():
    net = nncore.MLP([1, 1, 1], activation="relu")
    net.params[0] = (np.array([[1.0]]), np.array([0.0]))  # z = 0 exactly at x = 0
    net.params[1] = (np.array([[1.0]]), np.array([0.5]))
    for engine in ANALYTIC:
        _, grads = nncore.backprop(net, np.zeros((1, 1)), np.ones((1, 1)), engine=engine)
        assert grads[0][1][0] == 0.0, engine


def test_cross_entropy_stays_finite_on_saturated_softmax():
    net = nncore.MLP([1, 3], activation="identity", output="softmax", loss="cross_entropy")
    net.params[0] = (np.zeros((1, 3)), np.array([0.0, 800.0, 0.0]))  # p(class 0) underflows
    loss, grads = nncore.backprop(net, np.zeros((1, 1)), np.array([0]))
    assert np.isfinite(loss) and loss > 700
    np.testing.assert_allclose(grads[0][1], [-1.0, 1.0, 0.0])


def test_integer_labels_and_one_hot_give_the_same_gradient():
    rng = np.random.default_rng(2)
    net = nncore.MLP([4, 5, 3], output="softmax", loss="cross_entropy")
    X, labels = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    loss_a, a = nncore.backprop(net, X, labels)
    loss_b, b = nncore.backprop(net, X, np.eye(3)[labels])
    assert loss_a == loss_b
    np.testing.assert_array_equal(flatten(a), flatten(b))


@pytest.mark.parametrize("engine", nncore.ENGINES)
def test_backprop_is_pure(engine):
    rng = np.random.default_rng(3)
    net = nncore.MLP([2, 4, 1])
    X, Y = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    before = [(W.copy(), b.copy()) for W, b in net.params]
    X_before, Y_before = X.copy(), Y.copy()
    _, first = nncore.backprop(net, X, Y, engine=engine)
    _, second = nncore.backprop(net, X, Y, engine=engine)
    assert first[0][0] is not second[0][0]  # the caller owns fresh arrays
    np.testing.assert_array_equal(flatten(first), flatten(second))
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)
    for (W, b), (W0, b0) in zip(net.params, before):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_assigning_params_changes_the_network():
    net = nncore.MLP([1, 1], activation="identity")
    net.params[0] = (np.array([[2.0]]), np.array([1.0]))
    np.testing.assert_array_equal(net.forward(np.array([[3.0]])), [[7.0]])


def test_engines_see_arrays_assigned_into_params():
    rng = np.random.default_rng(4)
    net = nncore.MLP([2, 3, 1], activation="tanh")
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    new_W = rng.normal(size=(2, 3))
    net.params[0] = (new_W, np.ones(3))
    _, vectorized = nncore.backprop(net, X, Y, engine="vectorized")
    _, loop = nncore.backprop(net, X, Y, engine="loop")
    np.testing.assert_allclose(flatten(vectorized), flatten(loop), rtol=1e-12)
    np.testing.assert_array_equal(net.params[0][0], new_W)
    fresh = nncore.MLP([2, 3, 1], activation="tanh")
    fresh.params[0] = (new_W.copy(), np.ones(3))
    _, reference = nncore.backprop(fresh, X, Y, engine="loop")
    np.testing.assert_array_equal(flatten(loop), flatten(reference))


def test_training_updates_arrays_assigned_into_params():
    rng = np.random.default_rng(5)
    net = nncore.MLP([2, 3, 1])
    X, Y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    net.params[1] = (np.full((3, 1), 0.5), np.zeros(1))
    before = net.loss_value(X, Y)
    nncore.train(net, X, Y, epochs=5, batch_size=4, lr=0.05)
    assert net.loss_value(X, Y) < before
    assert not np.array_equal(net.params[1][0], np.full((3, 1), 0.5))


@pytest.mark.parametrize("engine", ANALYTIC)
def test_engines_overwrite_the_callers_gradient_vector_scaled(engine):
    rng = np.random.default_rng(6)
    net = nncore.MLP([3, 4, 2], activation="sigmoid")
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    grads = np.full_like(net.flat_params(), np.nan)
    loss_sum = nncore.engines.get_engine(engine).summed_gradients(net, X, Y, grads, scale=0.5)
    loss, reference = nncore.backprop(net, X, Y, engine="loop", reduction="sum")
    assert loss_sum == pytest.approx(5 * loss)
    np.testing.assert_allclose(grads, 0.5 * flatten(reference), rtol=1e-12)


def test_a_reused_engine_keeps_no_old_gradient_vectors_alive():
    import gc
    import weakref
    rng = np.random.default_rng(7)
    net = nncore.MLP([2, 3, 1])
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    engine = nncore.engines.get_engine("vectorized")
    first = nncore.engines.zero_gradients(net)
    engine.summed_gradients(net, X, Y, first)
    first_buffer = weakref.ref(first)
    del first
    second = nncore.engines.zero_gradients(net)
    engine.summed_gradients(net, X, Y, second, scale=0.25)
    gc.collect()
    assert first_buffer() is None
    _, reference = nncore.backprop(net, X, Y, engine="loop", reduction="sum")
    np.testing.assert_allclose(second, 0.25 * flatten(reference), rtol=1e-12)


class _SteppingHook:
    """vectorized's gradients and a ``train_epoch`` hook that takes every optimizer and makes
    ``nncore.train_step``'s steps on the rows in the epoch's order, except that the ``wrong``
    kind's lr is doubled (or, with ``ignore_order``, that it takes the rows as they come)."""

    name = "stepping-hook"

    def __init__(self, wrong=None, decline=(), ignore_order=False):
        self.inner, self.wrong, self.decline = nncore.engines.get_engine("vectorized"), wrong, decline
        self.ignore_order = ignore_order

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        return self.inner.summed_gradients(net, X, Y, grads, compute_loss, scale)

    def train_epoch(self, net, X, Y, batch_size, optimizer, reduction, grads, order):
        if optimizer.kind in self.decline:
            return False
        if order is not None and not self.ignore_order:
            X, Y = X[order], Y[order]
        lr = optimizer.lr
        optimizer.lr = 2 * lr if optimizer.kind == self.wrong else lr
        for start in range(0, X.shape[0], batch_size):
            nncore.train_step(net, self, X[start:start + batch_size], Y[start:start + batch_size],
                              grads, optimizer, reduction)
        optimizer.lr = lr
        return True


def test_the_train_epoch_hook_check_runs_every_optimizer_kind():
    kinds = {settings["kind"] for settings in conformance.HOOK_OPTIMIZERS}
    assert kinds == set(nncore.OPTIMIZERS)


def test_a_train_epoch_hook_that_steps_like_train_step_passes_and_one_declined_kind_is_named():
    outcomes = conformance.run_check(_SteppingHook(decline=("adagrad",)), "train_epoch_hook")
    assert all(o.passed for o in outcomes), conformance.format_table(outcomes, every_case=True)
    assert all("declined adagrad" in o.note for o in outcomes)


@pytest.mark.parametrize("wrong", ["adam", "momentum"])
def test_a_train_epoch_hook_wrong_for_one_optimizer_fails_the_check(wrong):
    outcomes = conformance.run_check(_SteppingHook(wrong=wrong), "train_epoch_hook")
    assert not any(o.passed for o in outcomes)
    assert all(o.worst_error > 100 * o.tolerance for o in outcomes)


def test_a_train_epoch_hook_that_ignores_the_epochs_order_fails_the_check():
    outcomes = conformance.run_check(_SteppingHook(ignore_order=True), "train_epoch_hook")
    # it fails wherever training moves the network (a dead ReLU output can leave it as it was)
    assert sum(not o.passed for o in outcomes) >= len(outcomes) - 1
    assert all(o.worst_error == 0.0 for o in outcomes if o.passed)


def test_a_hook_that_declines_after_moving_the_network_fails():
    class Sloppy(_SteppingHook):
        def train_epoch(self, net, X, Y, batch_size, optimizer, reduction, grads, order):
            net.flat_params()[0] += 1.0  # then says it did nothing
            return False

    outcomes = conformance.run_check(Sloppy(), "train_epoch_hook")
    assert not any(o.passed for o in outcomes)


def test_an_engine_without_train_epoch_is_not_applicable():
    outcomes = conformance.run_check("loop", "train_epoch_hook")
    assert all(o.passed and "not applicable" in o.note for o in outcomes)
