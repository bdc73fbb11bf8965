"""A whole study run beside its bare epochs, per engine and net (``benchmarks.run_cost``): both in
one group, so that a saved run shows what the run adds to its training. Under
``--benchmark-disable`` (the test suite) each runs once on 100 rows."""
import pytest

from benchmarks import run_cost

PAIRS = [pytest.param(engine, net, id=f"{engine}-{net}") for engine in run_cost.ENGINES for net in run_cost.NETS]


@pytest.mark.parametrize("part", ["run", "bare_epochs"])
@pytest.mark.parametrize(("engine", "net"), PAIRS)
def test_a_whole_run_and_its_bare_epochs(benchmark, engine, net, part):
    pair = run_cost.run_pair(engine, net, quick=benchmark.disabled)
    config = run_cost.run_config(engine, run_cost.NETS[net], quick=benchmark.disabled)
    benchmark.group = f"run-cost-{engine}-{net}"
    benchmark.extra_info.update(engine=engine, layer_sizes=config["layer_sizes"], part=part,
                                batch_size=config["batch_size"], epochs=config["epochs"],
                                dataset_options=config["dataset_options"])
    benchmark.pedantic(getattr(pair, part), rounds=3 if not benchmark.disabled else 1, iterations=1)


def test_the_script_names_the_host_and_judges_each_goal(capsys):
    assert run_cost.main(["--quick", "--rounds", "1", "--engines", "compiled"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("host: ") and "BLAS" in lines[0] and "load average" in lines[0]
    judged = [line for line in lines if line.startswith("compiled")]
    assert len(judged) == len(run_cost.NETS)
    assert all("goal <=" in line and ("met" in line) for line in judged)


def test_a_failed_run_raises_instead_of_being_timed(monkeypatch):
    made = run_cost.run_config
    monkeypatch.setattr(run_cost, "run_config", lambda *args, **kwargs: {**made(*args, **kwargs), "epochs": -1})
    with pytest.raises(RuntimeError, match="the compiled run failed"):
        run_cost.run_pair("compiled", "2-100-1", quick=True).run()
