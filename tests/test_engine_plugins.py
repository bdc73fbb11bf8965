"""Engines written elsewhere: named ``package.module:ClassName`` or by an entry point, duck typed,
refused at spec time outside their ``supports``, recorded with their source, checked by the kit."""
import hashlib
import pickle

import numpy as np
import pytest

import nncore
from experiments import progress, provenance, spec
from experiments.cli import main
from experiments.run import execute
from nncore.engines import EngineError, engine_class, get_engine, plugins
from nncore.engines.conformance import run_kit
from nncore.gradcheck import flatten
from plugin_modules import module_on_path

# Duck typed: no nncore base class, the vectorized engine's math underneath.
PLUGIN = '''
from nncore.engines import get_engine


class DuckEngine:
    name = "duck"

    def __init__(self):
        self.inner = get_engine("vectorized")

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        return self.inner.summed_gradients(net, X, Y, grads, compute_loss, scale)


class NarrowEngine(DuckEngine):
    name = "narrow"
    supports = {"activation": ("relu",), "dtype": ("float64",)}


class BadSupports(DuckEngine):
    supports = {"activations": ("relu",)}


class NotAnEngine:
    name = "nothing"
'''

SPEC = """
name = "plug"
[base]
dataset = "sincos"
dataset_options = {{ step = 0.5 }}
width = 4
epochs = 1
[grid]
engine = {engines}
"""


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A module ``duckplugin`` importable from tmp_path (a folder on the path)."""
    with module_on_path(tmp_path, monkeypatch, "duckplugin", PLUGIN) as folder:
        yield folder / "duckplugin.py"


def fake_distribution(folder, name="fancy-engines", version="1.2.3", points=None):
    """A ``<name>-<version>.dist-info`` that importlib.metadata finds on the path."""
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "\n".join(f"{key} = {value}" for key, value in (points or {}).items())
    (info / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\n{lines}\n")


def problem(seed=0):
    rng = np.random.default_rng(seed)
    return nncore.MLP([2, 4, 1], seed=seed), rng.normal(size=(6, 2)), rng.normal(size=(6, 1))


def test_a_module_class_name_is_an_engine_without_subclassing(plugin):
    net, X, Y = problem()
    _, grads = nncore.backprop(net, X, Y, engine="duckplugin:DuckEngine")
    _, reference = nncore.backprop(net, X, Y, engine="vectorized")
    np.testing.assert_array_equal(flatten(grads), flatten(reference))
    history = nncore.train(net, X, Y, epochs=2, batch_size=3, lr=0.01, engine="duckplugin:DuckEngine")
    assert history.epochs_run == 2


def test_an_engine_class_pickles_by_reference_for_dask_workers(plugin):
    cls = engine_class("duckplugin:DuckEngine")
    assert pickle.loads(pickle.dumps(cls)) is cls


def test_an_entry_point_name_is_an_engine(plugin):
    fake_distribution(plugin.parent, points={"duck": "duckplugin:DuckEngine"})
    assert engine_class("duck").__name__ == "DuckEngine"
    assert provenance.engine_source("duck")["engine_distribution"] == "fancy-engines"
    assert provenance.engine_source("duck")["engine_version"] == "1.2.3"


@pytest.mark.parametrize("name, words", [
    ("nosuchmodule:Engine", ["'nosuchmodule:Engine'", "cannot be imported", "PYTHONPATH"]),
    ("duckplugin:Missing", ["'duckplugin:Missing'", "has no 'Missing'"]),
    ("duckplugin:NotAnEngine", ["not a class with the engine protocol", "summed_gradients"]),
    ("duckplugin:BadSupports", ["'activations'", "valid keys: activation, output"]),
    ("warp", ["'warp'", "vectorized", "package.module:ClassName", "nnstudy.engines"]),
])
def test_an_engine_that_cannot_be_loaded_is_named_with_what_would_be_right(plugin, name, words):
    with pytest.raises(EngineError) as error:
        get_engine(name)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("call", ["backprop", "train"])
def test_a_configuration_outside_supports_is_refused_naming_engine_key_and_value(plugin, call):
    net, X, Y = problem()
    net32 = net.copy(dtype="float32")
    with pytest.raises(ValueError, match=r"engine='duckplugin:NarrowEngine' does not support "
                                         r"dtype='float32' \(it supports dtype 'float64'\)"):
        if call == "backprop":
            nncore.backprop(net32, X, Y, engine="duckplugin:NarrowEngine")
        else:
            nncore.train(net32, X, Y, epochs=1, batch_size=3, lr=0.01, engine="duckplugin:NarrowEngine")


def test_a_sweep_refuses_an_unsupported_configuration_with_one_line_and_exit_2(plugin, tmp_path, capsys):
    # Where the plugin's module is imported (issue 28: plan reads a spec without running it).
    path = tmp_path / "plug.toml"
    path.write_text(SPEC.format(engines='["duckplugin:NarrowEngine"]') + "activation = ['tanh']\n")
    assert main(["sweep", str(path), "--results", str(tmp_path / "results")]) == 2
    assert not (tmp_path / "results" / "plug").exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and "engine='duckplugin:NarrowEngine' does not support activation='tanh'" in err


def test_a_spec_refuses_an_engine_that_cannot_be_imported(tmp_path, capsys):
    path = tmp_path / "plug.toml"
    path.write_text(SPEC.format(engines='["nosuchmodule:Engine"]'))
    assert main(["plan", str(path)]) == 2
    assert "engine='nosuchmodule:Engine' cannot be imported" in capsys.readouterr().err


def test_a_plugin_run_keeps_the_engine_string_and_records_its_source(plugin, tmp_path):
    path = tmp_path / "plug.toml"
    path.write_text(SPEC.format(engines='["vectorized", "duckplugin:DuckEngine"]'))
    study = spec.load_spec(path)
    rows = {run.config["engine"]: execute({"config": run.config, "run_id": run.run_id,
                                           "study": "plug"})["runs"] for run in study.runs}
    assert set(rows) == {"vectorized", "duckplugin:DuckEngine"}
    plugin_row, own_row = rows["duckplugin:DuckEngine"], rows["vectorized"]
    assert plugin_row["status"] == "ok" and plugin_row["engine"] == "duckplugin:DuckEngine"
    assert plugin_row["engine_source_sha256"] == hashlib.sha256(plugin.read_bytes()).hexdigest()
    assert own_row["engine_source_sha256"] is None and own_row["engine_distribution"] is None
    assert plugin_row["final_train_loss"] == pytest.approx(own_row["final_train_loss"], rel=1e-12)


def test_status_counts_a_plugin_run_stale_once_its_source_changes(plugin, tmp_path):
    path = tmp_path / "plug.toml"
    path.write_text(SPEC.format(engines='["vectorized", "duckplugin:DuckEngine"]'))
    results = str(tmp_path / "results")
    assert main(["sweep", str(path), "--results", results, "--backend", "serial", "--quiet"]) == 0
    study = spec.load_spec(path)
    commit = provenance.code_version()["git_commit"]
    before = progress.counts(study, progress.stored_runs(results, "plug"), commit)
    plugin.write_text(PLUGIN + "\n# a change to the engine's module\n")
    provenance.engine_source.cache_clear()  # a new `status` process hashes the file anew
    after = progress.counts(study, progress.stored_runs(results, "plug"), commit)
    assert after.stale == before.stale + 1


def test_the_kit_runs_on_a_plugin_named_as_in_a_spec(plugin):
    outcomes = run_kit("duckplugin:NarrowEngine")
    assert outcomes and all(o.passed for o in outcomes)
    assert all("relu/" in o.configuration and "float64" in o.configuration
               for o in outcomes if o.check == "gradients_vs_vectorized")
    refused = [o for o in outcomes if o.check == "unsupported_refused"]
    assert refused[0].note == "refused activation=sigmoid, dtype=float32"
