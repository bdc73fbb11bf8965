"""Peer baselines: seconds per epoch of nncore ``vectorized``, PyTorch CPU and scikit-learn, one thread.

Run with ``make bench-peers`` (installs the ``peers`` extra). For each case and dtype the three
frameworks train epoch after epoch in turns, so the ratios come from one run under the same machine
load; at the end of the module they are printed and written to ``results/peers/peers.parquet`` for
the report. With ``--benchmark-disable`` (``make test``) each framework trains one short epoch and
nothing is written, so the file cannot rot.
"""
import numpy as np
import pytest

pytest.importorskip("torch", reason="the peers extra is not installed: `make bench-peers` installs "
                    "torch==2.13.0 (a CPU build) and runs these")
pytest.importorskip("sklearn", reason="scikit-learn is missing: `make install` installs it")

import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from benchmarks.cases import SINCOS_DEEP, NetCase  # noqa: E402
from benchmarks.peers import (EPOCH_BUILDERS, PEAK, format_summary, gemm_epoch,  # noqa: E402
                              interleaved_seconds, peer_table, write_table)
from benchmarks.records import PEER_FRAMEWORKS  # noqa: E402

PEER_CASES = (
    NetCase("sincos", SINCOS_DEEP, 10, ("vectorized",)),
    NetCase("sincos", (2, 100, 1), 10, ("vectorized",)),
    NetCase("sincos", (2, 10, 1), 10, ("vectorized",)),
    NetCase("softmax", (784, 1024, 1024, 10), 128, ("vectorized",)),
)
PEER_DTYPES = ("float64", "float32")
SINCOS_SAMPLES = 10_000   # as many as the sin-cos study's training grid: 1,000 steps an epoch at batch 10
SOFTMAX_SAMPLES = 128 * 20  # MNIST-shaped synthetic data; an epoch of 20 steps keeps the suite short
ROUNDS = 7

PARAMS = [pytest.param(case, dtype, id=f"{case.case_id}-{dtype}")
          for case in PEER_CASES for dtype in PEER_DTYPES]


@pytest.fixture(scope="module")
def measurements():
    """Collects each case's timings; after the module, prints and writes the peer table."""
    collected: list[dict] = []
    yield collected
    if not collected:
        return
    table = peer_table(collected)
    path = write_table(table)
    print("\n\nseconds per epoch (median of interleaved rounds), one thread; "
          "ratio = peer / nncore (above 1: nncore faster)\n")
    print(format_summary(table))
    print(f"\nwritten to {path}")


@pytest.mark.parametrize(("case", "dtype"), PARAMS)
def test_peer_epochs(request, measurements, case, dtype):
    quick = request.config.getoption("benchmark_disable")
    n_samples = 2 * case.batch_size if quick else (SINCOS_SAMPLES if case.task == "sincos" else SOFTMAX_SAMPLES)
    X, Y = case.dataset(n_samples)

    with threadpool_limits(1):
        torch.set_num_threads(1)
        epochs = {name: build(case, dtype, X, Y) for name, build in EPOCH_BUILDERS.items()}
        epochs[PEAK] = gemm_epoch(case, dtype, X, Y)
        seconds = interleaved_seconds(epochs, rounds=1 if quick else ROUNDS + 1)

    assert set(seconds) == {*PEER_FRAMEWORKS, PEAK}
    if quick:
        return
    for framework, times in seconds.items():
        times = np.array(times[1:])  # the first round warms caches and allocators up
        q1, median, q3 = np.percentile(times, [25, 50, 75])
        measurements.append({"case": case, "dtype": dtype, "framework": framework, "n_samples": n_samples,
                             "sec_per_epoch": float(median), "min_s": float(times.min()),
                             "iqr_s": float(q3 - q1), "rounds": len(times)})
