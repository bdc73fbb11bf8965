"""One training epoch per optimizer on the networks of issue 9's cost goals (``make bench`` tracks
them); ``python -m benchmarks.probes.optimizer_cost`` turns the same epochs into ratios to SGD."""
import numpy as np
import pytest

from benchmarks.probes.optimizer_cost import CASES, STEPS_PER_EPOCH, epoch_seconds

OPTIMIZERS = ("sgd", "adam")


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("case, engine", CASES, ids=[f"{case.case_id}-{engine}" for case, engine in CASES])
def test_optimizer_epoch(benchmark, case, engine, optimizer):
    epoch = epoch_seconds(case, engine, optimizer)
    # the vectorized groups keep their names, so saved benchmarks still compare
    benchmark.group = f"optimizer-epoch-{case.case_id}" + ("" if engine == "vectorized" else f"-{engine}")
    benchmark.extra_info.update(case.extra_info("float64"), optimizer=optimizer,
                                engine=engine, steps_per_epoch=STEPS_PER_EPOCH[case.batch_size])

    cpu_s, wall_s = benchmark(epoch)

    assert np.isfinite(cpu_s) and wall_s > 0
