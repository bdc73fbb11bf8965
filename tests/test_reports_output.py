"""The report's output folder never loses a user's files or half a report (issue 19, items 1, 2, 12)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reports import build as build_module
from reports.__main__ import main
from reports.build import build
from reports.output import MANIFEST
from synthetic_results import make_results

ROOT = Path(__file__).resolve().parents[1]


def cli(capsys, results, out, *studies) -> tuple[int, str]:
    status = main(["build", "--quiet", "--results", str(results), "--out", str(out), *studies])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return status, captured.err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("output") / "results", studies=("gradcheck",))


def test_an_out_that_is_a_file_is_one_line_and_exit_2(tmp_path, capsys, results):
    target = tmp_path / "report.html"
    target.write_text("mine")
    status, err = cli(capsys, results, target, "gradcheck")
    assert status == 2
    assert err.strip().splitlines() == [f"error: --out {target} is a file, not a folder; give a "
                                        "folder for the report (it gets index.html, figures/ "
                                        "and tables/)"]
    assert target.read_text() == "mine"


def test_an_out_holding_other_figures_and_no_manifest_is_refused(tmp_path, capsys, results):
    paper = tmp_path / "docs" / "figures" / "paper.png"
    paper.parent.mkdir(parents=True)
    paper.write_bytes(b"a paper's figure")
    status, err = cli(capsys, results, tmp_path / "docs", "gradcheck")
    assert status == 2
    [line] = err.strip().splitlines()
    assert "holds 1 file(s) no report build wrote (e.g. figures/paper.png)" in line
    assert paper.read_bytes() == b"a paper's figure"
    assert sorted(p.name for p in (tmp_path / "docs").rglob("*")) == ["figures", "paper.png"]


def test_a_rebuild_deletes_only_what_the_earlier_build_wrote(tmp_path, results):
    out = tmp_path / "out"
    build(results, out, ["gradcheck"])
    written = set(json.loads((out / MANIFEST).read_text())["files"])
    assert {"index.html", "figures/gradcheck.png", "tables/gradcheck_summary.md"} <= written
    (out / "notes.md").write_text("my notes")  # the user's, beside the report
    (out / "figures" / "mine.png").write_bytes(b"mine")  # the user's, inside figures/
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"].append("figures/stale.png")  # an earlier build's figure the next one lacks
    (out / MANIFEST).write_text(json.dumps(manifest))
    (out / "figures" / "stale.png").write_bytes(b"stale")
    build(results, out, ["gradcheck"])
    assert (out / "notes.md").read_text() == "my notes"
    assert (out / "figures" / "mine.png").read_bytes() == b"mine"
    assert not (out / "figures" / "stale.png").exists()
    assert (out / "figures" / "gradcheck.png").is_file()


def test_a_report_built_before_manifests_is_recognised_by_its_index(tmp_path, results):
    out = tmp_path / "out"
    build(results, out, ["gradcheck"])
    (out / MANIFEST).unlink()  # as 9681add left it: index.html, figures/, tables/ only
    build(results, out, ["gradcheck"])
    assert (out / MANIFEST).is_file() and (out / "figures" / "gradcheck.png").is_file()


def test_a_build_that_raises_midway_leaves_the_old_report_whole(tmp_path, monkeypatch, results):
    out = tmp_path / "out"
    build(results, out, ["gradcheck"])
    before = snapshot(out)

    def fail(report):
        raise RuntimeError("disk full")
    monkeypatch.setattr(build_module, "write_index", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        build(results, out, ["gradcheck"])
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no half-built folder left beside it


KILLED_BUILD = """
import os, signal, sys
sys.path[:0] = [{root!r}, {tests!r}]
from reports import generic
from reports.build import build

def killed(builder):
    os.kill(os.getpid(), signal.SIGKILL)  # the build dies after drawing its special figures
generic.section = killed
build({results!r}, {out!r}, ["gradcheck"])
"""


@pytest.mark.slow
def test_a_killed_build_leaves_the_old_report_whole_and_the_next_cleans_up(tmp_path, results):
    out = tmp_path / "out"
    build(results, out, ["gradcheck"])
    before = snapshot(out)
    script = KILLED_BUILD.format(root=str(ROOT), tests=str(ROOT / "tests"), results=str(results),
                                 out=str(out))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    [leftover] = [p for p in tmp_path.iterdir() if p.name != "out"]
    assert leftover.name.startswith(".out.building-")
    build(results, out, ["gradcheck"])  # the next build removes the dead one's folder
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_spec_path_without_results_hints_the_path_as_given(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "path" / "to" / "tiny.toml"
    spec.parent.mkdir(parents=True)
    spec.write_text('name = "tiny"\n[base]\ndataset = "sincos"\nwidth = 5\nepochs = 1\n')
    monkeypatch.chdir(tmp_path)
    status, err = cli(capsys, "results", "out", "path/to/tiny.toml")
    assert status == 1
    assert ("run `python -m experiments sweep path/to/tiny.toml --results results`" in err)
