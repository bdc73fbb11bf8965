"""The jax engine (``nnstudy_engines.jax_engine``, the ``jax`` extra): JAX's gradients of nncore's
networks equal the vectorized engine's, and its scanned epoch makes nncore's SGD steps."""
import numpy as np
import pytest

pytest.importorskip("jax", reason="the jax extra is not installed: pip install -e '.[jax]'")

import nncore  # noqa: E402
from nncore.gradcheck import flatten  # noqa: E402
from nnstudy.testing import parametrize_with_checks  # noqa: E402
from nnstudy_engines import jax_engine  # noqa: E402
from nnstudy_engines.jax_engine import JaxEngine  # noqa: E402

from test_nncore_compiled import problem  # noqa: E402
from test_nncore_engines import HIDDEN, OUTPUT_LOSSES  # noqa: E402


@pytest.mark.parametrize("output, loss", OUTPUT_LOSSES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_jax_gradients_equal_vectorized(activation, output, loss):
    # the reduction is a scale nncore applies outside the engine; the training test covers both
    net, X, Y = problem(activation, output, loss)
    loss_v, vectorized = nncore.backprop(net, X, Y, engine="vectorized")
    loss_j, jax_grads = nncore.backprop(net, X, Y, engine=JaxEngine())
    np.testing.assert_allclose(flatten(jax_grads), flatten(vectorized), rtol=1e-10, atol=1e-12)
    assert loss_j == pytest.approx(loss_v, rel=1e-12)


@pytest.mark.parametrize("reduction", nncore.REDUCTIONS)
def test_jax_scanned_epoch_makes_the_sgd_steps_of_vectorized(reduction):
    # 23 samples in batches of 5: four scanned steps and one smaller last step.
    net, X, Y = problem("tanh", "softmax", "cross_entropy", n=23)
    stepped = net.copy()
    for model, engine in ((net, JaxEngine()), (stepped, "vectorized")):
        nncore.train(model, X, Y, epochs=2, batch_size=5, lr=0.3, engine=engine, reduction=reduction, seed=3)
    np.testing.assert_allclose(net.flat_params(), stepped.flat_params(), rtol=1e-12, atol=1e-14)


def test_jax_keeps_float32_networks_in_float32():
    net, X, Y = problem("relu", "identity", "mse", dtype="float32")
    _, grads = nncore.backprop(net, X, Y, engine=JaxEngine())
    _, vectorized = nncore.backprop(net, X, Y, engine="vectorized")
    assert all(dW.dtype == np.float32 for dW, _ in grads)
    np.testing.assert_allclose(flatten(grads), flatten(vectorized), rtol=2e-5, atol=1e-6)


# The whole kit, by the entry-point name the project's install registers (pyproject.toml). Slow
# on a cold compilation cache: XLA compiles ~200 small functions (about 100 s on a loaded 2-core
# machine; 10 s once ~/.cache/nnstudy/jax holds them).
@pytest.mark.slow
@parametrize_with_checks(["jax"])
def test_jax_passes_the_conformance_kit_by_its_entry_point_name(engine, check):
    check(engine)


def test_an_epoch_is_one_compiled_call_and_a_network_is_never_rejitted():
    net, X, Y = problem("relu", "identity", "mse", n=23)
    X, Y = net.check_data(X, Y)
    engine = JaxEngine()
    epoch = jax_engine._functions("relu", "identity", "mse")[1]
    before = epoch._cache_size()
    for model in (net, net.copy()):  # a second network of the same layout: no new executable
        sgd = nncore.optimizers.make_optimizer("sgd", model.flat_params(), 0.01)
        assert engine.train_epoch(model, X, Y, 5, sgd, "mean", nncore.engines.zero_gradients(model), None)
    assert epoch._cache_size() - before <= 1


def test_the_compilation_cache_is_the_users_unless_configured_or_off(tmp_path, monkeypatch):
    import jax

    configured = jax.config.jax_compilation_cache_dir
    try:
        jax.config.update("jax_compilation_cache_dir", None)
        monkeypatch.setenv(jax_engine.CACHE_VARIABLE, "off")
        assert jax_engine.compilation_cache() is None and jax.config.jax_compilation_cache_dir is None
        monkeypatch.setenv(jax_engine.CACHE_VARIABLE, str(tmp_path / "xla"))
        assert jax_engine.compilation_cache() == tmp_path / "xla"
        assert jax.config.jax_persistent_cache_min_compile_time_secs == 0.0
        monkeypatch.setenv(jax_engine.CACHE_VARIABLE, str(tmp_path / "other"))
        assert jax_engine.compilation_cache() == tmp_path / "xla"  # configured: left alone
    finally:
        jax.config.update("jax_compilation_cache_dir", configured)
