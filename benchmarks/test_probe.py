"""The machine's matmul throughput on exactly the GEMM shapes of each benchmarked training step.

Timed in the same run as ``test_engines.py`` and in the same group, so an engine's step time over
this one is its share of the machine's peak for that work.
"""
import numpy as np
import pytest

from benchmarks.cases import CASES, DTYPES
from benchmarks.gemm import gemm_operands, run_products

PROBE_PARAMS = [pytest.param(case, dtype, id=f"{case.case_id}-{dtype}")
                for case in CASES for dtype in DTYPES]


@pytest.mark.parametrize(("case", "dtype"), PROBE_PARAMS)
def test_matmul_probe(benchmark, case, dtype):
    operands = gemm_operands(case.layer_sizes, case.batch_size, dtype)
    benchmark.group = f"{case.case_id}-{dtype}"
    benchmark.extra_info.update(case.extra_info(dtype), engine="matmul-probe")

    benchmark(run_products, operands)

    # The outputs start as np.empty: each must now hold its product.
    tolerance = 1e-4 if dtype == "float32" else 1e-10
    for a, b, out in operands:
        np.testing.assert_allclose(out, a @ b, rtol=tolerance, atol=tolerance * np.abs(a @ b).max())
