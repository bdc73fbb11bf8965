"""The compiled (numba) engine: the vectorized engine's gradients and updates, and an optional extra.

Its agreement with the other engines on random problems is part of the property tests in
``test_nncore_engines.py``; here every activation, output and loss is covered once each, float32,
the whole-epoch paths ``nncore.train`` takes (plain SGD, and every optimizer as one compiled call
per epoch), loading from the cache, and life without numba.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.gradcheck import flatten

from test_nncore_engines import HIDDEN, OUTPUT_LOSSES


def problem(activation, output, loss, dtype="float64", n=7, sizes=(3, 5, 4, 2), seed=0):
    """A seeded network and batch whose targets suit the loss."""
    rng = np.random.default_rng(seed)
    net = nncore.MLP(list(sizes), activation=activation, output=output, loss=loss, init_scale=0.5,
                     seed=seed, dtype=dtype)
    X = rng.normal(size=(n, sizes[0]))
    if loss == "cross_entropy":
        Y = rng.integers(0, sizes[-1], size=n)
    elif loss == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(n, sizes[-1])).astype(float)
    else:
        Y = rng.normal(size=(n, sizes[-1]))
    return net, X, Y


@pytest.mark.parametrize("reduction", nncore.REDUCTIONS)
@pytest.mark.parametrize("output, loss", OUTPUT_LOSSES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_compiled_gradients_equal_vectorized_for_every_activation_output_and_loss(
        activation, output, loss, reduction):
    net, X, Y = problem(activation, output, loss)
    loss_v, vectorized = nncore.backprop(net, X, Y, engine="vectorized", reduction=reduction)
    loss_c, compiled = nncore.backprop(net, X, Y, engine="compiled", reduction=reduction)
    np.testing.assert_allclose(flatten(compiled), flatten(vectorized), rtol=1e-10, atol=1e-12)
    assert loss_c == pytest.approx(loss_v, rel=1e-12)


@pytest.mark.parametrize("output, loss", [("identity", "mse"), ("softmax", "cross_entropy"),
                                          ("sigmoid", "binary_cross_entropy")])
def test_compiled_float32_gradients_stay_float32_and_match_vectorized(output, loss):
    net, X, Y = problem("tanh", output, loss, dtype="float32")
    _, vectorized = nncore.backprop(net, X, Y, engine="vectorized")
    _, compiled = nncore.backprop(net, X, Y, engine="compiled")
    assert all(dW.dtype == np.float32 and db.dtype == np.float32 for dW, db in compiled)
    np.testing.assert_allclose(flatten(compiled), flatten(vectorized), rtol=2e-5, atol=1e-6)


def test_one_engine_serves_batches_and_networks_of_any_size_in_turn():
    engine = get_engine("compiled")
    for sizes, n in (((2, 3, 1), 4), ((4, 6, 6, 3), 9), ((2, 3, 1), 1), ((4, 6, 6, 3), 2)):
        net, X, Y = problem("relu", "identity", "sse", sizes=sizes, n=n, seed=n)
        X, Y = net.check_data(X, Y)
        grads, reference = zero_gradients(net), zero_gradients(net)
        engine.summed_gradients(net, X, Y, grads, scale=0.25)
        get_engine("vectorized").summed_gradients(net, X, Y, reference, scale=0.25)
        np.testing.assert_allclose(grads, reference, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", nncore.REDUCTIONS)
def test_a_plain_sgd_epoch_makes_the_same_updates_as_sgd_steps(reduction):
    # 23 samples in batches of 5: the last step's batch is smaller, and its mean divides by 3.
    net, X, Y = problem("sigmoid", "softmax", "cross_entropy", n=23)
    X, Y = net.check_data(X, Y)
    stepped = net.copy()
    engine = get_engine("compiled")
    grads, sgd = zero_gradients(stepped), nncore.optimizers.make_optimizer("sgd", stepped.flat_params(), 0.3)
    for start in range(0, 23, 5):
        nncore.train_step(stepped, engine, X[start:start + 5], Y[start:start + 5], grads, sgd, reduction)
    assert engine.train_epoch(net, X, Y, 5, sgd, reduction, zero_gradients(net), None)
    np.testing.assert_array_equal(net.flat_params(), stepped.flat_params())


def without_epoch_hooks(engine):
    """The engine as one without the whole-epoch hook sees it in ``nncore.train``: step by step."""
    engine.train_epoch = None
    return engine


def test_train_runs_each_epoch_as_one_compiled_call_with_the_per_step_result():
    net, X, Y = problem("relu", "identity", "mse", n=50)
    per_step = net.copy()
    engine, calls = get_engine("compiled"), []
    whole_epoch = engine.train_epoch
    engine.train_epoch = lambda *args: calls.append(args[3]) or whole_epoch(*args)
    nncore.train(net, X, Y, epochs=3, batch_size=8, lr=0.1, engine=engine, seed=2)
    nncore.train(per_step, X, Y, epochs=3, batch_size=8, lr=0.1,
                 engine=without_epoch_hooks(get_engine("compiled")), seed=2)
    assert calls == [8, 8, 8]
    np.testing.assert_array_equal(net.flat_params(), per_step.flat_params())


EVERY_OPTIMIZER = [*nncore.OPTIMIZERS, {"kind": "sgd", "weight_decay": 0.01},
                   {"kind": "momentum", "weight_decay": 0.01}, {"kind": "nesterov", "weight_decay": 0.01},
                   {"kind": "adagrad", "weight_decay": 0.01}, {"kind": "rmsprop", "weight_decay": 0.01},
                   {"kind": "adam", "weight_decay": 0.01}, {"kind": "adamw", "weight_decay": 0.1}]


@pytest.mark.parametrize("reduction", nncore.REDUCTIONS)
@pytest.mark.parametrize("optimizer", EVERY_OPTIMIZER, ids=str)
def test_every_optimizer_trains_one_compiled_call_per_epoch_like_vectorized(optimizer, reduction):
    # 30 samples in batches of 7: the last batch of each epoch is smaller.
    net, X, Y = problem("tanh", "identity", "mse", n=30)
    reference = net.copy()
    engine, epochs_in_one_call = get_engine("compiled"), []
    whole_epoch = engine.train_epoch
    engine.train_epoch = lambda *args: epochs_in_one_call.append(whole_epoch(*args)) or epochs_in_one_call[-1]
    histories = [nncore.train(model, X, Y, epochs=3, batch_size=7, lr=0.01, engine=model_engine,
                              optimizer=optimizer, reduction=reduction, seed=4)
                 for model, model_engine in ((net, engine), (reference, "vectorized"))]
    assert epochs_in_one_call == [True, True, True]
    np.testing.assert_allclose(net.flat_params(), reference.flat_params(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(histories[0].train_loss, histories[1].train_loss, rtol=1e-10)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_an_optimizer_epoch_advances_the_state_as_its_steps_do(optimizer):
    net, X, Y = problem("relu", "identity", "sse", n=23)
    X, Y = net.check_data(X, Y)
    stepped = net.copy()
    engine = get_engine("compiled")
    rules = [nncore.optimizers.make_optimizer(optimizer, model.flat_params(), 0.01) for model in (net, stepped)]
    grads = zero_gradients(net)
    assert engine.train_epoch(net, X, Y, 5, rules[0], "mean", grads)
    for start in range(0, 23, 5):
        nncore.train_step(stepped, engine, X[start:start + 5], Y[start:start + 5], grads, rules[1], "mean")
    assert rules[0].steps == rules[1].steps == 5
    for name in rules[0].state_names:
        np.testing.assert_allclose(rules[0].state[name], rules[1].state[name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(net.flat_params(), stepped.flat_params(), rtol=1e-12, atol=1e-15)


def test_an_optimizer_subclass_falls_back_to_steps():
    class Halved(nncore.optimizers.SGD):
        def _update(self, p, g, scratch):
            g *= 0.5 * self.lr
            p -= g

    net, X, Y = problem("relu", "identity", "mse", n=20)
    X, Y = net.check_data(X, Y)
    before = net.flat_params().copy()
    rule = Halved(net.flat_params(), 0.1, weight_decay=0.01)
    assert get_engine("compiled").train_epoch(net, X, Y, 5, rule, "mean", zero_gradients(net)) is False
    np.testing.assert_array_equal(net.flat_params(), before)


@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-10), ("float32", 1e-4)])
def test_training_with_compiled_follows_vectorized(dtype, tolerance):
    rng = np.random.default_rng(8)
    X = rng.uniform(-2, 2, size=(64, 2))
    Y = np.sin(X[:, :1]) * np.cos(X[:, 1:])
    trained = {}
    for engine in ("vectorized", "compiled"):
        net = nncore.MLP([2, 16, 8, 1], activation="tanh", seed=3, dtype=dtype)
        history = nncore.train(net, X, Y, epochs=4, batch_size=10, lr=0.05, engine=engine,
                               schedule={"kind": "step", "factor": 0.5, "every": 2}, seed=1)
        trained[engine] = (net.flat_params().astype(np.float64), history.train_loss)
    params_v, losses_v = trained["vectorized"]
    params_c, losses_c = trained["compiled"]
    assert losses_c[-1] < losses_c[0]
    np.testing.assert_allclose(params_c, params_v, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(losses_c, losses_v, rtol=tolerance)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **env})


def test_without_numba_the_compiled_engine_says_how_to_install_it_and_the_rest_works():
    # sys.modules["numba"] = None makes every `import numba` fail, as if it were not installed.
    code = """if True:
        import sys
        sys.modules["numba"] = None
        import numpy as np, nncore
        net = nncore.MLP([2, 4, 1])
        X, Y = np.ones((6, 2)), np.zeros((6, 1))
        history = nncore.train(net, X, Y, epochs=2, batch_size=3, lr=0.1)
        assert history.train_loss[-1] < history.train_loss[0]
        print("compiled" in nncore.ENGINES)
        try:
            nncore.train(net, X, Y, epochs=1, batch_size=3, lr=0.1, engine="compiled")
        except ImportError as error:
            print(error)
    """
    lines = run_python(code).stdout.strip().splitlines()
    assert lines[0] == "True"
    assert "engine='compiled' needs numba" in lines[1] and "pip install 'nnstudy[compiled]'" in lines[1]


FIRST_CALLS = """if True:
    import numpy as np, nncore
    from nncore.engines import get_engine
    engine = get_engine("compiled")
    net = nncore.MLP([2, 5, 1])
    X, Y = np.ones((6, 2)), np.zeros((6, 1))
    nncore.backprop(net, X, Y, engine=engine)
    for optimizer in ("sgd", "adam"):
        nncore.train(net, X, Y, epochs=1, batch_size=4, lr=0.1, engine=engine, optimizer=optimizer)
    kernels = engine.kernels
    stats = [kernels.batch_gradients.stats, engine.rules.optimizer_epoch.stats]  # SGD's epoch too
    print(sum(len(s.cache_hits) for s in stats), sum(len(s.cache_misses) for s in stats))
"""


@pytest.mark.slow
def test_a_new_process_loads_the_compiled_code_from_the_cache(tmp_path):
    run_python(FIRST_CALLS, NUMBA_CACHE_DIR=str(tmp_path))  # compiles and writes the cache
    hits, misses = map(int, run_python(FIRST_CALLS, NUMBA_CACHE_DIR=str(tmp_path)).stdout.split())
    assert (hits, misses) == (2, 0)  # two entry points, float64 only: nothing compiled


def test_writable_and_read_only_data_call_the_same_compiled_kernels():
    """numba compiles a kernel once per kind of array; a study's data are read-only, labels become
    a writable one-hot matrix: the engine hands its kernels one kind, so each is compiled once."""
    from nncore.engines import compiled_kernels, compiled_optimizers

    def signatures():
        return {name: len(kernel.signatures) for module in (compiled_kernels, compiled_optimizers)
                for name, kernel in vars(module).items() if hasattr(kernel, "signatures")}

    net, X, Y = problem("relu", "softmax", "cross_entropy", sizes=(3, 6, 3))
    train = dict(epochs=1, batch_size=3, lr=0.1, engine="compiled", optimizer="adam")
    nncore.train(net, X, Y, **train)  # labels: a fresh one-hot matrix, writable
    before = signatures()
    X.setflags(write=False)
    Y_one_hot = np.eye(3)[Y]
    Y_one_hot.setflags(write=False)
    nncore.train(net, X, Y_one_hot, validation=(X, Y), **train)
    assert signatures() == before


@pytest.mark.slow
def test_a_layers_activations_and_a_data_sets_rows_call_the_same_compiled_products(tmp_path):
    """The first layer's product takes the data's rows (read-only), the others a layer's
    activations (writable buffers): both reach the products typed read-only, so that a new
    machine compiles each product once, not twice (~1 s each). An empty cache, so that the
    products are compiled (from a warm one the epoch's machine code loads whole)."""
    code = """if True:
        import numpy as np, nncore
        from nncore.engines import compiled_products
        net = nncore.MLP([3, 6, 5, 3], activation="relu", output="softmax", loss="cross_entropy")
        X, Y = np.ones((7, 3)), np.eye(3)[np.arange(7) % 3]
        X.setflags(write=False)
        nncore.train(net, X, Y, epochs=1, batch_size=3, lr=0.1, engine="compiled", validation=(X, Y))
        for product in (compiled_products.forward_product, compiled_products.weight_gradient):
            print(" ".join("read-only" if not s[0].mutable else "writable" for s in product.signatures))
    """
    lines = run_python(code, NUMBA_CACHE_DIR=str(tmp_path)).stdout.splitlines()
    assert lines == ["read-only", "read-only"]
