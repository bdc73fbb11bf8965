"""One training step per engine: ``engine.summed_gradients`` plus the SGD update, via ``nncore.train_step``
with plain SGD, exactly as ``nncore.train`` runs it, on batches already validated (train validates once per call)."""
import pytest

import nncore
import numpy as np

from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import make_optimizer

from benchmarks.cases import CASES, DTYPES

STEP_PARAMS = [pytest.param(case, engine, dtype, id=f"{case.case_id}-{engine}-{dtype}")
               for case in CASES for engine in case.engines for dtype in DTYPES]


@pytest.mark.parametrize(("case", "engine_name", "dtype"), STEP_PARAMS)
def test_training_step(benchmark, case, engine_name, dtype):
    net = case.make_net(dtype)
    X, Y = case.batch(net)
    engine = get_engine(engine_name)
    grads = zero_gradients(net)
    benchmark.group = f"{case.case_id}-{dtype}"
    benchmark.extra_info.update(case.extra_info(dtype), engine=engine_name)

    sgd = make_optimizer("sgd", net.flat_params(), case.lr)
    benchmark(nncore.train_step, net, engine, X, Y, grads, sgd, "mean")

    # At least one step ran (once under --benchmark-disable): the parameters moved, and stayed finite.
    before = case.make_net(dtype).flat_params()
    assert not np.array_equal(net.flat_params(), before) and np.isfinite(net.flat_params()).all()
