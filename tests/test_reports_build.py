"""The report builds from a small synthetic results set: figures, tables, index.html, CLI."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from reports.__main__ import main
from reports.build import build, terminal_text
from claim_lookup import claim_ids
from synthetic_results import make_results, sweep_study, width_loss, write_table

FIGURES = ("width_loss_curves.png", "depth_loss_curves.png", "final_surfaces.png",
           "final_loss_curves.png", "lr_final_loss.png", "engines_sec_per_epoch.png",
           "engines_speedups.png", "engines_winner.png", "classics.png", "gradcheck.png", "optimizers_train_loss.png",
           "optimizers_val_acc.png", "mnist1d_curves.png", "width_loss_vs_seconds.png",
           "depth_loss_vs_seconds.png", "engines_roofline.png")

# table name -> (rows, columns it must have); rows follow the synthetic set's grid (provenance:
# one row per figure drawn).
TABLES = {
    "scorecard": (19, ["claim", "published", "ours", "holds"]),
    "width_summary": (4, ["width", "seeds", "final train loss", "final val loss"]),  # the generic table
    "depth_summary": (4, ["depth", "seeds", "final train loss", "final val loss"]),
    "lr_summary": (6, ["width", "lr", "seeds", "final train loss (mean ± sd)"]),
    "final_summary": (1, ["hidden", "seeds", "final train loss (mean ± sd)", "final val loss (mean ± sd)"]),
    "engines_timing": (16, ["engine", "width", "batch", "median s/epoch", "IQR s/epoch", "samples/s",
                    "GFLOP/s", "share of peak"]),
    "engines_speedups": (10, ["width", "batch", "baseline", "baseline s/epoch", "vectorized s/epoch",
                      "speedup", "95% CI"]),
    "engines_crossover": (3, ["width", "loop / vectorized"]),
    "classics_summary": (4, ["task", "layers", "final train loss", "val acc", "metrics"]),
    "gradcheck_summary": (3, ["layers", "numerical (s)", "backprop (s)", "max relative error"]),
    "optimizers_summary": (12, ["dataset", "optimizer", "lr", "best lr", "seeds", "best val acc % (mean ± sd)",
                                "final val acc % (mean ± sd)"]),
    "mnist1d_summary": (2, ["model", "layer sizes", "seeds", "steps", "test accuracy % (mean ± sd)", "paper %"]),
    "provenance": (None, ["figure", "runs", "git commit", "run dates", "machine", "BLAS (threads)"]),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    return build(make_results(root / "results"), root / "out")


def markdown_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    return cells[0], cells[2:]


def linked_files(index: Path) -> list[str]:
    return re.findall(r"(?:src|href)='([^'#]+)'", index.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_every_figure_is_a_png_of_sensible_size(report):
    for name in FIGURES:
        with Image.open(report.out / "figures" / name) as image:
            assert image.format == "PNG", name
            width, height = image.size
            assert 500 <= width <= 4000 and 300 <= height <= 2000, (name, image.size)


@pytest.mark.slow
def test_surface_animation_has_one_frame_per_snapshot_epoch(report):
    with Image.open(report.out / "figures" / "final_surfaces.gif") as image:
        assert image.format == "GIF"
        assert image.n_frames == 4


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLES)
def test_every_table_has_expected_rows_and_columns(report, name):
    rows, columns = TABLES[name]
    if rows is None:
        rows = sum(len(section.figures) for section in report.sections)
    header, body = markdown_rows(report.out / "tables" / f"{name}.md")
    assert set(columns) <= set(header)
    assert len(body) == rows
    assert (report.out / "tables" / f"{name}.html").read_text(encoding="utf-8").count("<tr") == rows + 1


@pytest.mark.slow
def test_scorecard_holds_on_data_built_to_match_the_claims(report):
    header, body = markdown_rows(report.out / "tables" / "scorecard.md")
    holds = {row[header.index("id")]: row[header.index("holds")] for row in body}
    # the init, double-descent and fair studies are not in the synthetic set; every other claim holds
    absent = {claim_id for claim_id in holds
              if claim_id.startswith(("init-", "double-descent-")) or "-fair-" in claim_id}
    assert absent == {"init-sigmoid-saturates", "init-sigmoid-collapses", "init-xavier-spreads",
                      "init-he-relu-alive", "double-descent-peak", "width-fair-lower-loss",
                      "depth-fair-lower-loss", "optimizers-fair-winner"}
    assert {holds[claim_id] for claim_id in absent} == {"no data"}
    assert {claim_id: verdict for claim_id, verdict in holds.items() if claim_id not in absent} \
        == {claim_id: "yes" for claim_id in set(holds) - absent}
    assert set(holds) == set(claim_ids())


@pytest.mark.slow
def test_index_references_only_existing_files_and_every_figure(report):
    index = report.out / "index.html"
    links = linked_files(index)
    assert all((report.out / link).is_file() for link in links), links
    assert {f"figures/{name}" for name in FIGURES} <= set(links)
    assert "figures/final_surfaces.gif" in links


@pytest.mark.slow
def test_clean_build_warns_of_nothing_and_counts_the_diverged_run(report):
    # but of the two default studies the synthetic set has no runs of (searched, issue 25)
    warnings = [text for level, text in report.messages if level == "warning"]
    assert sorted(text.split("'")[1] for text in warnings) == ["depth_fair", "width_fair"]
    assert all("no results in" in text for text in warnings)
    (note,) = [text for level, text in report.messages if level == "note"]
    assert "study 'lr': 1 diverged of 19 runs" in note
    header, body = markdown_rows(report.out / "tables" / "lr_summary.md")
    assert [row[header.index("not finished")] for row in body].count("1 diverged") == 1


@pytest.mark.slow
def test_terminal_text_holds_every_table(report):
    text = terminal_text(report)
    assert "## Reproduction scorecard" in text and "## Timing: seconds per training epoch" in text


@pytest.mark.slow
def test_cli_prints_tables_and_names_the_index(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("classics",))
    status = main(["build", "--results", str(results), "--out", str(tmp_path / "out"), "classics"])
    out = capsys.readouterr().out
    assert status == 0
    assert "| xor | 2-3-1 |" in out
    assert str(tmp_path / "out" / "index.html") in out


def test_figure_from_runs_of_two_commits_carries_a_warning(tmp_path):
    runs, curves = sweep_study("width", [{"layer_sizes": [2, w, 1]} for w in (10, 20)], width_loss)
    runs[-1]["git_commit"] = "def5678"
    write_table(tmp_path / "results", "width", "runs", runs)
    write_table(tmp_path / "results", "width", "curves", curves)
    report = build(tmp_path / "results", tmp_path / "out", ["width"])
    (section,) = report.sections
    figures = [warning for warning in section.warnings if "git commit (abc1234, def5678)" in warning]
    assert len(figures) == len(section.figures) >= 2  # beside every figure of the study
    top = [text for _, text in report.messages if "different provenance" in text]
    assert len(top) == 1 and "study 'width'" in top[0] and "git commit (abc1234, def5678)" in top[0]
    assert "git commit (abc1234, def5678)" in (tmp_path / "out" / "index.html").read_text()


def test_quick_runs_are_reported_under_their_study_and_flagged(tmp_path, capsys):
    runs, curves = sweep_study("width-quick", [{"layer_sizes": [2, w, 1]} for w in (10, 20)],
                               width_loss)
    write_table(tmp_path / "results", "width-quick", "runs", runs)
    write_table(tmp_path / "results", "width-quick", "curves", curves)
    status = main(["build", "--quick", "--quiet", "--results", str(tmp_path / "results"),
                   "--out", str(tmp_path / "out"), "width"])
    assert status == 0
    assert (tmp_path / "out" / "figures" / "width-quick_loss_curves.png").is_file()
    scorecard = (tmp_path / "out" / "tables" / "scorecard.md").read_text()
    assert "not a reproduction" in scorecard
    assert "| yes |" in scorecard  # the width ordering is judged on the quick runs
