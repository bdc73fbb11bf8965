"""One training epoch per optimizer on the networks of issue 9's cost goals (``make bench`` tracks
them); ``python -m benchmarks.optimizer_cost`` turns the same epochs into ratios to SGD."""
import numpy as np
import pytest

from benchmarks.optimizer_cost import CASES, STEPS_PER_EPOCH, epoch_seconds

OPTIMIZERS = ("sgd", "adam")


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_optimizer_epoch(benchmark, case, optimizer):
    epoch = epoch_seconds(case, optimizer)
    benchmark.group = f"optimizer-epoch-{case.case_id}"
    benchmark.extra_info.update(case.extra_info("float64"), optimizer=optimizer,
                                steps_per_epoch=STEPS_PER_EPOCH[case.batch_size])

    cpu_s, wall_s = benchmark(epoch)

    assert np.isfinite(cpu_s) and wall_s > 0
