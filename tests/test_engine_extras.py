"""An engine registered by an installed distribution whose optional dependency is missing here
(nnstudy's ``jax`` engine without ``nnstudy[jax]``): specs naming it still load, so ``list``,
``status``, ``plan`` and the report work; ``sweep`` stops with one line naming the engine, the
missing module and what to install, and exits 2."""
import sys
import textwrap

import pytest

from experiments.cli import main
from experiments.spec import load_spec
from nncore.engines import plugins

SPEC = """
    name = "extra"
    seeds = 1
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    width = 4
    epochs = 1
    [grid]
    engine = ["vectorized", "needsextra"]
    """


@pytest.fixture
def engine_without_its_extra(tmp_path, monkeypatch):
    """``needsextra``: an entry point of a distribution ``extraplugins`` (extra ``needsextra``)
    whose module imports a package that is not installed."""
    (tmp_path / "extraplugin.py").write_text("import not_installed_anywhere\n")
    info = tmp_path / "extraplugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extraplugins\nVersion: 1.0\n"
                                   "Provides-Extra: needsextra\n")
    (info / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\nneedsextra = extraplugin:Engine\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins._plugin_class.cache_clear()
    yield tmp_path
    sys.modules.pop("extraplugin", None)
    plugins._plugin_class.cache_clear()


def test_the_missing_module_of_a_registered_engine_is_named(engine_without_its_extra):
    assert plugins.missing_dependency("needsextra") == "not_installed_anywhere"
    assert plugins.install_hint("needsextra") == "pip install 'extraplugins[needsextra]'"
    assert plugins.missing_dependency("vectorized") is None
    assert plugins.missing_dependency("nosuchengine") is None


def test_a_spec_naming_it_loads_and_a_sweep_refuses_with_one_line(engine_without_its_extra, capsys):
    path = engine_without_its_extra / "extra.toml"
    path.write_text(textwrap.dedent(SPEC))
    assert {run.config["engine"] for run in load_spec(path).runs} == {"vectorized", "needsextra"}
    results = engine_without_its_extra / "results"
    assert main(["sweep", str(path), "--results", str(results)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1
    assert "'needsextra'" in error[0] and "'not_installed_anywhere'" in error[0]
    assert "pip install 'extraplugins[needsextra]'" in error[0]
    assert not (results / "extra").exists()  # nothing ran
