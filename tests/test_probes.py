"""``python -m benchmarks.probes.engine_epochs`` on tiny epochs, so the script cannot rot (no timing claims)."""
import pytest

from benchmarks.probes.engine_epochs import ADAM_CASES, GOALS, HEADER, main


def test_engine_epochs_prints_every_case_and_every_goal(capsys):
    assert main(["--rounds", "0", "--samples", "20", "--dtypes", "float64"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert HEADER in lines
    assert any(line.startswith("sincos-2-100-1-b10 ") for line in lines)
    verdicts = [line for line in lines if line.startswith("goal ")]
    assert len(verdicts) == len(GOALS) + 1  # and the share of the matmul peak
    assert all(line.endswith((", met", ", NOT met")) for line in verdicts)


def test_engine_epochs_adam_prints_the_per_epoch_ratio_of_each_adam_case(capsys):
    pytest.importorskip("jax")
    assert main(["--adam", "--rounds", "7", "--samples", "20", "--dtypes", "float64"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("jax-adam / compiled-adam ")]
    assert [line.split()[3] for line in lines] == [case.case_id for case in ADAM_CASES]
    assert all("epochs 2-8 " in line and "; 2-6 " in line and "; 7-8 " in line for line in lines)


def test_first_report_splits_a_report_into_compile_sweep_and_build():
    """The sweep ends at its last "done in" line (retrains, [resolve] rounds), and every batch's
    kernel-making seconds are the compile."""
    from benchmarks.probes.first_report import report_split

    lines = [(1.0, "running 369 runs of width (20) into results/"),
             (60.0, "done in 59 s (of which 17 s making the compiled kernels): 348 ok"),
             (61.0, "stage 2 (after the trials): retraining the winners"),
             (70.0, "done in 8 s (of which 0.5 s making the compiled kernels): 32 ok"),
             (80.0, "done in 4 s: 80 ok"), (99.0, "report written to reports/out/index.html")]
    assert report_split(lines, 100.0) == {"compile_s": 17.5, "sweep_s": 62.5, "build_s": 20.0}
    assert report_split([(5.0, "report written")], 6.0) == {"compile_s": 0.0, "sweep_s": 0.0, "build_s": 6.0}
