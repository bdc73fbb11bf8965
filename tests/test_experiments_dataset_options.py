"""A dataset option that cannot build the data is refused when the spec is read: one line naming
the spec file, the run, ``dataset_options`` and the option, exit 2, nothing run or written (issue
19, item 8: ``step = 0.0`` was a ZeroDivisionError traceback; ``n_val = -5`` and negative seeds
passed the spec and then failed every run)."""
import pytest

from experiments.cli import main

SPEC = """name = "bad"
[base]
dataset = "{dataset}"
dataset_options = {options}
width = 3
epochs = 1
batch_size = 4
"""

BAD = [
    ("sincos", "{ step = 0.0 }", "step must be a positive finite number, got 0.0"),
    ("sincos", "{ step = -0.5 }", "step must be a positive finite number"),
    ("sincos", "{ step = inf }", "dataset_options.step: must be a finite number, got inf"),
    ("sincos", "{ step = 1.0, n_val = -5 }", "n_val must be an integer >= 1, got -5"),
    ("sincos", "{ step = 1.0, n_val = 0 }", "n_val must be an integer >= 1, got 0"),
    ("sincos", "{ step = 1.0, seed = -1 }", "seed must be an integer >= 0, got -1"),
    ("random_regression", "{ seed = -3 }", "random_regression seed must be an integer >= 0"),
    ("random_regression", "{ n = 0 }", "random_regression n must be an integer >= 1"),
    ("digits", "{ seed = -1 }", "digits seed must be an integer >= 0"),
    ("digits", "{ test_size = 0.0 }", "digits test_size must be a fraction"),
    ("mnist1d", "{ seed = -1 }", "mnist1d seed must be an integer >= 0"),
]


@pytest.mark.parametrize("dataset, options, words", BAD, ids=[f"{d} {o}" for d, o, _ in BAD])
def test_a_bad_dataset_option_is_one_line_at_spec_time(tmp_path, capsys, dataset, options, words):
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.format(dataset=dataset, options=options))
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial"]) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error, error
    assert str(path) in error and "dataset_options" in error and words in error
    assert "running" not in captured.out + captured.err and not results.exists()
