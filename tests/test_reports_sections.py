"""A spec binds its report section by `[report] section`, never by its name; a special section adds
to the generic one; every configuration field that varies is a factor."""
from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from experiments.catalog import STUDIES_DIR, spec_paths
from reports import generic
from reports.build import build
from reports.data import StudyResults
from reports.studies import discover
from synthetic_results import make_results, run_row, sweep_study, width_loss, write_table


def width_copy(tmp_path, name: str, section: str = "width"):
    """The shipped width spec under another name (and, optionally, another section)."""
    text = (STUDIES_DIR / "width.toml").read_text().replace('name = "width"', f'name = "{name}"')
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace('section = "width"', f'section = "{section}"'))
    runs, curves = sweep_study(name, [{"layer_sizes": [2, w, 1]} for w in (10, 20, 50)], width_loss)
    write_table(tmp_path / "results", name, "runs", runs)
    write_table(tmp_path / "results", name, "curves", curves)
    return path


def test_every_shipped_spec_names_a_section_that_exists():
    # A variant binds its parent's section (engines_peers: section = "engines").
    sections, problems = discover()
    assert problems == []
    for path in spec_paths():
        section = tomllib.loads(path.read_text())["report"]["section"]
        assert section in sections, (path.stem, section)


def test_a_copy_of_a_shipped_spec_under_another_name_keeps_its_figures_and_claim(tmp_path):
    spec = width_copy(tmp_path, "mywidth")
    report = build(tmp_path / "results", tmp_path / "out", [str(spec)])
    [section] = report.sections
    assert section.title == "Width"
    assert [path for path, _ in section.figures] == ["figures/mywidth_loss_curves.png",
                                                     "figures/mywidth_loss_vs_seconds.png"]
    assert section.tables[0].name == "mywidth_summary"
    holds = dict(zip(report.scorecard.frame["id"], report.scorecard.frame["holds"]))
    assert holds["width-lower-loss"] == "yes"


def test_an_unknown_section_warns_naming_the_spec_and_the_sections_and_builds_generic(tmp_path):
    spec = width_copy(tmp_path, "typo", section="widht")
    report = build(tmp_path / "results", tmp_path / "out", [str(spec)])
    [warning] = [text for level, text in report.messages if level == "warning"]
    assert warning.startswith(f"spec {spec}: [report] section = 'widht' is not a study section "
                              "(valid: width, depth, search, final, lr, engines, ")
    assert warning.endswith("the study gets the generic section only")
    [section] = report.sections
    assert section.title == "typo"
    assert "figures/typo_loss_curves.png" in [path for path, _ in section.figures]
    assert report.scorecard is None  # no study bound to a section with claims


def test_a_special_section_adds_to_the_generic_one(tmp_path):
    report = build(make_results(tmp_path / "results", studies=("lr",)), tmp_path / "out", ["lr"])
    [section] = report.sections
    figures = [path for path, _ in section.figures]
    assert figures[0] == "figures/lr_final_loss.png"  # its own figure first
    assert {"figures/lr_loss_curves.png", "figures/lr_loss_vs_seconds.png"} <= set(figures[1:])
    assert [table.name for table in section.tables] == ["lr_summary"]  # one summary, its own


def runs_frame(rows: list[dict]) -> StudyResults:
    return StudyResults("s", pd.DataFrame([run_row("s", **row) for row in rows]))


def test_a_grid_over_evaluate_every_gives_two_configurations_not_four_seeds():
    study = runs_frame([{"evaluate_every": every, "seed": seed, "final_train_loss": 0.1 * every}
                        for every in (1, 5) for seed in (0, 1)])
    varying = generic.factors(study)
    assert varying == ["evaluate_every"]
    table = generic.metrics_table(study, varying).frame
    assert table["evaluate_every"].tolist() == [1, 5]
    assert table["seeds"].tolist() == [2, 2]


def test_a_list_valued_field_that_varies_groups_like_any_factor():
    study = runs_frame([{"activation_stats_epochs": epochs, "seed": seed}
                        for epochs in ([0], [0, 5]) for seed in (0, 1)])
    varying = generic.factors(study)
    assert varying == ["activation_stats_epochs"]
    table = generic.metrics_table(generic.factor_frame(study, varying), varying).frame
    assert table["activation_stats_epochs"].tolist() == ["0", "0, 5"]


@pytest.mark.parametrize("column", ["evaluate_every", "activation_stats_epochs"])
def test_a_field_at_one_value_is_no_factor(column):
    value = [0] if column == "activation_stats_epochs" else 3
    study = runs_frame([{column: value, "seed": seed, "final_train_loss": np.float64(0.1)}
                        for seed in range(3)])
    assert generic.factors(study) == []


def test_a_broken_section_module_is_named_and_the_others_still_load(tmp_path, monkeypatch):
    import reports.studies

    (tmp_path / "notitle.py").write_text("def section(b):\n    pass\n")
    monkeypatch.setattr(reports.studies, "__path__", [*reports.studies.__path__, str(tmp_path)])
    sections, problems = discover()
    assert "width" in sections and "notitle" not in sections
    assert problems == ["section module 'notitle' cannot be used (AttributeError: section module "
                        "reports.studies.notitle defines no TITLE); its studies get the generic "
                        "section"]
