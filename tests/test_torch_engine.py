"""The torch engine: a plugin like any other, found by its entry-point name, passing the kit."""

import numpy as np
import pytest

import nncore
from experiments import provenance
from nncore.engines import engine_class, plugins
from nnstudy.testing import parametrize_with_checks

torch = pytest.importorskip("torch", reason="the torch extra is not installed: pip install -e '.[torch]'")

from nnstudy_engines.torch_engine import TorchEngine  # noqa: E402


@pytest.fixture
def registered(tmp_path, monkeypatch):
    """The entry points pyproject.toml declares, as an installed distribution would expose them."""
    info = tmp_path / "nnstudy_fake-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nnstudy-fake\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{plugins.ENTRY_POINT_GROUP}]\nfake-torch = nnstudy_engines.torch_engine:TorchEngine\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    plugins._plugin_class.cache_clear()
    provenance.engine_source.cache_clear()


def test_torch_is_found_by_its_entry_point_name(registered):
    # A name only the fake distribution registers: the project's own install registers "torch" too.
    assert engine_class("fake-torch") is TorchEngine
    source = provenance.engine_source("fake-torch")
    assert source["engine_distribution"] == "nnstudy-fake" and len(source["engine_source_sha256"]) == 64


def test_the_engine_uses_the_cpu_when_no_cuda_is_present(monkeypatch):
    monkeypatch.delenv("NNSTUDY_TORCH_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert TorchEngine().device.type == expected
    assert TorchEngine(device="cpu").device.type == "cpu"


def test_a_cpu_epoch_updates_the_networks_own_parameter_vector_without_copies():
    rng = np.random.default_rng(0)
    net = nncore.MLP([3, 8, 2], seed=1)
    X, Y = net.check_data(rng.normal(size=(20, 3)), rng.normal(size=(20, 2)))
    params, before = net.flat_params(), net.flat_params().copy()
    engine, grads = TorchEngine(device="cpu"), nncore.engines.zero_gradients(net)
    flat, gradient, pairs = engine._parameters(net, grads)
    assert flat.data_ptr() == params.ctypes.data and gradient.data_ptr() == grads.ctypes.data
    sgd = nncore.optimizers.make_optimizer("sgd", net.flat_params(), 0.05)
    assert engine.train_epoch(net, X, Y, 5, sgd, "mean", grads, None)
    assert net.flat_params() is params and not np.array_equal(params, before)
    # backward added into the caller's vector in place: it holds the last step's gradient
    last = nncore.engines.zero_gradients(net)
    stepped, vectorized = nncore.MLP([3, 8, 2], seed=1), nncore.engines.get_engine("vectorized")
    for start in range(0, 20, 5):
        nncore.train_step(stepped, vectorized, X[start:start + 5], Y[start:start + 5], last, sgd,
                          "mean")
    np.testing.assert_allclose(grads, last, rtol=1e-9, atol=1e-15)


# The whole kit, by the entry-point name the project's install registers (pyproject.toml), as a
# plugin's own suite runs it; a few seconds.
@parametrize_with_checks(["torch"])
def test_torch_passes_the_conformance_kit_by_its_entry_point_name(engine, check):
    check(engine)


def test_nncore_train_with_torch_matches_vectorized():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(30, 2)), rng.normal(size=(30, 1))
    finals = []
    for engine in (TorchEngine, "vectorized"):
        net = nncore.MLP([2, 16, 1], seed=2)
        nncore.train(net, X, Y, epochs=3, batch_size=7, lr=0.02, engine=engine, seed=5)
        finals.append(net.flat_params().copy())
    np.testing.assert_allclose(finals[0], finals[1], rtol=1e-10, atol=1e-12)
