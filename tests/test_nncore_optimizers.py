"""Optimizers: every rule follows torch.optim's update, plain SGD keeps the old trajectory to the bit.

The reference updates below are torch.optim's single-tensor code paths (torch 2.x) written out
with NumPy, one formula per line in torch's order, so torch is not needed to run them.
"""
import numpy as np
import pytest

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import OPTIMIZERS, canonical_optimizer, make_optimizer

LR, GAMMA, EPOCHS, BATCH = 0.05, 0.9, 6, 5   # 24 samples: 5 steps per epoch, 30 steps in all


def reference_step(kind, p, g, state, lr, h):
    """One torch.optim update of the parameter vector p from gradient g; returns the new p."""
    wd = h["weight_decay"]
    if kind in ("sgd", "momentum", "nesterov"):             # torch.optim.SGD, dampening 0
        g = g + wd * p
        if kind != "sgd":
            state["buf"] = g.copy() if "buf" not in state else h["momentum"] * state["buf"] + g
            g = g + h["momentum"] * state["buf"] if kind == "nesterov" else state["buf"]
        return p - lr * g
    state["step"] = state.get("step", 0) + 1
    if kind == "adagrad":                                   # lr_decay 0, initial accumulator 0
        g = g + wd * p
        clr = lr / (1 + (state["step"] - 1) * 0.0)
        state["sum"] = state.get("sum", 0.0) + g * g
        std = np.sqrt(state["sum"]) + h["eps"]
        return p - clr * (g / std)
    if kind == "rmsprop":                                   # no momentum, not centered
        g = g + wd * p
        state["square_avg"] = h["alpha"] * state.get("square_avg", 0.0) + (1 - h["alpha"]) * g * g
        avg = np.sqrt(state["square_avg"]) + h["eps"]
        return p - lr * (g / avg)
    # torch.optim.Adam / AdamW, amsgrad off
    if kind == "adamw":
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    exp_avg = state.get("exp_avg", np.zeros_like(p))
    state["exp_avg"] = exp_avg + (g - exp_avg) * (1 - h["beta1"])            # lerp_
    state["exp_avg_sq"] = h["beta2"] * state.get("exp_avg_sq", 0.0) + (1 - h["beta2"]) * g * g
    t = state["step"]
    bias_correction1, bias_correction2 = 1 - h["beta1"] ** t, 1 - h["beta2"] ** t
    step_size = lr / bias_correction1
    denom = np.sqrt(state["exp_avg_sq"]) / np.sqrt(bias_correction2) + h["eps"]
    return p - step_size * (state["exp_avg"] / denom)


def tiny_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(24, 3))
    y = rng.integers(0, 4, size=24)
    net = nncore.MLP([3, 6, 4], activation="tanh", output="softmax", loss="cross_entropy",
                     init="he", seed=seed)
    return net, X, y


def flat_gradient(grads):
    return np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in grads])


def reference_training(net, X, y, kind, hyperparameters, reduction, initial_lr):
    """The same 30 steps as ``nncore.train(shuffle=False)`` with an exponential schedule."""
    h = canonical_optimizer({"kind": kind, **hyperparameters})
    p, state = net.flat_params().copy(), {}
    for epoch in range(EPOCHS):
        lr = initial_lr * GAMMA ** epoch
        for start in range(0, len(y), BATCH):
            net.flat_params()[...] = p
            _, grads = nncore.backprop(net, X[start:start + BATCH], y[start:start + BATCH],
                                       reduction=reduction)
            p = reference_step(kind, p, flat_gradient(grads), state, lr, h)
    return p


SETTINGS = [(kind, {}) for kind in OPTIMIZERS] + [
    ("sgd", {"weight_decay": 0.1}),
    ("momentum", {"momentum": 0.5, "weight_decay": 0.1}),
    ("nesterov", {"momentum": 0.7, "weight_decay": 0.1}),
    ("adagrad", {"eps": 1e-3, "weight_decay": 0.1}),
    ("rmsprop", {"alpha": 0.9, "eps": 1e-4, "weight_decay": 0.1}),
    ("adam", {"beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "weight_decay": 0.1}),
    ("adamw", {"beta1": 0.5, "beta2": 0.9, "weight_decay": 0.2}),
]


@pytest.mark.parametrize("reduction", nncore.REDUCTIONS)
@pytest.mark.parametrize(("kind", "hyperparameters"), SETTINGS,
                         ids=[f"{kind}-{'-'.join(map(str, h.values())) or 'defaults'}" for kind, h in SETTINGS])
def test_every_optimizer_follows_the_torch_update_over_thirty_steps(kind, hyperparameters, reduction):
    net, X, y = tiny_problem()
    lr = LR if reduction == "mean" else LR / BATCH   # the summed gradient is BATCH times larger
    expected = reference_training(net.copy(), X, y, kind, hyperparameters, reduction, lr)
    start = net.flat_params().copy()
    history = nncore.train(net, X, y, epochs=EPOCHS, batch_size=BATCH, lr=lr, shuffle=False,
                           schedule={"kind": "exponential", "gamma": GAMMA}, reduction=reduction,
                           optimizer={"kind": kind, **hyperparameters})
    assert history.steps == 30
    moved = np.max(np.abs(expected - start))
    assert moved > 1e-2                                        # the comparison is not trivial
    np.testing.assert_allclose(net.flat_params(), expected, rtol=0, atol=1e-12 * max(1.0, moved))


def old_sgd_training(net, X, Y, epochs, batch_size, lr_at, reduction, seed):
    """nncore.train's loop before optimizers existed: lr/n folded into the engine's scale."""
    engine, grads = get_engine("vectorized"), zero_gradients(net)
    X, Y = net.check_data(X, Y)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        lr = float(lr_at(epoch))
        order = rng.permutation(len(X))
        X_epoch, Y_epoch = X[order], Y[order]
        for start in range(0, len(X), batch_size):
            X_batch, Y_batch = X_epoch[start:start + batch_size], Y_epoch[start:start + batch_size]
            step = lr / X_batch.shape[0] if reduction == "mean" else lr
            engine.summed_gradients(net, X_batch, Y_batch, grads, compute_loss=False, scale=step)
            params = net.flat_params()
            params -= grads


@pytest.mark.parametrize("optimizer", ["sgd", None, {"kind": "sgd"}, {"kind": "sgd", "weight_decay": 0}])
@pytest.mark.parametrize("reduction", nncore.REDUCTIONS)
def test_plain_sgd_keeps_the_previous_trajectory_to_the_bit(optimizer, reduction):
    net, X, y = tiny_problem(seed=2)
    old = net.copy()
    lr_at = lambda epoch: 0.1 * 0.9 ** (epoch // 2)
    old_sgd_training(old, X, y, epochs=5, batch_size=7, lr_at=lr_at, reduction=reduction, seed=4)
    nncore.train(net, X, y, epochs=5, batch_size=7, lr=0.1, schedule={"kind": "step", "factor": 0.9, "every": 2},
                 reduction=reduction, seed=4, optimizer=optimizer)
    assert np.array_equal(net.flat_params(), old.flat_params())


def test_default_optimizer_is_plain_sgd():
    net, X, y = tiny_problem()
    twin = net.copy()
    nncore.train(net, X, y, epochs=2, batch_size=5, lr=0.1)
    nncore.train(twin, X, y, epochs=2, batch_size=5, lr=0.1, optimizer="sgd")
    assert np.array_equal(net.flat_params(), twin.flat_params())


def one_step(kind, params, grad, lr=0.1, **hyperparameters):
    optimizer = make_optimizer({"kind": kind, **hyperparameters}, params, lr)
    params = params.copy()
    optimizer.step(params, grad.copy())
    return params


def test_coupled_weight_decay_adds_decay_times_params_to_the_gradient():
    rng = np.random.default_rng(0)
    params, grad = rng.normal(size=50), rng.normal(size=50)
    for kind in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        decayed = one_step(kind, params, grad, weight_decay=0.3)
        np.testing.assert_allclose(decayed, one_step(kind, params, grad + 0.3 * params), rtol=1e-14,
                                   err_msg=kind)


def test_adamw_decays_the_params_apart_from_the_gradient():
    rng = np.random.default_rng(1)
    params, grad = rng.normal(size=50), rng.normal(size=50)
    decoupled = one_step("adamw", params, grad, lr=0.1, weight_decay=0.3)
    expected = one_step("adam", params * (1 - 0.1 * 0.3), grad)
    np.testing.assert_allclose(decoupled, expected, rtol=1e-14)
    assert not np.allclose(decoupled, one_step("adam", params, grad, lr=0.1, weight_decay=0.3))


def test_state_is_allocated_once_and_the_step_writes_in_place():
    rng = np.random.default_rng(2)
    params = rng.normal(size=40000)                      # more than one block of the update
    optimizer = make_optimizer("adam", params, 0.01)
    state_ids = {name: id(vector) for name, vector in optimizer.state.items()}
    vector = params
    for _ in range(3):
        optimizer.step(params, rng.normal(size=params.size))
    assert params is vector
    assert {name: id(vector) for name, vector in optimizer.state.items()} == state_ids
    assert all(np.any(vector != 0) for vector in optimizer.state.values())


def test_canonical_form_fills_defaults_as_floats():
    assert canonical_optimizer(None) == {"kind": "sgd", "weight_decay": 0.0}
    assert canonical_optimizer("adam") == canonical_optimizer({"kind": "adam", "beta1": 0.9})
    assert canonical_optimizer({"kind": "momentum", "momentum": 0}) == \
        {"kind": "momentum", "momentum": 0.0, "weight_decay": 0.0}
    assert all(isinstance(v, float) for k, v in canonical_optimizer("adamw").items() if k != "kind")
    assert canonical_optimizer("adamw")["weight_decay"] == 0.01


@pytest.mark.parametrize(("spec", "words"), [
    ("lbfgs", ["kind='lbfgs'", "sgd", "adamw"]),
    ({"beta1": 0.9}, ["kind=None", "adam"]),
    ({"kind": "adam", "momentum": 0.9}, ["'momentum'", "beta1", "beta2", "eps", "weight_decay"]),
    ({"kind": "sgd", "weight_decay": -1e-4}, ["weight_decay", ">= 0"]),
    ({"kind": "adam", "eps": -1e-8}, ["eps", ">= 0"]),
    ({"kind": "momentum", "momentum": 1.0}, ["momentum", "[0, 1)"]),
    ({"kind": "nesterov", "momentum": -0.1}, ["momentum", "[0, 1)"]),
    ({"kind": "adam", "beta1": 1.0}, ["beta1", "[0, 1)"]),
    ({"kind": "adamw", "beta2": -0.5}, ["beta2", "[0, 1)"]),
    ({"kind": "rmsprop", "alpha": 1.5}, ["alpha", "[0, 1)"]),
    ({"kind": "adam", "beta1": True}, ["beta1", "finite number"]),
    ({"kind": "adam", "eps": float("nan")}, ["eps", "finite number"]),
    (3, ["optimizer must be", "adam"]),
])
def test_bad_optimizer_settings_name_the_key_and_the_valid_choices(spec, words):
    with pytest.raises(ValueError) as error:
        canonical_optimizer(spec)
    for word in words:
        assert word in str(error.value)


def test_negative_lr_is_refused_by_the_optimizer_and_by_train():
    net, X, y = tiny_problem()
    with pytest.raises(ValueError, match="lr"):
        make_optimizer("adam", net.flat_params(), -0.1)
    with pytest.raises(ValueError, match="lr"):
        nncore.train(net, X, y, epochs=1, batch_size=5, lr=-0.1, optimizer="adam")


def test_train_refuses_a_bad_optimizer_before_training():
    net, X, y = tiny_problem()
    before = net.flat_params().copy()
    with pytest.raises(ValueError, match="weight_decay"):
        nncore.train(net, X, y, epochs=1, batch_size=5, lr=0.1, optimizer={"kind": "sgd", "weight_decay": -1})
    assert np.array_equal(net.flat_params(), before)


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_float32_networks_keep_float32_state_and_parameters(kind):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(24, 3)), rng.integers(0, 4, size=24)
    net = nncore.MLP([3, 6, 4], output="softmax", loss="cross_entropy", dtype="float32", seed=1)
    reference = net.copy(dtype="float64")
    nncore.train(net, X, y, epochs=3, batch_size=8, lr=0.01, optimizer=kind, shuffle=False)
    nncore.train(reference, X, y, epochs=3, batch_size=8, lr=0.01, optimizer=kind, shuffle=False)
    assert net.flat_params().dtype == np.float32
    assert all(v.dtype == np.float32 for v in make_optimizer(kind, net.flat_params(), 0.01).state.values())
    np.testing.assert_allclose(net.flat_params(), reference.flat_params(), rtol=1e-3, atol=1e-4)
