"""The benchmark cases derive their engines from ``nncore.ENGINES``."""
import nncore
from benchmarks import cases


def test_every_training_engine_is_timed_on_the_small_nets():
    assert cases.ALL_ENGINES == tuple(name for name in nncore.ENGINES if name != "numerical")
    for case in cases.CASES:
        if case.task == "sincos":
            assert case.engines == cases.ALL_ENGINES


def test_an_engine_the_cases_do_not_know_runs_on_the_small_nets_only(monkeypatch):
    monkeypatch.setitem(nncore.ENGINES, "newcomer", object)
    engines = cases.training_engines()
    assert "newcomer" in engines and "numerical" not in engines
    assert "newcomer" not in cases.BIG_NET_ENGINES


def test_case_ids_stay_as_stored_histories_name_them():
    assert [case.case_id for case in cases.CASES] == [
        "sincos-2-100-80-50-30-10-1-b10", "sincos-2-100-80-50-30-10-1-b100", "sincos-2-100-1-b10",
        "softmax-784-1024-1024-10-b128"]
    assert cases.CASES[-1].engines == ("vectorized",)
