"""Results stored by an earlier version (9681add) are read, reported and not rerun.

tests/fixtures/results-9681add/ holds the ``--quick`` sweeps of a few shipped studies and of a
user-file spec (specs/wine.toml, a copy of examples/own-data/wine.toml), written by the code at
commit 9681add. A sweep of the same studies with today's code must find every run stored (so
nothing runs and no file is written) and the report must build from them; except the studies whose
run ids 0.2.0 changed on purpose (CHANGELOG.md: the compiled engine), whose old results stay stored,
listed by ``status`` as superseded, while a sweep runs the new ids and the report shows those.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import experiments
from experiments import cli
from experiments.catalog import find_study
from reports.__main__ import main as reports_main

FIXTURE = Path(__file__).parent / "fixtures" / "results-9681add"
STUDIES = ["width", "classics", "lr", "init", "gradcheck"]
MOVED_TO_COMPILED = ["width", "classics", "lr"]  # CHANGELOG.md, 0.2.0
KEPT = [name for name in STUDIES if name not in MOVED_TO_COMPILED]


def _listing(root: Path) -> dict[str, int | None]:
    """Every file and folder under ``root``, each file with its modification time (ns). A
    folder's own time is left out: the sweep's per-study lock file is made and removed in it."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.stat().st_mtime_ns
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def old_results(tmp_path) -> Path:
    """A copy of the fixture (its files' mtimes kept), so that a failing test damages nothing."""
    copy = tmp_path / "results-9681add"
    shutil.copytree(FIXTURE, copy)
    return copy


def test_the_fixture_holds_every_study_it_names():
    stored = {p.name for p in (FIXTURE / "results").iterdir()}
    assert stored == {f"{name}-quick" for name in [*STUDIES, "wine"]}


def test_a_sweep_of_results_stored_by_9681add_runs_nothing_and_writes_nothing(old_results, capsys):
    before = _listing(old_results)
    status = cli.main(["sweep", *KEPT, str(old_results / "specs" / "wine.toml"), "--quick",
                       "--results", str(old_results / "results"), "--backend", "serial"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("nothing to run: all 10 runs of"), out
    assert _listing(old_results) == before


def test_results_superseded_by_the_compiled_engine_stay_listed_and_the_new_ids_run(old_results, capsys):
    results = str(old_results / "results")
    old_ids = {name: set(experiments.load(f"{name}-quick", "runs", results=results)["run_id"])
               for name in MOVED_TO_COMPILED}
    assert cli.main(["status", "--results", results]) == 0
    status = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    for name in MOVED_TO_COMPILED:
        assert f"(+{len(old_ids[name])} stored runs superseded by the spec" in status[f"{name}-quick"]
    assert "superseded" not in status["init-quick"] + status["gradcheck-quick"]

    assert cli.main(["sweep", *MOVED_TO_COMPILED, "--quick", "--results", results, "--backend", "serial"]) == 0
    for name in MOVED_TO_COMPILED:
        stored = set(experiments.load(f"{name}-quick", "runs", results=results)["run_id"])
        new_ids = {run.run_id for run in find_study(name, quick=True).runs}
        assert old_ids[name] <= stored and new_ids <= stored  # nothing deleted, the new ones added
        assert not old_ids[name] & new_ids


@pytest.mark.slow
def test_the_report_builds_from_results_stored_by_9681add(old_results, tmp_path, capsys):
    out = tmp_path / "report"
    status = reports_main(["build", *STUDIES, str(old_results / "specs" / "wine.toml"), "--quick",
                           "--results", str(old_results / "results"), "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert status == 0
    assert f"({len(STUDIES) + 1} of {len(STUDIES) + 1} studies)" in printed, printed
    assert (out / "index.html").stat().st_size > 0
    assert list((out / "figures").glob("*.png"))
