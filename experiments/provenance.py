"""Where a result came from: code version (git), packages, BLAS, CPU and host, and for an engine
written elsewhere (a plugin) its distribution, version and a hash of its module's source.

``code_version`` describes the checkout that submitted the sweep (computed once, in the parent);
``machine`` describes the process that ran the run (computed once per worker process, so a run on
a remote Dask worker records that worker's host, CPU and BLAS).
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import platform
import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


UNKNOWN_COMMIT = "unknown"


@functools.lru_cache(maxsize=1)
def code_version() -> dict:
    """``{"git_commit", "git_dirty"}`` of this checkout; ``unknown`` and False outside git (or
    where git cannot be run, e.g. in another user's clone)."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": UNKNOWN_COMMIT, "git_dirty": False}
    # Only tracked files count: results/ and other untracked output do not make a tree dirty.
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "git_dirty": bool(status)}


def blas_description() -> str:
    """``openblas 0.3.27`` (every BLAS threadpoolctl finds, sorted, joined by ``; ``: the order
    in which a process loaded NumPy's and SciPy's is no difference between runs)."""
    from threadpoolctl import threadpool_info

    found = [f"{info.get('internal_api', '?')} {info.get('version') or '?'}"
             for info in threadpool_info() if info.get("user_api") == "blas"]
    return "; ".join(sorted(set(found))) or "unknown"


@functools.lru_cache(maxsize=1)
def threadpools():
    """This process's ``ThreadpoolController``, built once: scanning the loaded libraries takes
    about a millisecond, too much to repeat for every run."""
    import numpy  # noqa: F401  (load NumPy's BLAS before the scan)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads() -> int:
    """The largest thread count of any BLAS loaded in this process, as limited right now."""
    counts = [lib.num_threads for lib in threadpools().lib_controllers if lib.user_api == "blas"]
    return int(max(counts, default=0))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


@functools.lru_cache(maxsize=1)
def machine() -> dict:
    """Versions and hardware of this process, for the ``runs`` table."""
    import numpy

    import nncore

    return {
        "nnstudy_version": nncore.__version__,
        "python_version": platform.python_version(),
        "numpy_version": numpy.__version__,
        "blas": blas_description(),
        "cpu_model": cpu_model(),
        "host": socket.gethostname(),
    }


# Code whose change can change a result; a commit that touches none of it leaves results current.
RESULT_CODE = ("nncore", "experiments/run.py")


@functools.lru_cache(maxsize=256)
def results_code_changed(commit: str) -> bool:
    """Whether the code that computes results differs between ``commit`` and the checkout
    (committed or not). True when it cannot be told (no git, a commit this clone lacks)."""
    if commit in (None, "", UNKNOWN_COMMIT):
        return True
    done = _git("diff", "--quiet", commit, "--", *RESULT_CODE)
    # ``git diff --quiet`` prints nothing and exits 0 when equal, 1 when different, 128 on error.
    return done is None


# Columns of the ``runs`` table describing a plugin engine; null for nncore's own engines, whose
# code is under git with the rest (RESULT_CODE).
ENGINE_COLUMNS = ("engine_distribution", "engine_version", "engine_source_sha256")


def _distribution(module_name: str, engine: str) -> tuple[str | None, str | None]:
    """(name, version) of the installed distribution that provides the engine, where one does:
    the entry point's, else the one that installs the module's top-level package."""
    from nncore.engines import plugins

    point = plugins.entry_points().get(engine) if ":" not in engine else None
    dist = getattr(point, "dist", None)
    if dist is not None:
        return dist.metadata["Name"], dist.version
    names = importlib.metadata.packages_distributions().get(module_name.split(".")[0], [])
    for name in names:
        try:
            return name, importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None, None


@functools.lru_cache(maxsize=64)
def engine_source(engine: str) -> dict:
    """``ENGINE_COLUMNS`` of the engine a run names: all None for nncore's own engines and for a
    module that cannot be found. The source is found without importing the module (``status``
    reads a spec without running its plugins' code); a run has imported it, and hashes the same
    file."""
    from nncore.engines import ENGINES, plugins

    empty = dict.fromkeys(ENGINE_COLUMNS)
    module_name = plugins.module_name_of(engine) if engine not in ENGINES else None
    path = plugins.find_module(module_name) if module_name else None
    if path is None or module_name.split(".")[0] == "nncore":
        return empty
    try:
        sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        sha256 = None
    distribution, version = _distribution(module_name, engine)
    return {"engine_distribution": distribution, "engine_version": version,
            "engine_source_sha256": sha256}


def engine_source_changed(engine: str, stored_sha256: str | None) -> bool | None:
    """Whether the plugin engine's module source differs from the one a stored run recorded:
    False for runs without a recorded hash (nncore's engines), None when the engine cannot be
    loaded here to tell."""
    if not stored_sha256:
        return False
    current = engine_source(engine)["engine_source_sha256"]
    return None if current is None else current != stored_sha256
