"""The section builder: one study's part of the report, its figures and tables, each guarded.

A study's section is the generic one (``reports.generic``: curves, summary, provenance) plus, when
its spec says ``[report] section = "<name>"`` (or has ``[search]``), what the study module
``reports.studies.<name>`` adds. The special part is built first; a generic figure or table whose file the special part
already wrote (the same figure drawn with the study's own labels) is not drawn twice.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .data import Messages, StudyResults, is_quick
from .figure_cache import FigureCache, study_stamp
from .interactive.curves import Chart
from .provenance import mixed_provenance, mixing_warning, provenance_row
from .tables import Table


@dataclass
class Section:
    """One study's part of the report; paths are relative to the output folder."""

    study: str
    title: str
    description: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)  # (path, caption)
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    charts: dict = field(default_factory=dict)  # figure path -> its interactive Charts (a list)


@contextmanager
def seeded_global_rng(seed: int = 0):
    """NumPy's global generator seeded for the block, then restored: seaborn jitters strip plots
    with it, and a figure must come out the same from the same inputs in any process (the figure
    cache and the worker processes of ``reports.section_pool`` rely on it)."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


class SectionBuilder:
    """Collects one study's figures and tables, guarding each so one failure leaves the rest.

    ``quiet``: a missing table is not worth a warning (the generic part of a special section:
    a gradient check has no curves, and its own part says what it shows).
    """

    def __init__(self, study: StudyResults, out: Path, messages: Messages, title: str,
                 cache: FigureCache | None = None):
        self.study, self.out, self.messages, self.cache = study, out, messages, cache
        self._study_key: str | None = None
        quick = " (quick smoke run)" if is_quick(study.name) else ""
        description = study.spec.description if study.spec is not None else ""
        self.section = Section(study.name, title + quick, description)
        self.provenance: list[dict] = []
        self.labels: dict[str, Callable] = {}  # factor -> label(value), from the study's sections
        self.quiet = False

    def attempt(self, what: str, make: Callable):
        try:
            return make()
        except Exception as error:  # a figure's failure must not cost the rest of the report
            self.messages.warn(f"study '{self.study.name}': could not make {what} "
                               f"({type(error).__name__}: {error}); left out")
            return None

    def drawn(self, name: str) -> bool:
        """Whether ``figures/<name>`` is already in the section."""
        return any(path == f"figures/{name}" for path, _ in self.section.figures)

    def figure(self, name: str, caption: str, draw: Callable[[Path], list[str] | None],
               *charts: Callable[[], object]) -> None:
        """Draw ``figures/<name>``; ``draw(path)`` returns the run ids drawn (None: all ok runs).
        Each of ``charts()`` makes an interactive companion (a ``reports.interactive.curves.Chart``
        or None), made only when the PNG was, and left out on its own when it fails."""
        if self.drawn(name):
            return
        path = self.out / "figures" / name
        made = self._copied_or_drawn(name, caption, path, draw, charts)
        if made is None or not path.exists():
            return
        run_ids, made_charts = made
        self.section.figures.append((f"figures/{name}", caption))
        if made_charts:
            self.section.charts.setdefault(f"figures/{name}", []).extend(made_charts)
        runs = self.study.runs[self.study.runs["run_id"].isin(run_ids)]
        self.provenance.append(provenance_row(name, runs))
        warning = mixing_warning(f"figure {name}", runs)
        if warning:  # beside the figure; at the top of the page once per study, not per figure
            self.section.warnings.append(warning)
            self.messages.warn_once(("provenance", self.study.name), (
                f"study '{self.study.name}': its figures mix runs of different provenance ("
                f"{'; '.join(mixed_provenance(runs))}); each figure concerned is marked in its "
                "section. Rerun the study on one code version and machine to compare like with like."))

    def _drawn(self, name: str, path: Path, draw: Callable, charts) -> tuple[list[str], list] | None:
        """Draw the PNG, then its interactive companions (each left out on its own when it fails)."""
        with seeded_global_rng():
            run_ids = self.attempt(f"figure {name}", lambda: draw(path) or list(self.study.ok["run_id"]))
        if run_ids is None or not path.exists():
            return None
        made = [self.attempt(f"an interactive chart of {name}", chart) for chart in charts]
        return run_ids, [chart for chart in made if chart is not None]

    def _copied_or_drawn(self, name: str, caption: str, path: Path, draw: Callable,
                         charts) -> tuple[list[str], list] | None:
        """(run ids, interactive charts) of ``figures/<name>``: copied from the previous build when
        its inputs did not change (``reports.figure_cache``; its messages said again), else drawn."""
        if self.cache is None:
            return self._drawn(name, path, draw, charts)
        self._study_key = self._study_key or study_stamp(self.study)
        key = self.cache.key(self._study_key, name, caption)
        previous = self.cache.reuse(name, key)
        if previous is not None:
            self.messages.lines.extend((level, text) for level, text in previous["messages"])
            return previous["run_ids"], [Chart(**chart) for chart in previous.get("charts", [])]
        before = len(self.messages.lines)
        made = self._drawn(name, path, draw, charts)
        if made is not None:
            self.cache.record(name, key, made[0], self.messages.lines[before:],
                              [{"spec": chart.spec, "note": chart.note} for chart in made[1]],
                              (self.study.name, self._study_key))
        return made

    def has(self, table: str, needed_for: str) -> bool:
        """Whether the study has ``table``; if not, say which figure goes without it."""
        if getattr(self.study, table) is not None:
            return True
        if not self.quiet:
            self.messages.warn(f"study '{self.study.name}': no usable '{table}' table, so no "
                               f"{needed_for}")
        return False

    def table(self, what: str, make: Callable[[], Table]) -> None:
        table = self.attempt(f"table {what}", make)
        if table is not None and all(t.name != table.name for t in self.section.tables):
            self.section.tables.append(table)

    @staticmethod
    def attempt_table(messages: Messages, what: str, make: Callable[[], Table]) -> Table | None:
        try:
            return make()
        except Exception as error:  # one table's failure must not cost the rest of the report
            messages.warn(f"could not make {what} ({type(error).__name__}: {error}); left out")
            return None
