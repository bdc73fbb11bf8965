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
