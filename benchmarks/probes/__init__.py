"""One-off measurement scripts (probes): each answers one question when run by hand and prints its
answer; none is a pytest-benchmark suite, none is part of ``make bench`` or ``nnstudy bench``.
Their findings are in docs/measurements.md, with host, date and load. Run them from a checkout
with one BLAS thread (``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``) on an otherwise idle machine:

- ``python -m benchmarks.probes.engine_epochs [--where]``: seconds per epoch of the vectorized and
  compiled engines beside JAX and scikit-learn, in turns, and the compiled engine's goals.
- ``python -m benchmarks.probes.kernel_ab --against REV``: another commit's compiled SGD epoch
  against the working tree's, in turns, in one process.
- ``python -m benchmarks.probes.product_shapes [--sweep]``: which backprop products the compiled
  engine should run as loops (its fan-in thresholds).
- ``python -m benchmarks.probes.compile_cost [--repeats 2] [--cached 3]``: what the compiled engine
  costs before its first step, with an empty numba cache and with a warm one.
- ``python -m benchmarks.probes.warmup_compile [--rounds 3] [--against REV]``: the default studies'
  first compilation of the compiled engine (``experiments.warmup``) on an empty numba cache, in
  seconds and CPU seconds, in turns with another revision's.
- ``python -m benchmarks.probes.optimizer_cost [--rounds 15]``: seconds per epoch of each optimizer
  as a ratio to plain SGD (``benchmarks/test_optimizers.py`` times the same epochs); ``--hook``: what
  the vectorized engine's whole-epoch hook saves over stepping batch by batch.
- ``python -m benchmarks.probes.study_engines [--rounds 5]``: the heavy studies' networks on
  vectorized and compiled, in turns, and whether both train to the same parameters.
- ``python -m benchmarks.probes.runner_perf efficiency|overhead``: the runner's parallel efficiency
  on 2 cores and its per-run overhead.
- ``python -m benchmarks.probes.first_report [--keep]``: a new user's first ``make report``, from
  ``git clone`` to index.html, split into clone, install, compile, sweep and build, then a second
  ``make report`` with nothing to run.
- ``python -m benchmarks.probes.store_scale [--runs 10000] [--sweep 3000]``: how the results store
  scales (``status``, ``load`` and compaction on 10^4 runs); ``--sweep N``: the load figures of a
  real sweep of N tiny runs.
- ``python -m benchmarks.probes.report_build --results DIR [--against REV] [--jobs 1]``: the
  report's build from one results folder, wall and CPU seconds, in turns with another revision's.
- ``python -m benchmarks.probes.report_page reports/out [--loads 3]``: a built report's folder size
  and its page's load time in headless Chromium (every chart rendered), console errors and network
  requests (none expected); also the browser tests' launcher.
"""
