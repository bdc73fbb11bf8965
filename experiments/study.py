"""A study as the sweep, the status and the report see it: its runs frozen with their ids, a
searched study's search plan and a resolved study's rounds.

``spec`` builds these from a TOML file; everything downstream reads them. They import only the
search's space and stages and the resolve table and statistics (which import no study), so any
module may import them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .resolve import sequential
from .resolve.table import Comparison, Resolve
from .search.space import Search
from .search.stages import Planned, plan_lines


@dataclass(frozen=True)
class Run:
    """One frozen run: its canonical configuration and the id derived from it."""

    run_id: str
    config: dict
    point: dict = field(default_factory=dict, compare=False)  # the spec values that vary, for labels

    def label(self, keys: tuple[str, ...] = ()) -> str:
        """``width=20, seed=3``: the values the spec varies (or the given config fields)."""
        if keys:
            return ", ".join(f"{k}={self.config[k]!r}" for k in keys)
        return ", ".join(f"{k}={v!r}" for k, v in self.point.items()) or self.run_id[:12]


@dataclass
class Study:
    """A validated spec with its runs expanded and frozen (ids computed) before anything runs."""

    name: str
    description: str
    path: Path
    runs: list[Run]
    varying: tuple[str, ...]           # config fields that differ between runs (for labels)
    timing: bool = False
    default: bool = True
    quick: bool = False
    report: dict = field(default_factory=dict)  # the spec's [report] table, checked
    search: SearchPlan | None = None  # a searched study's two stages; runs are its trials
    resolve: ResolvePlan | None = None  # [resolve]: its rounds; runs are the first round's


@dataclass(frozen=True)
class SearchPlan:
    """What a searched study needs after its grid is expanded: the search, the seeds, one
    configuration, label and spec point per grid point (G of each), and the stage-1 trials."""

    search: Search
    seeds: list[int]
    grid_configs: list[dict]
    grid_labels: list[str]
    grid_points: list[dict]
    trials: list[Planned]

    def lines(self) -> list[str]:
        """What ``plan`` prints about the search (``stages.plan_lines``)."""
        return plan_lines(self.search, self.grid_configs, self.grid_labels, self.seeds)

    def points_matching(self, values: dict) -> list[int]:
        """The grid points (indices) whose spec values include ``values``: a ``[report] target``
        reference such as ``{ optimizer = { kind = "sgd" } }``, one grid point per dataset."""
        return [g for g, point in enumerate(self.grid_points)
                if all(point.get(key) == value for key, value in values.items())]

    def runs(self, planned: list[Planned]) -> list[Run]:
        """``Planned`` runs as the sweep's ``Run`` objects, labelled by grid point, trial, seed."""
        return [Run(p.run_id, p.config, {**self.grid_points[p.grid_point], "trial": p.trial,
                                         "seed": p.config["seed"]}) for p in planned]


@dataclass(frozen=True)
class ResolvePlan:
    """A study's rounds, fixed by its spec: the table, the seed numbers in the order rounds use
    them, the seeds per grid point at each look, the comparisons, the grid point labels (grid
    order) and, for an unsearched study, each grid point's run at each seed."""

    table: Resolve
    seeds: list[int]
    looks: list[int]
    comparisons: list[Comparison]
    labels: list[str]
    runs: dict[str, dict[int, Run]] = field(default_factory=dict)
    searched: bool = False

    @property
    def alpha(self) -> float:
        """Two-sided error of one comparison's interval at one look."""
        return sequential.look_alpha(self.table.confidence, len(self.comparisons), len(self.looks))

    def added_after(self, labels, look: int = 0) -> int:
        """The most runs rounds after ``look`` can add to the grid points ``labels``: each up to
        max_seeds."""
        return len(set(labels)) * (self.looks[-1] - self.looks[look])

    def most_added(self) -> int:
        """The most runs rounds after the first can add: every compared grid point up to max_seeds."""
        return self.added_after(label for c in self.comparisons for label in (c.reference, c.candidate))

    def lines(self, first_runs: int) -> list[str]:
        """What ``plan`` prints: the method, the first round, the most later rounds can add."""
        t, compared = self.table, {label for c in self.comparisons for label in (c.reference, c.candidate)}
        per_point = self.looks[-1] - self.looks[0]
        return [f"resolve: {len(self.comparisons)} comparisons of {t.metric} along {t.axis} "
                f"({t.compare}), {t.confidence:g} family-wise, margin {t.margin:g}; "
                f"{len(self.looks)} looks at {', '.join(map(str, self.looks))} seeds per grid point, "
                f"each interval at 1 - {self.alpha:.2g}",
                f"resolve: round 1 is the {first_runs} runs above; later rounds add {t.add} seeds "
                f"to each grid point of a comparison still open: at most {len(compared)} x "
                f"{per_point} = {self.most_added()} more runs"]
