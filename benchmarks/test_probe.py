"""The machine's matmul throughput on exactly the GEMM shapes of each benchmarked training step.

Timed in the same run as ``test_engines.py`` and in the same group, so an engine's step time over
this one is its share of the machine's peak for that work.
"""
import numpy as np
import pytest

from nncore.probe import training_gemm_shapes

from benchmarks.cases import CASES, DTYPES

PROBE_PARAMS = [pytest.param(case, dtype, id=f"{case.case_id}-{dtype}")
                for case in CASES for dtype in DTYPES]


def gemm_operands(shapes, dtype, seed=0):
    """(A (m, k), B (k, n), out (m, n)) per shape, allocated once so only the products are timed."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype),
             np.empty((m, n), dtype=dtype)) for m, k, n in shapes]


def run_products(operands):
    for a, b, out in operands:
        np.matmul(a, b, out=out)


@pytest.mark.parametrize(("case", "dtype"), PROBE_PARAMS)
def test_matmul_probe(benchmark, case, dtype):
    shapes = training_gemm_shapes(list(case.layer_sizes), case.batch_size)
    operands = gemm_operands(shapes, dtype)
    benchmark.group = f"{case.case_id}-{dtype}"
    benchmark.extra_info.update(case.extra_info(dtype), engine="matmul-probe")

    benchmark(run_products, operands)

    assert all(out.dtype == np.dtype(dtype) for _, _, out in operands)
