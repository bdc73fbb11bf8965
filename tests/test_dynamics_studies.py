"""Smoke runs of the training-dynamics studies: each `sweep --quick` runs, stores its tables, and
its report section draws valid figures. Numbers are checked in the nncore and reports tests."""
import pytest
from PIL import Image

from experiments import load
from experiments.cli import main
from reports.build import build

FIGURES = {
    "init": ["init-quick_histograms_sigmoid.png", "init-quick_histograms_relu.png",
             "init-quick_curves.png"],
    "batch_size": ["batch_size-quick_fixed_lr.png", "batch_size-quick_scaled_lr.png"],
    "double_descent": ["double_descent-quick_width.png", "double_descent-quick_epochs.png"],
}


def _sweep_and_report(tmp_path, study):
    results, out = tmp_path / "results", tmp_path / "out"
    assert main(["sweep", study, "--quick", "--results", str(results), "--quiet"]) == 0
    report = build(results, out, studies=[f"{study}-quick"], peers=False)
    assert [section.study for section in report.sections] == [f"{study}-quick"]
    return results, out


def _assert_pngs(out, names):
    for name in names:
        path = out / "figures" / name
        assert path.is_file(), f"{name} was not drawn"
        with Image.open(path) as image:
            image.verify()  # a complete PNG, not a truncated file
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size[0] > 400 and image.size[1] > 250


@pytest.mark.slow
def test_init_quick_sweep_stores_activation_statistics_and_draws_its_section(tmp_path):
    results, out = _sweep_and_report(tmp_path, "init")
    stats = load("init-quick", "activations", results=results)
    # 4 runs x epochs {0, 2} x 5 hidden layers x 20 bins (a run that diverged keeps epoch 0 only)
    assert set(stats["epoch"]) == {0, 2} and set(stats["layer"]) == {1, 2, 3, 4, 5}
    assert stats.groupby(["run_id", "epoch", "layer"])["fraction"].sum().round(9).eq(1).all()
    _assert_pngs(out, FIGURES["init"])
    assert (out / "tables" / "init-quick_activations.md").is_file()


@pytest.mark.slow
def test_batch_size_quick_sweep_draws_both_lr_rules_and_the_time_to_target_table(tmp_path):
    results, out = _sweep_and_report(tmp_path, "batch_size")
    curves = load("batch_size-quick", "curves", results=results)
    assert curves["step"].notna().all() and (curves["step"] > 0).any()
    _assert_pngs(out, FIGURES["batch_size"])
    table = (out / "tables" / "batch_size-quick_time_to_target.md").read_text()
    assert "target val loss" in table and "mnist1d" in table and "sincos" in table


@pytest.mark.slow
def test_double_descent_quick_sweep_draws_error_against_width_and_epoch(tmp_path):
    results, out = _sweep_and_report(tmp_path, "double_descent")
    runs = load("double_descent-quick", "runs", results=results)
    assert sorted(runs["width"]) == [2, 400] and set(runs["init"]) == {"he_uniform"}
    _assert_pngs(out, FIGURES["double_descent"])
    assert (out / "tables" / "double_descent-quick_errors.md").is_file()


def test_list_shows_the_new_studies_with_run_counts_and_estimated_times(tmp_path, capsys):
    assert main(["list", "--results", str(tmp_path)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    for study, runs in (("init", 36), ("batch_size", 66), ("double_descent", 56)):
        assert f"{runs} runs  ~" in lines[study] and "not default" in lines[study]
