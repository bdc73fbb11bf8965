"""``python -m benchmarks.probes.engine_epochs`` on tiny epochs, so the script cannot rot (no timing claims)."""
from benchmarks.probes.engine_epochs import GOALS, HEADER, main


def test_engine_epochs_prints_every_case_and_every_goal(capsys):
    assert main(["--rounds", "0", "--samples", "20", "--dtypes", "float64"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert HEADER in lines
    assert any(line.startswith("sincos-2-100-1-b10 ") for line in lines)
    verdicts = [line for line in lines if line.startswith("goal ")]
    assert len(verdicts) == len(GOALS) + 1  # and the share of the matmul peak
    assert all(line.endswith((", met", ", NOT met")) for line in verdicts)
