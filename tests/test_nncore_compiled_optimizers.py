"""The compiled update rules flush subnormal state to zero and still make ``nncore.optimizers``'
(torch.optim's) updates to the bit.

State goes subnormal where gradients stop: the runs below stop some of them (a constructed gradient
sequence, and a ReLU unit killed mid-training), long enough that the NumPy optimizer's state holds
subnormal numbers, and check every parameter bit and that the compiled state holds none.
"""
import numpy as np
import pytest

import nncore
from nncore.engines import get_engine, zero_gradients

from test_nncore_compiled import problem

pytest.importorskip("numba")
from nncore.engines import compiled_optimizers  # noqa: E402

# Rules whose state decays when gradients stop, with the hyperparameters that make each state
# vector decay fast enough for a quick test (Adam's V at beta2 0.999 would need ~700,000 steps).
DECAYING = ["momentum", "nesterov", "adam", "adamw", {"kind": "adam", "beta2": 0.9},
            {"kind": "rmsprop", "alpha": 0.9}, {"kind": "adamw", "beta2": 0.9, "weight_decay": 0.0}]


def subnormal(vector: np.ndarray) -> np.ndarray:
    return (vector != 0) & (np.abs(vector) < np.finfo(vector.dtype).tiny)


def compiled_step(optimizer, params: np.ndarray, grad: np.ndarray) -> None:
    """One step of ``optimizer``'s rule through the compiled kernel, on its own state."""
    rules = compiled_optimizers
    settings = {"lr": optimizer.lr, **optimizer.hyperparameters}
    hyper = np.array([settings.get(name, 0.0) for name in rules.HYPER_NAMES])
    state = [optimizer.state[name] for name in optimizer.state_names] + [np.empty(0, params.dtype)] * 2
    optimizer.steps += 1
    rules.apply_rule(rules.RULE_CODES[optimizer.kind], params, grad, state[0], state[1], hyper, optimizer.steps)


def gradient_sequence(size: int, steps: int, dtype: str, seed: int = 0):
    """Seeded gradients (size,) per step: every entry for 50 steps, then half of them stop (exact
    zeros) until the last 20 steps, when they come back."""
    rng = np.random.default_rng(seed)
    stopped = np.arange(size) % 2 == 0
    for step in range(steps):
        g = rng.normal(scale=0.1, size=size).astype(dtype)
        if 50 <= step < steps - 20:
            g[stopped] = 0
        yield g


@pytest.mark.parametrize("dtype, steps", [("float64", 8000), ("float32", 1200)])
@pytest.mark.parametrize("optimizer", DECAYING, ids=str)
def test_the_compiled_rules_flush_subnormal_state_and_keep_every_parameter_bit(optimizer, dtype, steps):
    start = np.random.default_rng(1).normal(size=40).astype(dtype)
    params = [start.copy(), start.copy()]
    numpy_rule, compiled_rule = (nncore.optimizers.make_optimizer(optimizer, p, 0.01) for p in params)
    went_subnormal = False
    for step, g in enumerate(gradient_sequence(40, steps, dtype)):
        numpy_rule.step(params[0], g.copy())
        compiled_step(compiled_rule, params[1], g.copy())
        if step == steps - 21:  # just before the stopped gradients come back
            went_subnormal = any(subnormal(vector).any() for vector in numpy_rule.state.values())
            assert not any(subnormal(vector).any() for vector in compiled_rule.state.values())
        np.testing.assert_array_equal(params[1], params[0], err_msg=f"step {step}")
    assert went_subnormal, "the run never took the NumPy optimizer's state below the smallest normal"


@pytest.mark.parametrize("dtype, epochs", [("float64", 1600), ("float32", 250)])
@pytest.mark.parametrize("optimizer", ["adam", {"kind": "rmsprop", "alpha": 0.9}, "momentum"], ids=str)
def test_a_compiled_run_with_a_dead_relu_unit_follows_the_numpy_optimizer_to_the_bit(optimizer, dtype, epochs):
    # One compiled call per epoch against train_step with the NumPy optimizer, on the compiled
    # engine's gradients (bit-identical to the epoch kernel's); after 10 epochs a hidden unit dies.
    net, X, Y = problem("relu", "identity", "sse", dtype=dtype, n=23)
    X, Y = net.check_data(X, Y)
    stepped, engine, grads = net.copy(), get_engine("compiled"), zero_gradients(net)
    rules = [nncore.optimizers.make_optimizer(optimizer, model.flat_params(), 0.01) for model in (net, stepped)]
    for epoch in range(epochs):
        if epoch == 10:
            for model in (net, stepped):
                model.params[0][1][0] = -1e3  # unit 0 of the first hidden layer: never active again
        assert engine.train_epoch(net, X, Y, 5, rules[0], "mean", grads)
        for start in range(0, 23, 5):
            nncore.train_step(stepped, engine, X[start:start + 5], Y[start:start + 5], grads, rules[1], "mean")
    assert any(subnormal(vector).any() for vector in rules[1].state.values())
    assert not any(subnormal(vector).any() for vector in rules[0].state.values())
    np.testing.assert_array_equal(net.flat_params(), stepped.flat_params())


def test_a_tiny_eps_keeps_the_second_moments_as_they_are():
    # eps = 0: a flushed V could turn 0 / sqrt(V) into 0 / 0, so Adam keeps its subnormal state.
    params = np.ones(2)
    rule = nncore.optimizers.make_optimizer({"kind": "adam", "eps": 0.0, "beta2": 0.5}, params, 0.01)
    rule.state["scaled_square_mean"][:] = 1e-310
    rule.state["scaled_mean"][:] = 1e-312
    compiled_step(rule, params, np.zeros(2))
    assert subnormal(rule.state["scaled_square_mean"]).all() and subnormal(rule.state["scaled_mean"]).all()
    assert np.isfinite(params).all()
