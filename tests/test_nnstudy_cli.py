"""One command, ``nnstudy``: experiments' sweep, plan, list and status, and reports' build as
``report``, each with its own --help; the installed script runs it."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nnstudy.cli import main


@pytest.mark.parametrize("command", ["sweep", "plan", "list", "status", "report"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: nnstudy {command}")
    assert "--results" in out or command == "list"


def test_top_level_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "{sweep,plan,list,status,compact,report,check-engine,bench}" in capsys.readouterr().out


@pytest.mark.slow
def test_sweep_then_report_of_a_new_spec(tmp_path, capsys):
    spec = tmp_path / "mine.toml"
    spec.write_text(textwrap.dedent("""
        name = "mine"
        [base]
        dataset = "sincos"
        dataset_options = { step = 0.5 }
        width = 4
        epochs = 2
        [grid]
        lr = [0.01, 0.001]
        """))
    results, out = str(tmp_path / "results"), tmp_path / "out"
    assert main(["sweep", str(spec), "--results", results, "--backend", "serial", "--quiet"]) == 0
    assert main(["report", str(spec), "--results", results, "--out", str(out), "--quiet"]) == 0
    assert "(1 of 1 studies)" in capsys.readouterr().out
    assert (out / "figures" / "mine_loss_curves.png").is_file()
    assert (out / "tables" / "mine_summary.md").is_file()


def test_bad_spec_exits_2_through_nnstudy_too(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text('name = "bad"\n[base]\ndataset = "nope"\nwidth = 2\n')
    assert main(["plan", str(spec)]) == 2
    assert "base.dataset" in capsys.readouterr().err


def test_the_installed_script_runs():
    script = Path(sys.executable).parent / "nnstudy"
    assert script.is_file(), "pip install -e . (make install) puts the nnstudy script beside python"
    listing = subprocess.run([str(script), "list"], capture_output=True, text=True, check=True)
    assert "classics" in [line.split()[0] for line in listing.stdout.splitlines()]
