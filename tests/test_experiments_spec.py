"""Study specs: grid algebra, canonical run ids, and errors that name file, key and choices."""
import subprocess
import sys
import textwrap

import pytest

from experiments import catalog
from experiments.config import run_id
from experiments.cli import main
from experiments.spec import SpecError, load_spec

BASE = """
[base]
dataset = "sincos"
dataset_options = { step = 0.5 }
epochs = 1
"""


def write(tmp_path, text, name="study.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def labels(study, *keys):
    return [tuple(run.config[k] for k in keys) for run in study.runs]


def test_grid_is_the_cartesian_product_with_seeds_innermost(tmp_path):
    path = write(tmp_path, 'name = "g"\nseeds = 2\n' + BASE + """
        [grid]
        width = [10, 20]
        lr = [0.1, 0.01]
        """)
    study = load_spec(path)
    assert labels(study, "layer_sizes", "lr", "seed") == [
        ([2, 10, 1], 0.1, 0), ([2, 10, 1], 0.1, 1), ([2, 10, 1], 0.01, 0), ([2, 10, 1], 0.01, 1),
        ([2, 20, 1], 0.1, 0), ([2, 20, 1], 0.1, 1), ([2, 20, 1], 0.01, 0), ([2, 20, 1], 0.01, 1)]


def test_zip_group_varies_its_keys_together(tmp_path):
    path = write(tmp_path, 'name = "z"\nseeds = [3]\n' + BASE + """
        [grid]
        batch_size = [1, 10]
        [[zip]]
        width = [20, 100]
        lr = [0.01, 0.001]
        """)
    assert labels(load_spec(path), "batch_size", "layer_sizes", "lr", "seed") == [
        (1, [2, 20, 1], 0.01, 3), (1, [2, 100, 1], 0.001, 3),
        (10, [2, 20, 1], 0.01, 3), (10, [2, 100, 1], 0.001, 3)]


def test_exclude_drops_runs_matching_every_key_of_a_rule(tmp_path):
    path = write(tmp_path, 'name = "e"\n' + BASE + """
        [grid]
        engine = ["scalar", "vectorized"]
        width = [10, 100]
        batch_size = [1, 10]
        [[exclude]]
        engine = "scalar"
        width = [100]
        """)
    kept = labels(load_spec(path), "engine", "layer_sizes", "batch_size")
    assert len(kept) == 6
    assert ("scalar", [2, 100, 1], 1) not in kept and ("scalar", [2, 10, 1], 1) in kept


def test_exclude_on_width_matches_architectures_given_as_hidden(tmp_path):
    path = write(tmp_path, 'name = "h"\n' + BASE + """
        [grid]
        hidden = [[10], [100, 100]]
        [[exclude]]
        width = 100
        depth = 2
        """)
    assert labels(load_spec(path), "layer_sizes") == [([2, 10, 1],)]


def test_cases_are_one_axis_of_whole_configurations(tmp_path):
    path = write(tmp_path, """
        name = "c"
        seeds = 2
        [base]
        epochs = 1
        [[case]]
        dataset = "xor"
        hidden = [3]
        batch_size = 4
        [[case]]
        dataset = "digits"
        hidden = [5]
        output = "softmax"
        loss = "cross_entropy"
        """)
    assert labels(load_spec(path), "dataset", "layer_sizes", "seed") == [
        ("xor", [2, 3, 1], 0), ("xor", [2, 3, 1], 1), ("digits", [64, 5, 10], 0), ("digits", [64, 5, 10], 1)]


def test_run_ids_ignore_spelling_and_change_with_any_result_relevant_field(tmp_path):
    a = load_spec(write(tmp_path, 'name = "a"\n' + BASE + "width = 20\nlr = 1e-3\n", "a.toml"))
    b = load_spec(write(tmp_path, 'name = "b"\n' + BASE + "hidden = [20]\nlr = 0.001\n", "b.toml"))
    assert a.runs[0].run_id == b.runs[0].run_id
    config = a.runs[0].config
    for key, value in [("lr", 0.002), ("seed", 1), ("engine", "loop"), ("epochs", 2),
                       ("reduction", "sum"), ("layer_sizes", [2, 21, 1]), ("dataset_options", {})]:
        assert run_id({**config, key: value}) != run_id(config), key


def test_run_ids_are_stable_across_processes(tmp_path):
    path = write(tmp_path, 'name = "s"\nseeds = 3\n' + BASE + "width = 20\n")
    here = [run.run_id for run in load_spec(path).runs]
    code = f"from experiments.spec import load_spec; print(*[r.run_id for r in load_spec({str(path)!r}).runs])"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123"}).stdout.split()
    assert here == there
    # A fixed configuration has a fixed id: a change here means every stored result is orphaned.
    assert run_id({"lr": 0.001, "layer_sizes": [2, 20, 1]}) == \
        "fa934b0535ee5f3f1d316ae4e91f5363e677679c0287198f23938929cc2ee823"


def test_quick_keeps_first_and_last_grid_values_one_seed_and_two_epochs(tmp_path):
    path = write(tmp_path, 'name = "q"\nseeds = 5\n' + BASE.replace("epochs = 1", "epochs = 30") + """
        [grid]
        width = [10, 20, 50, 100]
        """)
    study = load_spec(path, quick=True)
    assert study.name == "q-quick"
    assert labels(study, "layer_sizes", "epochs", "seed") == [([2, 10, 1], 2, 0), ([2, 100, 1], 2, 0)]


def test_quick_runs_keep_only_the_activation_statistics_epochs_they_reach(tmp_path):
    path = write(tmp_path, 'name = "q"\n' + BASE.replace("epochs = 1", "epochs = 30") + """
        width = 10
        activation_stats_epochs = [0, 1, 30]
        """)
    assert load_spec(path).runs[0].config["activation_stats_epochs"] == [0, 1, 30]
    assert load_spec(path, quick=True).runs[0].config["activation_stats_epochs"] == [0, 1]


BAD_SPECS = [
    # (what is wrong, spec text after the name, words the message must contain)
    ("unknown key", BASE + "widht = 20\n", ["base.widht", "unknown key", "width"]),
    ("unknown activation", BASE + "width = 20\n[grid]\nactivation = ['relu', 'relux']\n",
     ["grid.activation[1]", "'relux'", "relu, sigmoid, tanh"]),
    ("unknown engine", BASE + "width = 20\nengine = 'fast'\n", [": engine: engine='fast'", "scalar, loop, vectorized", "package.module:ClassName"]),
    ("unknown dataset", "[base]\ndataset = 'cifar'\nwidth = 20\n", ["base.dataset", "sincos", "digits"]),
    ("wrong type", BASE + "width = 20\nlr = 'fast'\n", ["base.lr", "must be a number"]),
    ("empty grid", BASE + "width = 20\n[grid]\nlr = []\n", ["grid.lr", "empty"]),
    ("impossible size", BASE + "hidden = [20, 0]\n", ["hidden", "positive integers"]),
    ("batch larger than data", BASE + "width = 20\nbatch_size = 1000\n", ["batch_size", "400 training samples"]),
    ("loss needs other output", BASE + "width = 20\nloss = 'cross_entropy'\n", ["loss", "softmax"]),
    ("unknown dataset option", BASE.replace("step = 0.5", "steps = 0.5") + "width = 20\n",
     ["dataset_options.steps", "valid: n_val, seed, step"]),
    ("zip of unequal lengths", BASE + "[[zip]]\nwidth = [1, 2]\nlr = [0.1]\n", ["zip[0]", "equal lengths"]),
    ("everything excluded", BASE + "width = 20\n[[exclude]]\nepochs = 1\n", ["no runs"]),
    ("bad schedule", BASE + "width = 20\nschedule = { kind = 'cosine' }\n", ["schedule", "constant, step"]),
    ("not TOML", "[base\n", ["not valid TOML"]),
    ("seeds inside base", BASE + "width = 20\nseeds = 3\n", ["base.seeds", "top-level key"]),
    ("activation statistics after the last epoch", BASE + "width = 20\nactivation_stats_epochs = [0, 2]\n",
     ["activation_stats_epochs", "integers in [0, 1]"]),
    ("statistics at an epoch not evaluated", BASE.replace("epochs = 1", "epochs = 10")
     + "width = 20\nevaluate_every = 5\nactivation_stats_epochs = [0, 3]\n",
     ["activation_stats_epochs", "[3]", "evaluate_every = 5"]),
    ("unusable dataset option", BASE.replace("step = 0.5", "step = 'fine'") + "width = 20\n",
     ["dataset_options", "not usable"]),
]


@pytest.mark.parametrize("body, words", [case[1:] for case in BAD_SPECS], ids=[case[0] for case in BAD_SPECS])
def test_bad_spec_error_names_file_key_and_valid_choices(tmp_path, body, words):
    path = write(tmp_path, 'name = "bad"\n' + body)
    with pytest.raises(SpecError) as error:
        load_spec(path)
    message = str(error.value)
    assert str(path) in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("command", ["sweep", "plan"])
def test_cli_exits_2_on_a_bad_spec_and_writes_nothing(tmp_path, capsys, command):
    path = write(tmp_path, 'name = "bad"\n' + BASE + "width = 20\nactivation = 'relux'\n")
    results = tmp_path / "results"
    assert main([command, str(path), "--results", str(results)]) == 2
    assert "base.activation" in capsys.readouterr().err
    assert not results.exists()


def test_cli_refuses_an_unknown_study_name_with_exit_2(tmp_path, capsys):
    assert main(["sweep", "nosuchstudy", "--results", str(tmp_path / "r")]) == 2
    assert "width" in capsys.readouterr().err  # lists the shipped studies
    assert not (tmp_path / "r").exists()


def test_shipped_studies_expand_to_the_documented_grids():
    counts = {study.name: len(study.runs) for study in catalog.default_studies()}
    assert counts == {"classics": 40, "depth": 20, "engines": 57, "final": 3, "gradcheck": 24,
                      "lr": 60, "width": 20, "mnist1d": 10,
                      "width_fair": 64, "depth_fair": 64}  # searched: their trials (issue 25)
    final = catalog.find_study("final").runs[0].config
    assert final["layer_sizes"] == [2, 100, 80, 50, 30, 10, 1]
    assert final["schedule"] == {"kind": "step", "factor": 0.9, "every": 3}
    assert final["reduction"] == "sum" and final["snapshot_epochs"] == [0, 1, 5, 30]


def spec_text(name: str) -> str:
    return f'name = "{name}"\n' + BASE + "width = 5\n"
# (what is wrong, the spec file's bytes, words the one-line message must contain)
UNREADABLE_SPECS = [
    ("Latin-1", 'name = "latin"\ndescription = "caf\xe9"\n'.encode("latin-1"), ["not UTF-8", "line 2 has the byte b'\\xe9'"]),
    ("UTF-16", spec_text("utf16").encode("utf-16"), ["not UTF-8", "UTF-16"]),
    ("binary", b"\x00\xff\xfe\x80\x81", ["not UTF-8"]),
]


@pytest.mark.parametrize("data, words", [c[1:] for c in UNREADABLE_SPECS],
                         ids=[c[0] for c in UNREADABLE_SPECS])
def test_a_spec_that_is_not_utf8_is_refused_in_one_line_with_exit_2(tmp_path, capsys, data, words):
    path = tmp_path / "bad.toml"
    path.write_bytes(data)
    assert main(["sweep", str(path), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err
    for word in words:
        assert word in err


def test_a_spec_path_that_is_a_directory_is_refused_in_one_line_with_exit_2(tmp_path, capsys):
    folder = tmp_path / "specs.toml"
    folder.mkdir()
    assert main(["sweep", str(folder), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {folder}: is a directory, not a spec file (give a .toml file)\n"


def test_a_spec_with_a_utf8_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + spec_text("bom").encode())
    assert load_spec(path).name == "bom"


# (what is wrong, spec text, the location and words of the one-line message)
OUT_OF_RANGE_SPECS = [
    ("init_scale inf", spec_text("s") + "init_scale = inf\n",
     ["base.init_scale", "must be a finite number, got inf"]),
    ("schedule gamma inf", spec_text("s") + "schedule = { kind = 'exponential', gamma = inf }\n",
     ["base.schedule.gamma", "finite"]),
    ("lr nan in a grid", spec_text("s") + "[grid]\nlr = [0.1, nan]\n", ["grid.lr[1]", "finite"]),
    ("width beyond int64", spec_text("s").replace("width = 5", f"width = {2**63}"),
     ["base.width", "64-bit"]),
    ("zero batch", spec_text("s") + "batch_size = 0\n", ["batch_size", "must be >= 1, got 0"]),
    ("negative lr", spec_text("s") + "lr = -0.1\n", ["lr", "must be positive"]),
]


@pytest.mark.parametrize("body, words", [c[1:] for c in OUT_OF_RANGE_SPECS],
                         ids=[c[0] for c in OUT_OF_RANGE_SPECS])
def test_numbers_out_of_their_range_are_refused_at_spec_time(tmp_path, body, words):
    with pytest.raises(SpecError) as error:
        load_spec(write(tmp_path, body))
    for word in words:
        assert word in str(error.value)


def test_seeds_beyond_int64_are_refused_before_anything_runs(tmp_path, capsys):
    path = write(tmp_path, spec_text("big").replace('name = "big"', f'name = "big"\nseeds = [{2**64}]'))
    assert main(["sweep", str(path), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "seeds" in err and "18446744073709551616" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("name, words", [
    ("width-quick", ["name", "must not end in '-quick'"]),
    ("a" * 300, ["name", "at most 100 characters, got 300"]),
])
def test_study_names_that_would_store_elsewhere_or_fail_are_refused(tmp_path, capsys, name, words):
    path = write(tmp_path, spec_text(name))
    assert main(["sweep", str(path), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err
    assert not (tmp_path / "r").exists()
