"""The compiled engine's small-dimension paths: every variant of ``compiled_products`` computes its
product, and the engine, whichever variant its thresholds pick and on the networks it fuses row
by row (one or two inputs, one hidden layer, one output), gives the vectorized engine's gradients
and updates: fan-ins 1-5, fan-outs 1 and 2, every activation, output, loss and optimizer, a
single-row batch and a last short batch."""
import numpy as np
import pytest

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.gradcheck import flatten

from test_nncore_compiled import EVERY_OPTIMIZER
from test_nncore_engines import HIDDEN, OUTPUT_LOSSES

products = pytest.importorskip("nncore.engines.compiled_products")

VARIANT_SHAPES = [(n, k, m) for n in (1, 3) for k in (1, 2, 3, 4, 5) for m in (1, 2, 7)] + [(10, 100, 1)]
FORWARD = [products.forward_blas, products.forward_fan_in_loops, products.forward_one_output_loops]
WEIGHT = [products.weight_blas, products.weight_fan_in_loops, products.weight_one_output_loops]
DELTA = [products.delta_blas, products.delta_one_output_loops]


def cases(variants):
    """(variant, n, k, m) for every shape a variant computes (the one-output ones: m == 1)."""
    return [pytest.param(variant, *shape, id=f"{variant.__name__}-{shape}") for variant in variants
            for shape in VARIANT_SHAPES if "one_output" not in variant.__name__ or shape[2] == 1]


def operands(n: int, k: int, m: int, dtype: str = "float64"):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    return (rng.normal(size=shape).astype(dtype) for shape in ((n, k), (k, m), (m,), (n, m)))


@pytest.mark.parametrize("variant, n, k, m", cases(FORWARD))
def test_every_forward_variant_computes_a_at_w_plus_b(variant, n, k, m):
    A, W, b, _ = operands(n, k, m)
    out = np.full((n, m), np.nan)
    variant(A, W, b, out)
    np.testing.assert_allclose(out, A @ W + b, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("variant, n, k, m", cases(WEIGHT))
def test_every_weight_variant_computes_a_transposed_at_d_and_the_column_sums(variant, n, k, m):
    A, _, _, D = operands(n, k, m)
    dW, db = np.full((k, m), np.nan), np.full(m, np.nan)  # overwritten, never accumulated into
    variant(A, D, dW, db)
    np.testing.assert_allclose(dW, A.T @ D, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(db, D.sum(axis=0), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("variant, n, k, m", cases(DELTA))
def test_every_delta_variant_computes_d_at_w_transposed(variant, n, k, m):
    _, W, _, D = operands(n, k, m)
    out = np.full((n, k), np.nan)
    variant(D, W, out)
    np.testing.assert_allclose(out, D @ W.T, rtol=1e-13, atol=1e-13)


def test_the_variants_compute_float32_in_float32():
    A, W, b, D = operands(3, 3, 5, "float32")
    out, dW, db = np.empty((3, 5), np.float32), np.empty((3, 5), np.float32), np.empty(5, np.float32)
    products.forward_fan_in_loops(A, W, b, out)
    products.weight_fan_in_loops(A, D, dW, db)
    np.testing.assert_allclose(out, A @ W + b, rtol=1e-5)
    np.testing.assert_allclose(dW, A.T @ D, rtol=1e-5)


def test_the_dispatch_takes_loops_for_small_fan_ins_and_one_output_and_blas_otherwise():
    assert products.forward_path(10, products.FORWARD_FAN_IN, 100) == products.FAN_IN_LOOPS
    assert products.forward_path(10, products.FORWARD_FAN_IN + 1, 100) == products.BLAS
    assert products.weight_path(10, products.WEIGHT_FAN_IN, 100) == products.FAN_IN_LOOPS
    assert products.weight_path(10, products.WEIGHT_FAN_IN + 1, 100) == products.BLAS
    assert products.weight_path(1, products.ONE_ROW_FAN_IN, 100) == products.FAN_IN_LOOPS
    assert products.forward_path(10, 100, 1) == products.ONE_OUTPUT_LOOPS
    assert products.weight_path(products.LOOP_ROWS, 100, 1) == products.BLAS
    assert products.delta_path(10, 100, 1) == products.ONE_OUTPUT_LOOPS
    assert products.delta_path(10, 100, 2) == products.BLAS


# (inputs, hidden..., outputs): every fan-in 1-5 into a layer and out of one, fan-outs 1 and 2,
# and 100 inputs into one output at batch 10 (the one-output loops) and 11 (past LOOP_ROWS: BLAS).
NETWORKS = [(k, 6, m) for k in (1, 2, 3, 4, 5) for m in (1, 2)] + [(2, 3, 5, 1), (5, 4, 3, 2),
                                                                   (3, 1, 4, 1), (2, 100, 1)]


def network(sizes, dtype: str, rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    net = nncore.MLP(list(sizes), activation="tanh", output="identity", loss="mse", init_scale=0.5,
                     seed=seed, dtype=dtype)
    return net, *net.check_data(rng.normal(size=(rows, sizes[0])), rng.normal(size=(rows, sizes[-1])))


@pytest.mark.parametrize("rows", [1, 10, 11])
@pytest.mark.parametrize("sizes", NETWORKS, ids=str)
def test_compiled_gradients_equal_vectorized_on_small_dimensions(sizes, rows):
    for dtype, rtol, atol in (("float64", 1e-10, 1e-12), ("float32", 2e-5, 1e-6)):
        net, X, Y = network(sizes, dtype, rows)
        _, vectorized = nncore.backprop(net, X, Y, engine="vectorized")
        _, compiled = nncore.backprop(net, X, Y, engine="compiled")
        np.testing.assert_allclose(flatten(compiled), flatten(vectorized), rtol=rtol, atol=atol)


@pytest.mark.parametrize("sizes", NETWORKS, ids=str)
def test_a_compiled_sgd_epoch_with_a_last_short_batch_follows_vectorized_steps(sizes):
    # 23 rows in batches of 10: the last step's batch has 3 rows, and its mean divides by 3.
    net, X, Y = network(sizes, "float64", 23, seed=1)
    stepped, vectorized, grads = net.copy(), get_engine("vectorized"), zero_gradients(net)
    sgd = nncore.optimizers.make_optimizer("sgd", net.flat_params(), 0.1)
    for start in range(0, 23, 10):
        nncore.train_step(stepped, vectorized, X[start:start + 10], Y[start:start + 10], grads, sgd, "mean")
    assert get_engine("compiled").train_epoch(net, X, Y, 10, sgd, "mean", zero_gradients(net), None)
    np.testing.assert_allclose(net.flat_params(), stepped.flat_params(), rtol=1e-10, atol=1e-12)


ONE_OUTPUT_LOSSES = [(output, loss) for output, loss in OUTPUT_LOSSES if loss != "cross_entropy"]


@pytest.mark.parametrize("output, loss", ONE_OUTPUT_LOSSES)
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("sizes", [(1, 9, 1), (2, 9, 1)], ids=str)
def test_fused_networks_give_vectorized_gradients_and_loss_for_every_activation_output_and_loss(
        sizes, activation, output, loss):
    for dtype, rtol, atol in (("float64", 1e-10, 1e-12), ("float32", 2e-5, 1e-6)):
        net = nncore.MLP(list(sizes), activation=activation, output=output, loss=loss, init_scale=0.7,
                         seed=5, dtype=dtype)
        rng = np.random.default_rng(6)
        X, Y = rng.normal(size=(7, sizes[0])), rng.integers(0, 2, size=(7, 1)).astype(float)
        loss_v, vectorized = nncore.backprop(net, X, Y, engine="vectorized")
        loss_c, compiled = nncore.backprop(net, X, Y, engine="compiled")
        np.testing.assert_allclose(flatten(compiled), flatten(vectorized), rtol=rtol, atol=atol)
        assert loss_c == pytest.approx(loss_v, rel=rtol)


@pytest.mark.parametrize("optimizer", EVERY_OPTIMIZER, ids=str)
def test_every_optimizer_on_a_fused_network_follows_vectorized(optimizer):
    # 23 rows in batches of 10, three epochs: the fused path inside ``optimizer_epoch``.
    net, X, Y = network((2, 12, 1), "float64", 23, seed=2)
    reference = net.copy()
    histories = [nncore.train(model, X, Y, epochs=3, batch_size=10, lr=0.01, engine=engine,
                              optimizer=optimizer, seed=4)
                 for model, engine in ((net, "compiled"), (reference, "vectorized"))]
    np.testing.assert_allclose(net.flat_params(), reference.flat_params(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(histories[0].train_loss, histories[1].train_loss, rtol=1e-10)


def numpy_relu_output(X, W1, b1, W2, b2):
    return np.maximum(X @ W1 + b1, 0) @ W2 + b2


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("fan_in", [1, 2])
@pytest.mark.parametrize("n", [1, 31, 32, 33, 163])
def test_the_relu_network_output_in_lanes_computes_relu_x_w1_plus_b1_times_w2_plus_b2(n, fan_in, dtype, rtol):
    rng = np.random.default_rng(n + fan_in)
    X, W1, b1, W2, b2 = (rng.normal(size=shape).astype(dtype)
                         for shape in ((n, fan_in), (fan_in, 100), (100,), (100, 1), (1,)))
    at_once = products.rows_at_once(X)
    assert at_once == 4 * 64 // X.itemsize
    columns = np.full((3, -(-n // at_once) * at_once), np.nan, dtype=dtype)  # padding is overwritten
    z = np.empty((n, 1), dtype=dtype)
    products.relu_network_output(X, W1, b1, W2, b2, columns, z)
    assert z.dtype == dtype
    np.testing.assert_allclose(z, numpy_relu_output(X, W1, b1, W2, b2), rtol=rtol, atol=rtol)


def test_the_relu_network_output_keeps_nan():
    X, W1, b1, W2, b2 = np.ones((40, 2)), np.ones((2, 100)), np.ones(100), np.ones((100, 1)), np.ones(1)
    W1[0, 7] = np.nan
    z = np.empty((40, 1))
    products.relu_network_output(X, W1, b1, W2, b2, np.empty((3, 64)), z)
    assert np.isnan(z).all()


@pytest.mark.parametrize("sizes, rows", [((2, 100, 1), 2345), ((1, 100, 1), 7), ((2, 3, 1), 5), ((2, 40, 1), 1)],
                         ids=str)
def test_compiled_evaluation_of_fused_relu_networks_agrees_with_numpy_within_1e_12(sizes, rows):
    # (2, 3, 1) and (2, 40, 1) at one row leave no room for the lanes' columns: the row-wise path.
    rng = np.random.default_rng(3)
    net = nncore.MLP(list(sizes), activation="relu", output="identity", loss="mse", init="he", seed=3)
    X, Y = net.check_data(rng.uniform(-2, 2, size=(rows, sizes[0])), rng.normal(size=(rows, 1)))
    loss, _ = get_engine("compiled").evaluate(net, X, Y)
    z, a = net.forward_pass(X)
    assert loss == pytest.approx(float(np.sum(net.loss.per_sample(a, Y, z))), rel=1e-12)
