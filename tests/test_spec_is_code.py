"""A spec that names a module is code (issue 28, items 4-5): ``plan``, ``status`` and the report
read it without importing the module; ``sweep`` is where it runs, and sweep makes each plugin
engine once, before any run, refusing one it cannot make in one line, exit 2."""
import textwrap
from pathlib import Path

import pytest

from experiments.cli import main
from plugin_modules import forget, module_on_path

SPEC = textwrap.dedent("""
    name = "{name}"
    seeds = 1
    [base]
    dataset = "sincos"
    dataset_options = {{ step = 0.5 }}
    width = 4
    epochs = 1
    [grid]
    engine = {engines}
    """)
# A module that says when it is imported, by leaving a file beside itself.
SIDE_EFFECT = textwrap.dedent("""
    from pathlib import Path
    from nncore.engines.vectorized import VectorizedEngine

    Path(__file__).with_name("imported").touch()


    class Engine(VectorizedEngine):
        name = "noisy"


    class NeedsArgument(VectorizedEngine):
        name = "needs"

        def __init__(self, width):
            super().__init__()


    class Explodes(VectorizedEngine):
        name = "explodes"

        def __init__(self):
            raise RuntimeError("no GPU here")
""")


@pytest.fixture
def noisy(tmp_path, monkeypatch):
    """A plugin module ``noisyplugin`` on the path; the file ``imported`` appears once it runs."""
    with module_on_path(tmp_path, monkeypatch, "noisyplugin", SIDE_EFFECT) as folder:
        yield folder / "imported"


def write(tmp_path, engines, name="code") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(SPEC.format(name=name, engines=engines))
    return path


def test_plan_reads_a_spec_without_importing_its_engine_module_and_says_so(noisy, tmp_path, capsys):
    path = write(tmp_path, '["vectorized", "noisyplugin:Engine"]')
    assert main(["plan", str(path), "--results", str(tmp_path / "results")]) == 0
    assert not noisy.exists()
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "noisyplugin:Engine" in line)
    assert "plugin" in line and "not imported" in line


def test_status_counts_stored_plugin_runs_without_importing_the_module(noisy, tmp_path, capsys):
    path = write(tmp_path, '["vectorized", "noisyplugin:Engine"]')
    results = str(tmp_path / "results")
    assert main(["sweep", str(path), "--results", results, "--backend", "serial", "--quiet"]) == 0
    noisy.unlink()
    forget("noisyplugin")
    assert main(["status", str(path), "--results", results]) == 0
    assert not noisy.exists()
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("code "))
    assert row.split()[1:7] == ["2", "2", "0", "0", "0", "0"]   # runs, ok, ..., stale: not unknown
    assert "plugin engine noisyplugin:Engine: not imported by status" in row


def test_plan_of_a_stdlib_module_with_a_side_effect_prints_nothing_of_it(tmp_path, capsys):
    path = write(tmp_path, '["this:X"]')
    main(["plan", str(path), "--results", str(tmp_path / "results")])
    assert "Beautiful is better than ugly" not in capsys.readouterr().out


def test_a_spec_naming_a_module_that_is_nowhere_is_refused_at_spec_time(tmp_path, capsys):
    path = write(tmp_path, '["nosuchmodule:Engine"]')
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "engine='nosuchmodule:Engine' cannot be imported" in err


def test_sweep_is_where_the_module_runs(noisy, tmp_path):
    path = write(tmp_path, '["noisyplugin:Engine"]')
    assert main(["sweep", str(path), "--results", str(tmp_path / "results"), "--backend", "serial",
                 "--quiet"]) == 0
    assert noisy.exists()


@pytest.mark.parametrize("engine, words", [
    ("noisyplugin:NeedsArgument", ["TypeError", "width", "made with no arguments"]),
    ("noisyplugin:Explodes", ["RuntimeError", "no GPU here"]),
])
def test_sweep_makes_the_engine_once_before_any_run_and_refuses_a_failing_constructor(
        noisy, tmp_path, capsys, engine, words):
    path = write(tmp_path, f'["vectorized", "{engine}"]')
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert str(path) in err[0] and repr(engine) in err[0]
    assert all(word in err[0] for word in words), err[0]
    assert not (results / "code").exists()   # nothing ran, not even the vectorized runs


@pytest.mark.parametrize("document", ["README.md", "docs/engines.md"])
def test_the_docs_say_a_spec_naming_a_module_runs_its_code(document):
    text = " ".join((Path(__file__).parents[1] / document).read_text().split())
    assert "a spec that names a module runs that module's code" in text.lower()
    assert "plan" in text and "status" in text
