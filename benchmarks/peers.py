"""The same network, batch size, plain SGD and steps in nncore, PyTorch and scikit-learn.

Each ``*_epoch`` function builds a network for a ``NetCase`` and returns a callable that runs one
epoch of training steps over fixed data, without shuffling and without per-epoch evaluation, the way
a user of that library writes the loop:

- nncore: ``nncore.train_step`` with plain SGD over consecutive batches (the public step);
- nncore-compiled: the compiled engine's ``train_epoch``, the whole epoch in one call (what
  ``nncore.train(..., engine="compiled")`` runs);
- JAX: the ``jax`` engine's jit-compiled epoch (``lax.scan`` over the batches) on device arrays
  (``nnstudy_engines.jax_engine``, the ``jax`` extra);
- PyTorch: the ``torch`` engine's ``train_epoch`` (autograd on nncore's parameter layout, in-place
  SGD steps under ``no_grad``; what ``nncore.train(..., engine="torch")`` runs);
- scikit-learn: ``MLPRegressor`` / ``MLPClassifier.partial_fit`` (one epoch per call) with solver
  sgd, momentum 0, alpha 0 and a constant rate. sklearn validates its input on every call and
  computes the loss of every batch; both are part of its cost per epoch.

``peer_table`` turns the measured seconds per epoch into the ``results/peers/peers.parquet`` table.
``interleaved_seconds`` times such epochs in turns.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import make_optimizer
from nncore.probe import training_flops

from experiments.provenance import code_version
from experiments.store import write_table_atomic

from benchmarks.cases import NetCase
from benchmarks.gemm import gemm_operands, run_products
from benchmarks.machine import fingerprint
from benchmarks.records import PEER_FRAMEWORKS, PEERS_FILE

PEERS_TABLE = Path("results") / PEERS_FILE


def _net_and_data(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    """A fresh network of ``case`` and the data checked and cast by it: (net, X, Y)."""
    net = case.make_net(dtype)
    return (net, *net.check_data(X, Y))


def nncore_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    net, X, Y = _net_and_data(case, dtype, X, Y)
    engine, grads = get_engine("vectorized"), zero_gradients(net)
    sgd, n, batch_size = make_optimizer("sgd", net.flat_params(), case.lr), X.shape[0], case.batch_size

    def epoch():
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n, batch_size):
                nncore.train_step(net, engine, X[start:start + batch_size], Y[start:start + batch_size],
                                  grads, sgd, "mean")
    return epoch


def hooked_epoch(engine, case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray, optimizer: str = "sgd"):
    """One epoch over consecutive batches through ``engine``'s ``train_epoch`` hook, with
    ``nncore.optimizers``' ``optimizer`` at its defaults (batch-mean gradient)."""
    net, X, Y = _net_and_data(case, dtype, X, Y)
    grads, rule = zero_gradients(net), make_optimizer(optimizer, net.flat_params(), case.lr)
    return lambda: engine.train_epoch(net, X, Y, case.batch_size, rule, "mean", grads, None)


def compiled_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    return hooked_epoch(get_engine("compiled"), case, dtype, X, Y)


def torch_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    """The ``torch`` engine's whole-epoch path (nnstudy_engines.torch_engine): autograd and
    in-place SGD steps on the network's own parameter memory, the epoch's data as tensors."""
    from nnstudy_engines.torch_engine import TorchEngine

    return hooked_epoch(TorchEngine(device="cpu", threads=1), case, dtype, X, Y)


# XLA's CPU runtime sizes its thread pool by the CPUs the process may run on, and jax 0.10 ignores
# ``--xla_cpu_multi_thread_eigen=false`` for it (measured: two threads computing either way on the
# 784-1024-1024-10 net). Holding the process to one CPU before jax is imported gives it a pool of
# one, like the one BLAS thread of every other framework here; ``busy_threads`` checks it.
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"


def pin_xla_to_one_thread() -> str:
    """Hold this process to one CPU (its lowest allowed) and add ``XLA_ONE_THREAD`` to
    ``XLA_FLAGS``, unless jax is already imported; returns what was done, for the output."""
    import os
    import sys

    if "jax" in sys.modules:
        return "jax imported before the pin: its threads as they were"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_ONE_THREAD}".strip()
    if not hasattr(os, "sched_setaffinity"):
        return f"XLA_FLAGS={os.environ['XLA_FLAGS']!r} (no CPU affinity on this system)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"the process held to CPU {cpu} (os.sched_setaffinity), XLA_FLAGS={os.environ['XLA_FLAGS']!r}"


def _thread_ticks() -> dict[str, int]:
    """CPU clock ticks (user + system) of each thread of this process, from /proc/self/task."""
    ticks = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        ticks[task.name] = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return ticks


def busy_threads(epoch, seconds: float = 0.5) -> int:
    """How many threads of this process computed while ``epoch`` ran (repeated for at least
    ``seconds``): those with at least a quarter of the busiest one's CPU time, which a loaded
    machine slows alike. 1 when it kept to one thread; 0 when /proc/self/task is not there."""
    if not Path("/proc/self/task").is_dir():
        return 0
    before, started = _thread_ticks(), time.perf_counter()
    while time.perf_counter() - started < seconds:
        epoch()
    used = [ticks - before.get(name, 0) for name, ticks in _thread_ticks().items()]
    busiest = max(used, default=0)
    return sum(1 for ticks in used if busiest and ticks >= busiest / 4)


def jax_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    from nnstudy_engines.jax_engine import JaxEngine

    net, X, Y = _net_and_data(case, dtype, X, Y)
    return JaxEngine().epoch_function(net, X, Y, case.batch_size, case.lr, "mean")[0]


def compiled_adam_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    """The compiled engine's Adam epoch through its ``train_epoch`` hook."""
    return hooked_epoch(get_engine("compiled"), case, dtype, X, Y, "adam")


def jax_adam_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    """An Adam epoch as a JAX user writes it: ``jax.grad`` of the jax engine's summed loss and
    torch.optim's Adam (betas 0.9, 0.999, eps 1e-8, bias-corrected) in one jit-compiled
    ``lax.scan`` over the full batches (batch-mean gradient; a smaller last batch left out)."""
    import jax
    import jax.numpy as jnp
    from nnstudy_engines import jax_engine

    net, X, Y = _net_and_data(case, dtype, X, Y)
    value_and_grad = jax_engine._functions(net.activation.name, net.output.name, net.loss.name)[0]
    full, batch, lr = X.shape[0] // case.batch_size, case.batch_size, case.lr
    X_batches = jnp.asarray(X[:full * batch].reshape(full, batch, X.shape[1]))
    Y_batches = jnp.asarray(Y[:full * batch].reshape(full, batch, Y.shape[1]))
    tree = jax.tree_util.tree_map

    def step(carry, rows):
        params, m, v, t = carry
        g = tree(lambda grad: grad / batch, value_and_grad(params, *rows)[1])
        t = t + 1
        m = tree(lambda m, g: 0.9 * m + 0.1 * g, m, g)
        v = tree(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
        size = lr * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)  # float64 from the int64 t: cast below
        eps = 1e-8 * jnp.sqrt(1 - 0.999 ** t)
        params = tree(lambda p, m, v: p - size.astype(p.dtype) * m / (jnp.sqrt(v) + eps.astype(p.dtype)),
                      params, m, v)
        return (params, m, v, t), None

    epoch = jax.jit(lambda carry: jax.lax.scan(step, carry, (X_batches, Y_batches))[0])
    pairs = jax_engine._as_pairs(net)
    zeros = tree(jnp.zeros_like, pairs)
    state = {"carry": (pairs, zeros, zeros, jnp.asarray(0, dtype=jnp.int64))}

    def run_epoch():
        state["carry"] = jax.block_until_ready(epoch(state["carry"]))
    return run_epoch


def sklearn_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    options = dict(hidden_layer_sizes=case.hidden, activation="relu", solver="sgd", alpha=0.0,
                   batch_size=case.batch_size, learning_rate="constant", learning_rate_init=case.lr,
                   momentum=0.0, nesterovs_momentum=False, shuffle=False, early_stopping=False,
                   random_state=0)
    X = np.ascontiguousarray(X, dtype=dtype)
    if case.task == "sincos":
        model, Y = MLPRegressor(**options), np.asarray(Y, dtype=dtype).ravel()
        model.partial_fit(X[:case.batch_size], Y[:case.batch_size])  # initialises the layers
        return lambda: model.partial_fit(X, Y)
    classes = np.arange(case.layer_sizes[-1])
    model = MLPClassifier(**options)
    model.partial_fit(X[:case.batch_size], Y[:case.batch_size], classes=classes)
    return lambda: model.partial_fit(X, Y)


def gemm_epoch(case: NetCase, dtype: str, X: np.ndarray, Y: np.ndarray):
    """Only the matrix products of the epoch's steps (NumPy matmul into preallocated outputs): the
    machine's peak for the epoch's work, timed in the same turns as the frameworks."""
    steps = -(-X.shape[0] // case.batch_size)
    operands = gemm_operands(case.layer_sizes, case.batch_size, dtype)

    def epoch():
        for _ in range(steps):
            run_products(operands)
    return epoch


EPOCH_BUILDERS = {"nncore": nncore_epoch, "nncore-compiled": compiled_epoch, "torch": torch_epoch,
                  "jax": jax_epoch, "sklearn": sklearn_epoch}
ADAM_EPOCH_BUILDERS = {"nncore-compiled-adam": compiled_adam_epoch, "jax-adam": jax_adam_epoch}
PEAK = "matmul-peak"


def interleaved_seconds(epochs: dict, rounds: int) -> dict[str, list[float]]:
    """Wall seconds of each epoch function over ``rounds`` rounds, frameworks taking turns (in a
    rotating order), so that a slow spell of a shared machine hits every framework alike."""
    seconds = {name: [] for name in epochs}
    names = list(epochs)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            epochs[name]()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def library_versions() -> dict[str, str]:
    """Versions of the frameworks installed (torch with the ``peers`` extra, jax with ``jax``)."""
    import numba
    import sklearn
    versions = {"nncore": nncore.__version__, "sklearn": sklearn.__version__,
                "nncore-compiled": f"{nncore.__version__} (numba {numba.__version__})"}
    for name in ("torch", "jax"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            pass
    return versions


def peer_table(measurements: list[dict]) -> pd.DataFrame:
    """One row per case, dtype and framework.

    ``measurements`` hold ``case`` (a NetCase), ``dtype``, ``framework`` (``PEAK`` for the bare
    matrix products), ``n_samples``, ``sec_per_epoch`` (median), ``min_s``, ``iqr_s`` and ``rounds``.
    ``ratio_to_nncore`` is the framework's seconds per epoch over nncore's (above 1: nncore is that
    many times faster); ``peak_share`` is the bare products' seconds over the framework's.
    """
    machine, versions, commit = fingerprint(), library_versions(), code_version()["git_commit"]
    measured_at = pd.Timestamp(dt.datetime.now(dt.timezone.utc))
    peak_seconds = {(m["case"].case_id, m["dtype"]): m["sec_per_epoch"]
                    for m in measurements if m["framework"] == PEAK}
    nncore_seconds = {(m["case"].case_id, m["dtype"]): m["sec_per_epoch"]
                      for m in measurements if m["framework"] == "nncore"}
    rows = []
    for m in measurements:
        if m["framework"] == PEAK:
            continue
        case, key = m["case"], (m["case"].case_id, m["dtype"])
        steps = -(-m["n_samples"] // case.batch_size)
        flops = training_flops(list(case.layer_sizes), m["n_samples"])
        peak = peak_seconds.get(key, float("nan"))
        rows.append({
            "case": case.case_id, "task": case.task,
            "layer_sizes": "-".join(map(str, case.layer_sizes)),
            "batch_size": case.batch_size, "dtype": m["dtype"], "framework": m["framework"],
            "version": versions[m["framework"]], "n_samples": m["n_samples"], "steps_per_epoch": steps,
            "sec_per_epoch": m["sec_per_epoch"], "min_s": m["min_s"], "iqr_s": m["iqr_s"],
            "rounds": m["rounds"], "sec_per_step": m["sec_per_epoch"] / steps,
            "ratio_to_nncore": m["sec_per_epoch"] / nncore_seconds.get(key, float("nan")),
            "gflops": flops / m["sec_per_epoch"] / 1e9, "peak_gflops": flops / peak / 1e9,
            "peak_share": peak / m["sec_per_epoch"],
            "threads": 1, "blas": machine["blas"], "blas_kernel": machine["blas_kernel"],
            "cpu_model": machine["cpu"], "git_commit": commit, "measured_at": measured_at,
        })
    return pd.DataFrame(rows)


def write_table(table: pd.DataFrame, path: Path = PEERS_TABLE) -> Path:
    """Write atomically, the way the runner writes its shards."""
    return write_table_atomic(pa.Table.from_pandas(table, preserve_index=False), path)


def format_summary(table: pd.DataFrame) -> str:
    """Seconds per epoch per framework, every other framework's ratio to nncore and to
    nncore-compiled (above 1: that nncore engine is that many times faster) and nncore's share of
    the bare matrix products' speed; one line per case and dtype."""
    seconds = table.pivot_table(index=["case", "dtype"], columns="framework", values="sec_per_epoch")
    shares = table.pivot_table(index=["case", "dtype"], columns="framework", values="peak_share")
    present = [name for name in PEER_FRAMEWORKS if name in seconds.columns]
    ratios = [(peer, reference) for reference in ("nncore", "nncore-compiled") if reference in present
              for peer in present if peer != reference]
    short = {"nncore": "nn", "nncore-compiled": "comp"}
    header = (f"{'case':<32} {'dtype':<8} " + " ".join(f"{short.get(n, n) + ' s':>9}" for n in present)
              + " " + " ".join(f"{short.get(p, p) + '/' + short[r]:>12}" for p, r in ratios)
              + " " + " ".join(f"{short.get(n, n) + ' %peak':>11}" for n in present))
    lines = [header]
    for (case, dtype), row in seconds.iterrows():
        share = shares.loc[(case, dtype)]
        lines.append(f"{case:<32} {dtype:<8} " + " ".join(f"{row[n]:>9.4f}" for n in present)
                     + " " + " ".join(f"{row[p] / row[r]:>12.2f}" for p, r in ratios)
                     + " " + " ".join(f"{share[n]:>11.1%}" for n in present))
    return "\n".join(lines)
