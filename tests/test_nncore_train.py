"""Training: engines walk the same path, dtypes hold, schedules and divergence behave."""
import numpy as np
import pytest

import nncore
from nncore.schedules import Constant, Exponential, Step, make_schedule
from nndata.digits import digits


def sincos_subset(n=40, seed=0):
    X, Y, X_val, Y_val = nncore.datasets.sincos()
    rows = np.random.default_rng(seed).choice(len(X), size=n, replace=False)
    return X[rows], Y[rows], X_val[:20], Y_val[:20]


@pytest.mark.parametrize("reduction", nncore.REDUCTIONS)
def test_engines_trained_from_one_seed_share_their_loss_history(reduction):
    X, Y, X_val, Y_val = sincos_subset()
    histories = {}
    for engine in ("scalar", "loop", "vectorized"):
        net = nncore.MLP([2, 6, 4, 1], seed=3)
        histories[engine] = nncore.train(net, X, Y, epochs=4, batch_size=7, lr=0.01, engine=engine,
                                         reduction=reduction, validation=(X_val, Y_val), seed=5)
    reference = histories["vectorized"]
    assert reference.train_loss[-1] < reference.train_loss[0]
    for engine in ("scalar", "loop"):
        np.testing.assert_allclose(histories[engine].train_loss, reference.train_loss, rtol=1e-9)
        np.testing.assert_allclose(histories[engine].val_loss, reference.val_loss, rtol=1e-9)


def test_training_is_reproducible_and_depends_on_the_seed():
    X, Y, _, _ = sincos_subset()
    def run(seed):
        net = nncore.MLP([2, 5, 1], seed=0)
        return nncore.train(net, X, Y, epochs=3, batch_size=4, lr=0.05, seed=seed).train_loss
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_float32_stays_float32_through_forward_backprop_and_training():
    X, Y, X_val, Y_val = sincos_subset()
    net = nncore.MLP([2, 8, 1], dtype="float32")
    assert all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in net.params)
    assert net.forward(X).dtype == np.float32
    for engine in ("scalar", "loop", "vectorized"):
        _, grads = nncore.backprop(net, X, Y, engine=engine)
        assert all(dW.dtype == np.float32 and db.dtype == np.float32 for dW, db in grads), engine
    nncore.train(net, X, Y, epochs=2, batch_size=8, lr=0.01, validation=(X_val, Y_val))
    assert all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in net.params)


def test_float32_training_follows_float64_closely():
    X, Y, _, _ = sincos_subset()
    losses = {}
    for dtype in ("float32", "float64"):
        net = nncore.MLP([2, 8, 1], dtype=dtype, seed=1)
        losses[dtype] = nncore.train(net, X, Y, epochs=3, batch_size=8, lr=0.01).train_loss
    np.testing.assert_allclose(losses["float32"], losses["float64"], rtol=1e-4)


def test_history_records_epoch_zero_and_every_epoch():
    X, Y, X_val, Y_val = sincos_subset()
    seen = []
    history = nncore.train(nncore.MLP([2, 4, 1]), X, Y, epochs=3, batch_size=10, lr=0.01,
                           validation=(X_val, Y_val), schedule={"kind": "step", "factor": 0.5, "every": 2},
                           callback=lambda epoch, net, h: seen.append(epoch))
    assert history.epoch == [0, 1, 2, 3] and seen == [0, 1, 2, 3]
    assert np.isnan(history.lr[0]) and history.lr[1:] == [0.01, 0.01, 0.005]
    assert history.epoch_s[0] == 0 and all(s > 0 for s in history.epoch_s[1:])
    assert history.steps == 3 * 4  # 40 samples in batches of 10
    assert all(np.isfinite(history.val_loss)) and all(np.isnan(history.train_acc))
    assert not history.diverged and history.epochs_run == 3


def test_evaluating_every_kth_epoch_records_those_and_the_last_on_the_same_path():
    X, Y, X_val, Y_val = sincos_subset()
    def run(evaluate_every, seen):
        return nncore.train(nncore.MLP([2, 4, 1], seed=2), X, Y, epochs=7, batch_size=10, lr=0.01,
                            validation=(X_val, Y_val), evaluate_every=evaluate_every, seed=1,
                            callback=lambda epoch, net, h: seen.append(epoch))
    seen_sparse, seen_all = [], []
    sparse, every = run(3, seen_sparse), run(1, seen_all)
    assert sparse.epoch == [0, 3, 6, 7] and seen_sparse == [0, 3, 6, 7]
    np.testing.assert_array_equal(sparse.train_loss, [every.train_loss[e] for e in sparse.epoch])
    assert sparse.steps == every.steps == 7 * 4
    assert all(s > 0 for s in sparse.epoch_s[1:])  # seconds per epoch since the last record


def test_evaluate_every_must_be_a_positive_integer():
    X, Y, _, _ = sincos_subset()
    with pytest.raises(ValueError, match="evaluate_every"):
        nncore.train(nncore.MLP([2, 4, 1]), X, Y, epochs=2, batch_size=10, lr=0.01, evaluate_every=0)


def test_classifier_history_records_accuracy():
    X, y, X_test, y_test = digits()
    net = nncore.MLP([64, 20, 10], activation="sigmoid", output="softmax", loss="cross_entropy")
    history = nncore.train(net, X[:300], y[:300], epochs=5, batch_size=20, lr=0.5,
                           validation=(X_test, y_test))
    assert history.train_acc[-1] > history.train_acc[0]
    # Held-out digits are recognized well above chance (10 classes: 0.1); measured 0.64.
    assert history.val_acc[-1] > 0.4 > history.val_acc[0]


def test_history_records_the_steps_taken_by_each_recorded_epoch():
    X, Y, _, _ = sincos_subset()
    n = len(X)
    history = nncore.train(nncore.MLP([2, 4, 1]), X, Y, epochs=4, batch_size=7, lr=0.01,
                           evaluate_every=3)
    per_epoch = -(-n // 7)  # the last batch of an epoch may be smaller
    assert history.epoch == [0, 3, 4]
    assert history.step == [0, 3 * per_epoch, 4 * per_epoch]
    assert history.as_dict()["step"] == history.step and history.steps == history.step[-1]


def test_divergence_stops_training_and_is_marked_without_raising():
    X, Y, _, _ = sincos_subset()
    history = nncore.train(nncore.MLP([2, 20, 1], init_scale=1.0), X, Y * 1e3, epochs=50,
                           batch_size=1, lr=10.0, reduction="sum")
    assert history.diverged
    assert history.epochs_run < 50
    assert not np.isfinite(history.train_loss[-1])


def test_without_shuffle_batches_follow_the_data_order():
    X, Y, _, _ = sincos_subset()
    def final_loss(shuffle, seed):
        net = nncore.MLP([2, 4, 1])
        return nncore.train(net, X, Y, epochs=2, batch_size=5, lr=0.05, shuffle=shuffle, seed=seed).train_loss[-1]
    assert final_loss(False, 1) == final_loss(False, 2)
    assert final_loss(True, 1) != final_loss(True, 2)


def test_schedules():
    assert [Step(0.01, 0.9, 3)(e) for e in (0, 2, 3, 6)] == pytest.approx([0.01, 0.01, 0.009, 0.0081])
    assert Exponential(1.0, 0.5)(3) == 0.125
    assert make_schedule(None, 0.1) == Constant(0.1)
    assert make_schedule({"kind": "exponential", "gamma": 0.9}, 0.1) == Exponential(0.1, 0.9)
    assert make_schedule({"kind": "step", "factor": 0.9, "every": 3}, 0.01) == Step(0.01, 0.9, 3)


@pytest.mark.parametrize("kind", sorted(nncore.OPTIMIZERS))
@pytest.mark.parametrize(("reduction", "batch"), [("mean", 5), ("sum", 5), ("mean", 50)])
def test_the_vectorized_epoch_hook_makes_train_steps_updates_to_the_bit(kind, reduction, batch):
    # 23 samples in batches of 5: four full batches and a last short one (or one batch of all 23);
    # two epochs, so the second starts from the optimizer state the first left.
    from nncore.engines import get_engine, zero_gradients
    from nncore.optimizers import make_optimizer
    from nncore.train import train_step

    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((23, 3)), rng.standard_normal((23, 2))
    nets, rules = [], []
    engine = get_engine("vectorized")
    for hooked in (True, False):
        net = nncore.MLP([3, 6, 4, 2], activation="tanh", seed=3)
        rule, grads = make_optimizer({"kind": kind}, net.flat_params(), 0.01), zero_gradients(net)
        for _ in range(2):
            if hooked:
                assert engine.train_epoch(net, X, Y, batch, rule, reduction, grads) is True
            else:
                for start in range(0, 23, batch):
                    train_step(net, engine, X[start:start + batch], Y[start:start + batch], grads, rule,
                               reduction)
        nets.append(net)
        rules.append(rule)
    assert np.array_equal(nets[0].flat_params(), nets[1].flat_params())
    assert rules[0].steps == rules[1].steps and not np.array_equal(nets[0].flat_params(),
                                                                   nncore.MLP([3, 6, 4, 2], seed=3).flat_params())
    for name in rules[0].state_names:
        assert np.array_equal(rules[0].state[name], rules[1].state[name])
