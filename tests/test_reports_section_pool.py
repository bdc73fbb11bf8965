"""Study sections drawn in worker processes make the report a build in one process makes: the same
figure files to the byte, the same page, messages and figure stamps; and a figure does not depend
on the state NumPy's global generator was left in (seaborn jitters strip plots with it)."""
import os
import re
import subprocess
import sys
import types
import warnings
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest
from synthetic_results import make_results

from reports import section_pool
from reports.build import build
from reports.figure_cache import STAMPS

STUDIES = ["width", "classics", "gradcheck"]  # the last two jitter their dots


def figure_bytes(out):
    return {path.name: path.read_bytes() for path in (out / "figures").glob("*.png")}


def page(out) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", (out / "index.html").read_text())


@pytest.fixture
def forking(monkeypatch):
    """As a report's own process: none of the libraries that rule out forking loaded. Other tests
    of this session may have imported JAX, which then warns at every fork; the workers forked
    here draw figures and never call it."""
    for name in section_pool.FORK_UNSAFE:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert section_pool.can_fork()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        yield


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "loky"])
def test_sections_drawn_in_two_workers_are_those_drawn_in_one_process(tmp_path, request, monkeypatch, forked):
    if forked:
        request.getfixturevalue("forking")
    else:
        monkeypatch.setattr(section_pool, "can_fork", lambda: False)
    results = make_results(tmp_path / "results", STUDIES)
    one = build(results, tmp_path / "one", STUDIES, peers=False, jobs=1)
    two = build(results, tmp_path / "two", STUDIES, peers=False, jobs=2)
    assert figure_bytes(tmp_path / "one") and figure_bytes(tmp_path / "two") == figure_bytes(tmp_path / "one")
    assert page(tmp_path / "two") == page(tmp_path / "one")
    assert two.messages.lines == one.messages.lines
    assert [s.study for s in two.sections] == [s.study for s in one.sections] == STUDIES
    assert (tmp_path / "two" / STAMPS).read_bytes() == (tmp_path / "one" / STAMPS).read_bytes()



def test_a_rebuild_with_nothing_to_draw_starts_no_worker(tmp_path, monkeypatch):
    results = make_results(tmp_path / "results", STUDIES)
    first = build(results, tmp_path / "out", STUDIES, peers=False, jobs=2)
    drawn = figure_bytes(tmp_path / "out")

    def no_workers(*args, **kwargs):
        raise AssertionError("a worker was started with every figure in the cache")
    monkeypatch.setattr(section_pool, "_run", no_workers)
    again = build(results, tmp_path / "out", STUDIES, peers=False, jobs=2)
    assert figure_bytes(tmp_path / "out") == drawn
    assert again.messages.lines == first.messages.lines


def test_sections_are_drawn_in_worker_processes_not_in_this_one(tmp_path, monkeypatch, forking):
    results = make_results(tmp_path / "results", STUDIES)
    drawing = section_pool._in_worker

    def in_worker(build_one, study, *args):
        (tmp_path / f"{study.name}.pid").write_text(str(os.getpid()))
        return drawing(build_one, study, *args)
    monkeypatch.setattr(section_pool, "_in_worker", in_worker)
    build(results, tmp_path / "out", STUDIES, peers=False, jobs=2)
    workers = {int((tmp_path / f"{name}.pid").read_text()) for name in STUDIES}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2


def test_a_worker_that_dies_stops_the_build_instead_of_hanging_it(tmp_path, monkeypatch, forking):
    results = make_results(tmp_path / "results", STUDIES)
    monkeypatch.setattr(section_pool, "_in_worker", lambda build_one, study, *args: os._exit(3))
    with pytest.raises(BrokenProcessPool):
        build(results, tmp_path / "out", STUDIES, peers=False, jobs=2)
    assert not (tmp_path / "out").exists()  # nothing half-written is left as the report


def test_the_command_says_a_worker_died_in_one_line(tmp_path, monkeypatch, capsys, forking):
    from reports.__main__ import main

    results = make_results(tmp_path / "results", STUDIES)
    monkeypatch.setattr(section_pool, "_in_worker", lambda build_one, study, *args: os._exit(3))
    status = main(["build", *STUDIES, "--results", str(results), "--out", str(tmp_path / "out"), "--jobs", "2"])
    error = capsys.readouterr().err
    assert status == 1 and "a worker process drawing the study sections died" in error and "--jobs 1" in error
    assert "Traceback" not in error and not (tmp_path / "out").exists()


@pytest.mark.parametrize("unsafe", section_pool.FORK_UNSAFE)
def test_with_a_library_that_forbids_forking_loaded_the_workers_are_lokys(unsafe, monkeypatch, forking):
    monkeypatch.setitem(sys.modules, unsafe, types.ModuleType(unsafe))
    assert not section_pool.can_fork()
    used = []
    monkeypatch.setattr("joblib.Parallel", lambda **options: used.append(options) or (lambda calls: [
        section_pool._in_worker(*call[1]) for call in calls]))
    monkeypatch.setattr(section_pool, "_in_worker", lambda *task: task[1])
    assert section_pool._run([(None, "width"), (None, "depth")], 2) == ["width", "depth"]
    assert used == [{"n_jobs": 2, "backend": "loky"}]


def test_a_figure_does_not_depend_on_the_global_generator(tmp_path):
    results = make_results(tmp_path / "results", ["classics"])
    drawn = []
    for seed in (1, 2):
        np.random.seed(seed)
        build(results, tmp_path / f"out{seed}", ["classics"], peers=False)
        drawn.append(figure_bytes(tmp_path / f"out{seed}"))
        assert np.random.get_state()[1][0] == np.random.RandomState(seed).get_state()[1][0]  # restored
    assert drawn[0] and drawn[0] == drawn[1]


def test_report_jobs_must_be_a_whole_number_of_at_least_one(tmp_path):
    done = subprocess.run([sys.executable, "-m", "reports", "build", "--results", str(tmp_path),
                           "--jobs", "0"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "--jobs" in done.stderr and "'0'" in done.stderr and "Traceback" not in done.stderr
