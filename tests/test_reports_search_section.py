"""The searched study's section from stored tables: winners, statistics over the retrain seeds,
the checks as warnings and the three figures (synthetic stored rows, nothing trained)."""
import textwrap

import numpy as np
import pandas as pd

from experiments.config import Where
from experiments.search import retrain_runs, winners
from experiments.search.study import plan_search
from experiments.spec import load_spec
from reports.studies.search import analysis as search_section, figures

TABLE = {"trials": 8, "objective": "val_loss", "at": "final",
         "nuisance": {"lr": {"log": [1e-4, 1e-1]}}}


def searched(tmp_path):
    path = tmp_path / "fair.toml"
    path.write_text(textwrap.dedent("""
        name = "fair"
        seeds = 5
        [base]
        dataset = "sincos"
        [grid]
        width = [4, 16, 64]
        """))
    return plan_search(load_spec(path), TABLE, {"width"}, Where(path))[1]


def stored_rows(plan, loss_of):
    """Runs rows for every trial and the retrains its winners call for; ``loss_of(planned)``
    gives a run's final_val_loss (NaN: diverged)."""
    rows = [{"run_id": t.run_id, "status": "ok", "final_val_loss": loss_of(t)} for t in plan.trials]
    for row in rows:
        if np.isnan(row["final_val_loss"]):
            row["status"] = "diverged"
    runs = pd.DataFrame(rows)
    best = winners(plan.trials, runs, None, plan.search).best
    more = [{"run_id": r.run_id, "status": "ok", "final_val_loss": loss_of(r)}
            for r in retrain_runs(best, plan.seeds)]
    return pd.concat([runs, pd.DataFrame(more)], ignore_index=True)


def width_loss(planned, seed_noise=0.001):
    """Loss falling with width, lowest at the highest lr, the winner's trial seed far too good."""
    width = planned.config["layer_sizes"][1]
    lr = planned.config["lr"]
    noise = np.random.default_rng(planned.config["seed"] * 1000 + width).normal(0, seed_noise)
    if lr > 0.01 and width == 64:
        return np.nan
    base = 1.0 / width + 0.01 * abs(np.log10(lr) + 1)
    return base - (0.5 if planned.stage == "trial" and planned.config["seed"] == 0 and lr > 0.02 else 0) + noise


def test_the_section_compares_retrain_seeds_and_warns_at_the_range_edge(tmp_path):
    plan = searched(tmp_path)
    runs = stored_rows(plan, width_loss)
    section = search_section.build(plan, runs, None, baseline="width=4")
    assert section.best["point"].tolist() == ["width=4", "width=16", "width=64"]
    # statistics over the 4 retrain seeds, not the trial that won on seed 0 (0.5 lower)
    assert section.summary["n"].tolist() == [4, 4, 4]
    assert (section.summary["mean"] > 0).all()
    assert section.comparisons["verdict"].tolist() == ["better"] * 4
    edges = [w for w in section.warnings if "widen the range" in w]
    assert edges and all(w.startswith("lr: the best trial of width=") for w in edges)
    assert any("at the top of [1e-4, 1e-1]" in w for w in edges)
    diverged = int((runs["status"] == "diverged").sum())
    assert diverged >= 2  # a quarter of 8 trials: the warning's threshold
    assert f"width=64: {diverged} of 8 trials diverged ({diverged / 8:.0%}); the search range may reach too far" \
        in section.warnings
    search = plan.search  # the section's frames draw its three figures
    drawn = [figures.isolation_plot(section.best_runs, tmp_path / "isolation.png", search.objective,
                                    search.lower_is_better),
             figures.axis_plots(section.trials, search.nuisance, tmp_path / "axes.png",
                                search.objective, search.lower_is_better),
             figures.budget_plot(section.budget, tmp_path / "budget.png", search.objective,
                                 search.lower_is_better)]
    assert all(path.stat().st_size > 10_000 for path in drawn)


def test_a_grid_point_still_running_its_trials_is_named_and_left_out(tmp_path):
    plan = searched(tmp_path)
    runs = stored_rows(plan, width_loss)
    last_trial = plan.trials[-1].run_id  # a trial of width=64
    section = search_section.build(plan, runs[runs["run_id"] != last_trial], None)
    assert "width=64: trials not all stored yet; no winner" in section.warnings
    assert section.summary["point"].tolist() == ["width=4", "width=16"]
