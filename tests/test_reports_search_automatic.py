"""A user's own spec with [search] and no [report] table gets the search section: the isolation and
axis plots and the checks, here the warning that the best lr sits at the top of its range."""
import textwrap

from experiments.cli import main as experiments_main
from reports.build import build

# Eight Sobol trials of lr over [1e-5, 1e-2] on 3 epochs of sin-cos: the loss still falls with lr,
# so the best trial is the highest lr drawn (5.2e-3, in the top tenth of the log range).
SPEC = """
    name = "mine"
    seeds = 2
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    epochs = 3
    [grid]
    width = [4]
    [search]
    trials = 8
    objective = "train_loss"
    at = "final"
    [search.nuisance]
    lr = { log = [1e-5, 1e-2] }
    """


def test_a_spec_with_search_and_no_report_table_gets_the_search_section(tmp_path):
    spec = tmp_path / "mine.toml"
    spec.write_text(textwrap.dedent(SPEC))
    results = tmp_path / "results"
    assert experiments_main(["sweep", str(spec), "--results", str(results)]) == 0
    report = build(results, tmp_path / "out", studies=[str(spec)], peers=False)
    section = report.sections[0]
    figures = {path for path, _ in section.figures}
    assert {"figures/mine_search_isolation.png", "figures/mine_search_axes.png"} <= figures
    edge = "lr: the best trial of mine is at the top of [1e-5, 1e-2]; widen the range"
    assert edge in section.warnings
    page = (tmp_path / "out" / "index.html").read_text()
    assert "mine_search_isolation.png" in page and "mine_search_axes.png" in page
    assert edge in page
    assert report.scorecard is None  # bound by [search], not named: no claims to judge
