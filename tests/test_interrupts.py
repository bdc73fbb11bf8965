"""Ctrl-C in ``nnstudy report``, ``check-engine`` and ``bench compare`` (issue 28, item 12): the
sweep's one line, worded for the command, and exit 130; and the kit's timeout, the way out of a
hanging engine that needs no Ctrl-C."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from nncore.engines import conformance
from nncore.engines.vectorized import VectorizedEngine

HANGING_ENGINE = textwrap.dedent("""
    import time
    from pathlib import Path
    from nncore.engines.vectorized import VectorizedEngine

    class Hanging(VectorizedEngine):
        def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
            Path(__file__).with_name("started").touch()
            time.sleep(600)
""")
# ``nnstudy ARGS`` with one function (module, name) replaced by one that says it started and
# waits: the command is then busy where a user would press Ctrl-C.
BUSY = textwrap.dedent("""
    import importlib, sys, time
    from pathlib import Path
    module, name, marker = sys.argv[1:4]

    def busy(*args, **kwargs):
        Path(marker).touch()
        time.sleep(600)

    setattr(importlib.import_module(module), name, busy)
    from nnstudy.cli import main
    sys.exit(main(sys.argv[4:]))
""")


def interrupted(command: list[str], marker, cwd=None, env=None) -> tuple[int, list[str]]:
    """Start ``command``, wait for ``marker`` to appear, send SIGINT to its process group as
    Ctrl-C in a terminal does; (exit status, stderr lines)."""
    # A suite started in the background inherits SIGINT ignored: give the command the default.
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, cwd=cwd, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    return process.returncode, err.splitlines()


def test_ctrl_c_in_check_engine_is_one_line_exit_130(tmp_path):
    (tmp_path / "hangs.py").write_text(HANGING_ENGINE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    status, err = interrupted([sys.executable, "-m", "nnstudy", "check-engine", "hangs:Hanging"],
                              tmp_path / "started", env=env)
    assert status == 130 and len(err) == 1, err
    assert err[0].startswith("interrupted: check-engine") and "stored" not in err[0]


def test_ctrl_c_in_report_is_one_line_exit_130_and_keeps_the_previous_report(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    marker = tmp_path / "started"
    status, err = interrupted([sys.executable, "-c", BUSY, "reports.build", "_build_into", str(marker),
                               "report", "--results", str(tmp_path / "results"), "--out", str(out)], marker)
    assert status == 130 and len(err) == 1, err
    assert err[0].startswith("interrupted: report") and "finished runs are stored" not in err[0]
    assert sorted(tmp_path.iterdir()) == sorted([out, marker])   # no staging folder left


def test_ctrl_c_in_bench_compare_is_one_line_exit_130(tmp_path):
    marker = tmp_path / "started"
    status, err = interrupted([sys.executable, "-c", BUSY, "benchmarks.gitrepo", "repo_root", str(marker),
                               "bench", "compare", "HEAD"], marker)
    assert status == 130 and len(err) == 1, err
    assert err[0].startswith("interrupted: bench compare")


class Hanging(VectorizedEngine):
    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        time.sleep(600)


def test_a_check_that_outlasts_its_timeout_fails_named_and_the_kit_goes_on():
    started = time.monotonic()
    outcomes = conformance.run_kit(Hanging, ["gradients_vs_vectorized", "purity"], timeout=0.5)
    assert time.monotonic() - started < 30
    hung = [o for o in outcomes if o.check == "gradients_vs_vectorized"]
    assert len(hung) == 1 and not hung[0].passed and "timed out after 0.5 s" in hung[0].note
    assert {o.check for o in outcomes} == {"gradients_vs_vectorized", "purity"}


def test_check_engine_takes_a_timeout_and_exits_1_naming_the_check(capsys):
    from nnstudy.cli import main

    assert main(["check-engine", f"{__name__}:Hanging", "--check", "determinism", "--timeout", "0.5"]) == 1
    captured = capsys.readouterr()
    assert "timed out after 0.5 s" in captured.out and "determinism" in captured.err


@pytest.mark.parametrize("text", ["0", "-1", "soon"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(text, capsys):
    from nnstudy.cli import main

    with pytest.raises(SystemExit) as raised:
        main(["check-engine", "vectorized", "--timeout", text])
    assert raised.value.code == 2 and "--timeout" in capsys.readouterr().err
