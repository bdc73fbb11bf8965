"""What ``nncore.train`` records after an epoch and the order its batches take, at the cost of the
arithmetic: the numbers of a single forward pass and of a copied, shuffled data set, to the bit
where the order of operations is unchanged (NumPy) and within 1e-12 where it is not (compiled)."""
import numpy as np
import pytest

import nncore
from nncore import evaluation
from nncore.engines import get_engine, zero_gradients
from nncore.engines.base import EpochRows
from nncore.evaluation import Evaluation
from nncore.optimizers import make_optimizer

NETS = {  # name: (layer sizes, activation, output, loss)
    "sincos-wide": ([2, 100, 1], "relu", "identity", "mse"),
    "sincos-deep": ([2, 100, 80, 50, 30, 10, 1], "relu", "identity", "mse"),
    "softmax": ([5, 16, 16, 4], "tanh", "softmax", "cross_entropy"),
    "sigmoid": ([3, 12, 1], "sigmoid", "sigmoid", "binary_cross_entropy"),
    "sse-two-outputs": ([4, 9, 2], "relu", "tanh", "sse"),
}


def problem(name: str, n: int = 1500, dtype: str = "float64", seed: int = 0):
    sizes, activation, output, loss = NETS[name]
    net = nncore.MLP(sizes, activation=activation, output=output, loss=loss, init="he", seed=seed,
                     dtype=dtype)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    if loss == "cross_entropy":
        Y = rng.integers(0, sizes[-1], size=n)
    elif loss == "binary_cross_entropy":
        Y = (rng.random(n) > 0.5).astype(float)
    else:
        Y = rng.normal(size=(n, sizes[-1]))
    return (net, *net.check_data(X, Y))


def single_pass(net, X, Y) -> tuple[float, float]:
    """The evaluation as one forward pass over every row: ``nncore.train``'s before chunks."""
    with np.errstate(all="ignore"):
        z, a = net.forward_pass(X)
        loss = float(np.mean(net.loss.per_sample(a, Y, z)))
    if not net.is_classifier:
        return loss, float("nan")
    return loss, float(np.mean(evaluation.correct_rows(a, Y)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(NETS))
def test_numpy_evaluation_in_chunks_gives_a_single_pass_numbers_to_the_bit(name, dtype, monkeypatch):
    # A chunk of 97 rows at the widest layer: 1,500 rows make 16 chunks, the last one short.
    monkeypatch.setattr(evaluation, "CHUNK_ENTRIES", 97 * max(NETS[name][0][1:]))
    monkeypatch.setattr(evaluation, "MIN_ROWS", 1)
    net, X, Y = problem(name, dtype=dtype)
    assert evaluation.chunk_rows(net.layer_sizes, len(X)) == 97
    evaluate = Evaluation(net)
    for _ in range(2):  # the second call reuses the first one's buffers
        assert evaluate(X, Y) == pytest.approx(single_pass(net, X, Y), rel=0, abs=0, nan_ok=True)


@pytest.mark.parametrize("name", sorted(NETS))
def test_compiled_evaluation_agrees_with_numpy_within_1e_12(name):
    net, X, Y = problem(name, n=2345, seed=3)
    engine = get_engine("compiled")
    (loss, accuracy), (reference, reference_accuracy) = Evaluation(net, engine)(X, Y), Evaluation(net)(X, Y)
    assert loss == pytest.approx(reference, rel=1e-12)
    assert accuracy == pytest.approx(reference_accuracy, rel=0, abs=0, nan_ok=True)
    assert net.is_classifier == (not np.isnan(accuracy))


def test_a_diverged_network_evaluates_to_nan_on_every_path():
    net, X, Y = problem("softmax")
    net.flat_params()[:] = np.nan
    for engine in (None, get_engine("compiled")):
        loss, _ = Evaluation(net, engine)(X, Y)
        assert np.isnan(loss)


def copied_order_training(net, X, Y, engine_name, optimizer, epochs, seed):
    """``nncore.train``'s epochs as they were before the order went into the hook: each epoch's
    rows copied in a fresh permutation, then stepped batch by batch with ``train_step``."""
    X, Y = net.check_data(X, Y)
    engine, grads = get_engine(engine_name), zero_gradients(net)
    rule, rng = make_optimizer(optimizer, net.flat_params(), 0.01), np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        X_epoch, Y_epoch = X[order], Y[order]
        for start in range(0, len(X), 10):
            nncore.train_step(net, engine, X_epoch[start:start + 10], Y_epoch[start:start + 10], grads,
                              rule, "mean")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("engine_name", ["vectorized", "compiled", "loop"])
def test_shuffled_epochs_step_on_the_rows_of_a_copied_permutation_to_the_bit(engine_name, optimizer):
    net, X, Y = problem("softmax", n=95, seed=5)
    reference = net.copy()
    nncore.train(net, X, Y, epochs=3, batch_size=10, lr=0.01, engine=engine_name, optimizer=optimizer,
                 seed=11)
    copied_order_training(reference, X, Y, engine_name, optimizer, epochs=3, seed=11)
    if engine_name == "compiled" and optimizer != "sgd":  # its fused update rounds otherwise
        np.testing.assert_allclose(net.flat_params(), reference.flat_params(), rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(net.flat_params(), reference.flat_params())


def test_train_records_the_single_pass_evaluation_of_the_trained_network():
    net, X, Y = problem("softmax", n=300, seed=2)
    X_val, Y_val = X[:70], Y[:70]
    history = nncore.train(net, X, Y, epochs=2, batch_size=10, lr=0.05, validation=(X_val, Y_val))
    assert (history.train_loss[-1], history.train_acc[-1]) == single_pass(net, X, Y)
    assert (history.val_loss[-1], history.val_acc[-1]) == single_pass(net, X_val, Y_val)


def test_epoch_rows_gather_into_the_same_buffers_every_epoch():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    rows = EpochRows()
    assert rows.of(X, Y, None) == (X, Y)
    first_order, second_order = rng.permutation(50), rng.permutation(50)
    X_first, Y_first = rows.of(X, Y, first_order)
    buffers = (X_first, Y_first)
    np.testing.assert_array_equal(X_first, X[first_order])
    X_second, Y_second = rows.of(X, Y, second_order)
    assert (X_second, Y_second) == buffers and X_second is buffers[0]
    np.testing.assert_array_equal(Y_second, Y[second_order])
