# nnstudy: every target sets up its own virtual environment from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Two stamps: the core (what `make report` and `make sweep` need: nnstudy and its dependencies) and
# the whole (`make test`, `make bench`: the dev tools and every extra on top of the core).
CORE_STAMP := $(VENV)/.installed-core
STAMP  := $(VENV)/.installed
RESULTS ?= results
OUT    ?= reports/out
STUDY  ?=
JOBS   ?=
THRESHOLD ?= 10
BASE ?=
HEAD ?=
K ?=
# Benchmarks and timing runs use one BLAS thread so that numbers compare across runs.
ONE_THREAD := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: install test test-fast sweep report bench bench-compare bench-peers clean

install: $(STAMP)

# Reinstall whenever pyproject.toml changes; the stamps make repeated calls free.
# The core is installed by uv (INSTALLER=uv, the default) into a venv made without pip: this
# Python's own pip puts uv there (`pip --python`, pip 22.3 and later), then uv installs the core
# (python -m benchmarks.probes.first_report: 9 s for what pip took 23 s; the venv without pip
# 0.1 s, with it 3.6 s). Where that fails (an older pip; a package index that only pip's own
# configuration names) or with INSTALLER=pip, the venv gets pip (ensurepip) and pip installs the
# core. Neither byte-compiles it: Python compiles what a process imports, once, and keeps it.
# The whole install is pip's (it honours pip's configuration, such as a torch wheel on disk) and
# compiles everything, on every core, for the test suite's many processes (some environments set
# PYTHONDONTWRITEBYTECODE, which would make each of them compile its imports again); like pip, it
# skips the few files this Python cannot compile (torch ships one in 3.12 syntax).
INSTALLER ?= uv
VENV_PIP := $(PY) -m pip --version > /dev/null 2>&1 || $(PY) -m ensurepip --default-pip > /dev/null
UV_INSTALL := $(PYTHON) -m pip --python $(PY) install --quiet --no-compile uv && $(PY) -m uv pip install --quiet --python $(PY) -e .
PIP_INSTALL := ($(VENV_PIP)) && $(PY) -m pip install --quiet --no-compile -e .

$(CORE_STAMP): pyproject.toml
	$(PYTHON) -m venv --without-pip $(VENV)
	$(if $(filter uv,$(INSTALLER)),$(UV_INSTALL) || (echo "uv could not install the core; pip will" && $(PIP_INSTALL)),$(PIP_INSTALL))
	touch $(CORE_STAMP)

$(STAMP): $(CORE_STAMP)
	$(VENV_PIP)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dask,compiled,torch,jax]'
	$(PY) -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $(STAMP)

# Everything, slow tests included (what CI runs).
test: $(STAMP)
	$(ONE_THREAD) $(PY) -m pytest -q tests benchmarks --benchmark-disable

# The same without the tests marked slow (whole-report builds, killed and multi-backend sweeps).
test-fast: $(STAMP)
	$(ONE_THREAD) $(PY) -m pytest -q tests benchmarks --benchmark-disable -m "not slow"

sweep: $(CORE_STAMP)
	$(PY) -m experiments sweep $(STUDY) --results $(RESULTS) $(if $(JOBS),--jobs $(JOBS))

report: $(CORE_STAMP)
	$(PY) -m experiments sweep --missing-only --results $(RESULTS)
	$(PY) -m reports build --results $(RESULTS) --out $(OUT)

# Saves the run under .benchmarks/ (pytest-benchmark's storage) and appends it to the history.
bench: $(STAMP)
	mkdir -p .benchmarks
	$(ONE_THREAD) $(PY) -m pytest benchmarks tests/test_reports_build_time.py -q --benchmark-only --ignore=benchmarks/test_peers.py --benchmark-min-rounds=10 --benchmark-autosave --benchmark-save-data --benchmark-json=.benchmarks/last-bench.json
	$(PY) -m benchmarks.history record .benchmarks/last-bench.json

# BASE against HEAD (default: the working tree), side by side: make bench-compare BASE=main K='vectorized'
bench-compare: $(STAMP)
	@test -n "$(BASE)" || { echo "bench-compare: give BASE=<commit>, e.g. make bench-compare BASE=main"; exit 2; }
	$(PY) -m nnstudy bench compare $(BASE) $(HEAD) --threshold $(THRESHOLD) $(if $(K),-k '$(K)')

bench-peers: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,peers,jax]'
	$(ONE_THREAD) $(PY) -m pytest benchmarks/test_peers.py -q -s

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
