"""The compiled engine's plain-SGD epoch at another commit against the working tree's, in turns, in one process.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 1 python -m benchmarks.probes.kernel_ab --against REV

``benchmarks.compare`` runs each side in its own process; here both kernels live in one: the
``compiled_kernels`` and ``compiled_products`` of REV are written to a temporary package and
imported beside the working tree's, and their ``sgd_epoch`` on ``benchmarks.probes.engine_epochs``' cases
takes turns with the working tree's and with the 1024^3 matmul of the peak share, so that a slow
spell, or a process started in the slower of this machine's two states (~1.5x apart), hits both
sides alike. Printed per case and dtype: the median seconds of each side, the median of the
per-round ratios new / old with their quartiles (below 1: the working tree is faster), each
side's share of the matmul peak, and the largest difference of the parameters after the warm-up
epoch relative to their largest magnitude (0 when both sides round alike).
"""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.probes.engine_epochs import (BIG_B128, DEEP_B10, PEAK_SHAPE, SINCOS_SAMPLES, SOFTMAX_SAMPLES,
                                      WIDE_B10, WIDE_B100, large_matmul)
from benchmarks.peers import interleaved_seconds
from benchmarks.cases import NetCase
from nncore.engines import compiled_kernels
from nncore.engines.compiled import _Workspace
from nncore.probe import training_flops
from benchmarks.machine import host_line

CASES = (WIDE_B10, DEEP_B10, WIDE_B100, BIG_B128)
KERNEL_FILES = ("compiled_kernels.py", "compiled_products.py", "compiled_optimizers.py")


def kernels_at(revision: str, folder: Path):
    """REV's ``compiled_kernels`` module, imported from a package written into ``folder``."""
    package = folder / "kernels_at_revision"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in KERNEL_FILES:
        shown = subprocess.run(["git", "show", f"{revision}:nncore/engines/{name}"], capture_output=True,
                               text=True)
        if shown.returncode == 0:  # a revision older than a kernel module lacks it
            (package / name).write_text(shown.stdout)
    sys.path.insert(0, str(folder))
    return importlib.import_module("kernels_at_revision.compiled_kernels")


def sgd_epoch(kernels, case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    """One plain-SGD epoch of the revision's ``sgd_epoch`` kernel on a fresh network of ``case`` (batch-mean
    gradient), what ``CompiledEngine.train_epoch`` calls for plain SGD; returns the epoch and the network."""
    net = case.make_net(dtype)
    X, Y = net.check_data(X, Y)
    work, grads = _Workspace(net, case.batch_size), np.zeros_like(net.flat_params())
    codes = (kernels.ACTIVATION_CODES[net.activation.name], kernels.ACTIVATION_CODES[net.output.name],
             kernels.LOSS_CODES[net.loss.name])

    head = (net.flat_params(), grads, work.layout, X, Y)
    # sgd_epoch moved to compiled_optimizers when the epoch's order went in
    epoch_kernel = getattr(kernels, "sgd_epoch", None) or importlib.import_module(
        f"{kernels.__package__}.compiled_optimizers").sgd_epoch
    if "order" in epoch_kernel.py_func.__code__.co_varnames:
        args = (*head, np.empty(0, dtype=np.int64), case.batch_size, case.lr, True, work.outputs,
                work.logits, work.deltas, work.x_rows, work.y_rows, *codes)
    else:
        args = (*head, case.batch_size, case.lr, True, work.outputs, work.logits, work.deltas, *codes)

    def epoch():
        epoch_kernel(*args)
    return epoch, net


def compare_case(old, case: NetCase, dtype: str, rounds: int) -> str:
    """One line: both sides' seconds per epoch, the ratio new / old, the peak shares."""
    n_samples = SINCOS_SAMPLES if case.task == "sincos" else SOFTMAX_SAMPLES
    X, Y = case.dataset(n_samples)
    with threadpool_limits(1):
        (old_epoch, old_net), (new_epoch, new_net) = (sgd_epoch(kernels, case, dtype, X, Y)
                                                      for kernels in (old, compiled_kernels))
        old_epoch(), new_epoch()  # the warm-up, compiling both
        old_params, new_params = (net.flat_params().astype(np.float64) for net in (old_net, new_net))
        difference = np.abs(new_params - old_params).max() / np.abs(old_params).max()
        seconds = interleaved_seconds({"old": old_epoch, "new": new_epoch,
                                       "matmul": large_matmul(dtype)}, rounds + 1)
    seconds = {name: np.array(times[1:]) for name, times in seconds.items()}  # the matmul's warm-up
    q1, ratio, q3 = np.percentile(seconds["new"] / seconds["old"], [25, 50, 75])
    peak = 2.0 * np.prod(PEAK_SHAPE) / seconds["matmul"]
    flops = training_flops(list(case.layer_sizes), n_samples)
    share = {side: float(np.median(flops / seconds[side] / peak)) for side in ("old", "new")}
    return (f"{case.case_id:<32} {dtype:<8} {np.median(seconds['old']):>9.5f} {np.median(seconds['new']):>9.5f} "
            f"{ratio:>6.3f} [{q1:.3f}-{q3:.3f}] {share['old']:>7.1%} {share['new']:>7.1%} {difference:>9.1e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.kernel_ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="the git revision to compare with (e.g. main)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per case (default 15)")
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    with tempfile.TemporaryDirectory() as folder:
        old = kernels_at(args.against, Path(folder))
        print(f"{'case':<32} {'dtype':<8} {'old s':>9} {'new s':>9} {'new/old [quartiles]':<21} "
              f"{'old %pk':>7} {'new %pk':>7} {'params Δ':>9}")
        for case in CASES:
            for dtype in args.dtypes:
                print(compare_case(old, case, dtype, args.rounds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
