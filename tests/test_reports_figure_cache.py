"""A second build with nothing new draws no figure: each figure whose inputs (its study's tables and
spec, the report's code, the plotting libraries) are unchanged is copied from the previous build,
with the same run ids and messages; a changed study's figures are drawn again, the others not."""
import re

import matplotlib.figure
import pandas as pd
import pytest
from synthetic_results import make_results

from reports.build import build
from reports.figure_cache import STAMPS

STUDIES = ["width", "lr"]


@pytest.fixture
def drawings(monkeypatch):
    """Every figure file matplotlib writes, by name."""
    saved = []
    original = matplotlib.figure.Figure.savefig

    def savefig(self, path, *args, **kwargs):
        saved.append(str(path).rsplit("/", 1)[-1])
        return original(self, path, *args, **kwargs)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    return saved


def page(out) -> str:
    """index.html without the build's own date and time."""
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", (out / "index.html").read_text())


def figure_bytes(out):
    return {path.name: path.read_bytes() for path in (out / "figures").glob("*.png")}


def test_a_second_build_with_nothing_new_draws_nothing_and_reads_the_same(tmp_path, drawings):
    results, out = make_results(tmp_path / "results", STUDIES), tmp_path / "out"
    first = build(results, out, STUDIES, peers=False)
    first_figures, first_page = figure_bytes(out), page(out)
    assert drawings and len(first_figures) == len(drawings)
    drawings.clear()

    second = build(results, out, STUDIES, peers=False)
    assert drawings == []
    assert figure_bytes(out) == first_figures
    assert page(out) == first_page  # provenance and captions included
    assert second.messages.lines == first.messages.lines
    charts = [section.charts for section in first.sections]
    assert any(charts) and [section.charts for section in second.sections] == charts  # copied too
    assert (out / STAMPS).exists()


def test_a_changed_study_is_drawn_again_and_the_others_are_copied(tmp_path, drawings):
    results, out = make_results(tmp_path / "results", STUDIES), tmp_path / "out"
    build(results, out, STUDIES, peers=False)
    lr_figures = {name for name in figure_bytes(out) if name.startswith("lr")}
    assert lr_figures
    drawings.clear()

    for path in (results / "width" / "runs").glob("*.parquet"):  # one stored value changed
        runs = pd.read_parquet(path)
        runs.assign(final_train_loss=runs["final_train_loss"] * 1.5).to_parquet(path, index=False)
    build(results, out, STUDIES, peers=False)
    assert drawings and all(name.startswith("width") for name in drawings)
    assert not lr_figures & set(drawings)


def test_a_figure_missing_from_the_previous_build_is_drawn_again(tmp_path, drawings):
    results, out = make_results(tmp_path / "results", STUDIES), tmp_path / "out"
    build(results, out, STUDIES, peers=False)
    victim = sorted(figure_bytes(out))[0]
    (out / "figures" / victim).unlink()
    drawings.clear()
    build(results, out, STUDIES, peers=False)
    assert drawings == [victim]


def test_a_change_to_the_code_below_the_report_draws_every_figure_again(tmp_path, drawings, monkeypatch):
    """The statistics a figure draws (experiments.stats) live below reports: their source is in the key."""
    from reports import figure_cache

    results, out = make_results(tmp_path / "results", STUDIES), tmp_path / "out"
    build(results, out, STUDIES, peers=False)
    first = len(drawings)
    drawings.clear()
    figure_cache.code_stamp.cache_clear()
    monkeypatch.setattr(figure_cache, "CODE_PACKAGES", (*figure_cache.CODE_PACKAGES, "benchmarks"))
    try:
        build(results, out, STUDIES, peers=False)
    finally:
        figure_cache.code_stamp.cache_clear()
    assert len(drawings) == first
    assert "experiments" in figure_cache.CODE_PACKAGES
