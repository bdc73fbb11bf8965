"""nnstudy as users install it: the wheel and the sdist built from this tree (``python -m build``),
the wheel installed, not editable, into a fresh virtual environment holding only what it declares
(tests/wheel_env.py), and there the commands a new user types: ``nnstudy list``, a quick sweep of a
shipped study, a sweep of their own spec with ``[search]``, and ``nnstudy report``, which must write
its figures. Run from a folder outside the checkout, so nothing of the tree can be imported."""
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from wheel_env import (OWN_PACKAGES, clean_environment, closure, declared, distribution_of_module,
                       make_environment, third_party_imports, wheel_requirements)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = (".git", ".venv", "results", "out", "__pycache__", "*.egg-info", "build", "dist", ".benchmarks",
              ".pytest_cache", ".hypothesis", "dask-worker-space")
USER_SPEC = """
    name = "mysearch"
    description = "A user's own searched study: each depth at its own best lr"
    seeds = 2
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    width = 6
    epochs = 3
    batch_size = 10
    [grid]
    depth = [1, 2]
    [search]
    trials = 2
    objective = "val_loss"
    [search.nuisance]
    lr = { log = [1e-3, 3e-2] }
    """


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("build", reason="the dev extra installs `build` (make test does)")
    out, source = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("source") / "nnstudy"
    # Built from a copy: the sdist step writes nnstudy.egg-info into the tree it builds, which would
    # then be a second nnstudy distribution for every process with the checkout on its path.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], check=True,
                   capture_output=True, text=True)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


@pytest.fixture(scope="module")
def user(dist, tmp_path_factory):
    """Run a command as a user of the fresh venv would, in a folder of their own."""
    folder = tmp_path_factory.mktemp("user")
    environment = clean_environment(make_environment(dist["wheel"], folder / "venv"))
    home = folder / "work"
    home.mkdir()

    def run(*command: str, status: int = 0) -> subprocess.CompletedProcess:
        done = subprocess.run(list(command), cwd=home, env=environment, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == status, f"{' '.join(command)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done
    run.home = home
    return run


def sdist_files(names: list[str]) -> set[str]:
    """The sdist's file names without its top folder (``nnstudy-0.1.0/``)."""
    return {name.partition("/")[2] for name in names}


def test_the_wheel_and_the_sdist_ship_every_package_and_every_study(dist):
    expected = {str(path.relative_to(ROOT)) for package in OWN_PACKAGES for path in (ROOT / package).rglob("*.py")
                if "__pycache__" not in path.parts}
    expected |= {str(path.relative_to(ROOT)) for path in (ROOT / "experiments" / "studies").glob("*.toml")}
    with zipfile.ZipFile(dist["wheel"]) as archive:
        in_wheel = set(archive.namelist())
    with tarfile.open(dist["sdist"]) as archive:
        in_sdist = sdist_files(archive.getnames())
    assert expected - in_wheel == set()
    assert expected - in_sdist == set()


def test_every_third_party_import_is_a_declared_requirement(dist):
    """A module the package imports comes from a distribution the wheel requires, directly or
    through one of its requirements; a dev tool or an optional engine's library only from an extra."""
    requirements = wheel_requirements(dist["wheel"])
    core = closure(declared(requirements))
    extras = {extra for r in requirements if r.marker for extra in [str(r.marker).split('"')[1]]}
    optional = set().union(*(closure(declared(requirements, extra)) for extra in extras))
    owners = distribution_of_module()
    undeclared = {module: sorted(files)[:3] for module, files in third_party_imports(dist["wheel"]).items()
                  if not owners.get(module, set()) & (core | optional)}
    assert undeclared == {}
    assert {"numba", "numpy", "pandas", "matplotlib"} <= core
    assert not {"torch", "jax", "dask", "pytest", "pytest-benchmark"} & declared(requirements)


def test_an_installed_nnstudy_lists_sweeps_and_reports(user):
    listed = user("nnstudy", "list").stdout
    assert "width" in listed and "runs" in listed

    user("nnstudy", "sweep", "width", "--quick", "--results", "results")
    spec = user.home / "mysearch.toml"
    spec.write_text(textwrap.dedent(USER_SPEC))
    swept = user("nnstudy", "sweep", str(spec), "--results", "results")
    assert "mysearch" in swept.stdout + swept.stderr
    assert (user.home / "results" / "mysearch").is_dir()

    user("nnstudy", "report", "--quick", "--results", "results", "--out", "quick-report")
    user("nnstudy", "report", str(spec), "--results", "results", "--out", "own-report")
    for out in ("quick-report", "own-report"):
        assert (user.home / out / "index.html").exists()
        figures = list((user.home / out).rglob("*.png"))
        assert figures and all(figure.stat().st_size > 1000 for figure in figures)


def test_the_installed_package_is_the_wheel_not_the_checkout(user):
    where = user("python", "-c", "import nncore, experiments.studies as s; print(nncore.__file__); "
                 "print(list(s.__path__)[0])").stdout.split()
    assert all("site-packages" in path and str(ROOT) not in path for path in where)


def test_a_study_on_an_engine_of_an_extra_is_listed_and_its_sweep_says_what_to_install(user):
    assert "engines_peers" in user("nnstudy", "list").stdout  # its spec names the torch and jax engines
    user("nnstudy", "status", "--results", "results")
    refused = user("nnstudy", "sweep", "engines_peers", "--quick", "--results", "results", status=2)
    assert "pip install 'nnstudy[" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
