"""Build the report: load each study, draw its figures, write its tables, then ``index.html``.

Layout of the output folder::

    index.html          everything, opens from disk (relative links only)
    figures/*.png|gif   one file per figure
    tables/*.md|html    one pair per table

Every step is guarded: a study or figure that cannot be made becomes a message and the rest builds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import figures, tables
from .data import Messages, Study, load_study
from .page import write_index
from .peers import load_peers, peer_table
from .provenance import mixing_warning, provenance_row, provenance_table
from .scorecard import GRADIENT_TOLERANCE, scorecard, scorecard_table
from .tables import Table

STUDIES = ("width", "depth", "final", "lr", "engines", "classics", "gradcheck")
QUICK = "-quick"  # experiments stores `sweep --quick` smoke runs as <study>-quick
TITLES = {"width": "Width", "depth": "Depth", "final": "Final model", "lr": "Learning rate",
          "engines": "Engines (timing)", "classics": "Classic tasks", "gradcheck": "Gradient check"}


@dataclass
class Section:
    """One study's part of the report; paths are relative to the output folder."""

    study: str
    title: str
    figures: list[tuple[str, str]] = field(default_factory=list)  # (path, caption)
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Report:
    results: str
    out: Path
    sections: list[Section]
    scorecard: Table
    provenance: Table | None
    messages: Messages


class SectionBuilder:
    """Collects one study's figures and tables, guarding each so one failure leaves the rest."""

    def __init__(self, study: Study, out: Path, messages: Messages):
        self.study, self.out, self.messages = study, out, messages
        self.kind = kind_of(study.name)
        quick = " (quick smoke run)" if study.name.endswith(QUICK) else ""
        self.section = Section(study.name, TITLES[self.kind] + quick)
        self.provenance: list[dict] = []

    def attempt(self, what: str, make: Callable):
        try:
            return make()
        except Exception as error:  # a figure's failure must not cost the rest of the report
            self.messages.warn(f"study '{self.study.name}': could not make {what} "
                               f"({type(error).__name__}: {error}); left out")
            return None

    def figure(self, name: str, caption: str, draw: Callable[[Path], list[str] | None]) -> None:
        """Draw ``figures/<name>``; ``draw(path)`` returns the run ids drawn (None: all ok runs)."""
        path = self.out / "figures" / name
        run_ids = self.attempt(f"figure {name}", lambda: draw(path) or list(self.study.ok["run_id"]))
        if run_ids is None or not path.exists():
            return
        self.section.figures.append((f"figures/{name}", caption))
        runs = self.study.runs[self.study.runs["run_id"].isin(run_ids)]
        self.provenance.append(provenance_row(name, runs))
        warning = mixing_warning(f"figure {name}", runs)
        if warning:
            self.section.warnings.append(warning)
            self.messages.warn(f"study '{self.study.name}': {warning}")

    def has(self, table: str, needed_for: str) -> bool:
        """Whether the study has ``table``; if not, say which figure goes without it."""
        if getattr(self.study, table) is not None:
            return True
        self.messages.warn(f"study '{self.study.name}': no usable '{table}' table, so no "
                           f"{needed_for}")
        return False

    def table(self, what: str, make: Callable[[], Table]) -> None:
        table = self.attempt(f"table {what}", make)
        if table is not None:
            self.section.tables.append(table)

    @staticmethod
    def attempt_table(messages: Messages, what: str, make: Callable[[], Table]) -> Table | None:
        try:
            return make()
        except Exception as error:  # one table's failure must not cost the rest of the report
            messages.warn(f"could not make {what} ({type(error).__name__}: {error}); left out")
            return None


def _sweep_section(b: SectionBuilder, by: str, label: Callable[[int], str]) -> None:
    name, title = b.study.name, b.section.title
    if b.has("curves", "loss-curve figure"):
        b.figure(f"{name}_loss_curves.png", f"Loss against epoch, one line per {by}.",
                 lambda p: figures.loss_curves(b.study, p, by, label,
                                               f"{title} study: loss against epoch"))
    b.table("summary", lambda: tables.summary_table(
        b.study, [by], f"{title} study: final loss per {by}"))


def _final_section(b: SectionBuilder) -> None:
    if b.has("snapshots", "fitted-surface figures"):
        b.figure(f"{b.study.name}_surfaces.png", "Fitted surface at the snapshot epochs beside the truth.",
                 lambda p: figures.surfaces(b.study, p))
        b.figure(f"{b.study.name}_surfaces.gif", "The fitted surface over training (animated).",
                 lambda p: figures.surface_animation(b.study, p))
    if b.has("curves", "loss-curve figure"):
        b.figure(f"{b.study.name}_loss_curves.png", "Loss of the final model against epoch.",
                 lambda p: figures.loss_curves(b.study, p, None, None,
                                               "Final model (100-80-50-30-10): loss against epoch"))
    b.table("summary", lambda: tables.summary_table(b.study, ["hidden"],
                                                    f"{b.section.title}: final loss"))


def _lr_section(b: SectionBuilder) -> None:
    b.figure(f"{b.study.name}_final_loss.png", "Final loss against learning rate, one line per width.",
             lambda p: figures.lr_sweep(b.study, p))
    b.table("summary", lambda: tables.summary_table(
        b.study, ["width", "lr"], f"{b.section.title} study: final loss per width and lr"))


def _engines_section(b: SectionBuilder) -> None:
    times = b.attempt("epoch times", lambda: tables.epoch_times(b.study))
    if times is None or times.empty:
        b.messages.warn(f"study '{b.study.name}': no timed epochs; timing left out")
        return
    stats = b.attempt("timing statistics", lambda: tables.timing_stats(b.study, times))
    speedups = b.attempt("speedups", lambda: tables.speedup_stats(times))
    if stats is not None and len(stats):
        b.figure(f"{b.study.name}_sec_per_epoch.png", "Seconds per epoch against width per engine.",
                 lambda p: figures.engine_times(stats, p))
        b.table("timing", lambda: tables.timing_table(stats, b.study.name))
    if speedups is not None and len(speedups):
        b.figure(f"{b.study.name}_speedups.png", "Speedup of the vectorized engine.",
                 lambda p: figures.engine_speedups(speedups, p))
        b.table("speedups", lambda: tables.speedup_table(speedups, b.study.name))


def _classics_section(b: SectionBuilder) -> None:
    b.figure(f"{b.study.name}.png", "Final loss and accuracy per classic task.",
             lambda p: figures.classics(b.study, p))
    b.table("summary", lambda: tables.classics_table(b.study))


def _gradcheck_section(b: SectionBuilder) -> None:
    stats = b.attempt("gradient check statistics", lambda: tables.gradcheck_stats(b.study))
    if stats is None:
        return
    b.figure(f"{b.study.name}.png", "Time and error of numerical against backprop gradients.",
             lambda p: figures.gradcheck(stats, p, GRADIENT_TOLERANCE))
    b.table("summary", lambda: tables.gradcheck_table(stats, b.study.name))


SECTIONS: dict[str, Callable[[SectionBuilder], None]] = {
    "width": lambda b: _sweep_section(b, "width", lambda w: f"{w} units"),
    "depth": lambda b: _sweep_section(b, "depth",
                                      lambda d: f"{d} hidden layer{'' if d == 1 else 's'}"),
    "final": _final_section, "lr": _lr_section, "engines": _engines_section,
    "classics": _classics_section, "gradcheck": _gradcheck_section,
}


def kind_of(study: str) -> str:
    """The report section a study gets: ``width-quick`` is reported as ``width``."""
    return study.removesuffix(QUICK)


def clear_previous(out: Path) -> None:
    """Delete the figures and tables an earlier build wrote, so none outlives its data."""
    for folder, suffixes in (("figures", (".png", ".gif")), ("tables", (".md", ".html"))):
        if (out / folder).is_dir():
            for path in (out / folder).iterdir():
                if path.suffix in suffixes:
                    path.unlink()


def build(results: str | Path = "results", out: str | Path = "reports/out",
          studies: list[str] | None = None, peers: bool = True, all_runs: bool = False) -> Report:
    """Build the report for ``studies`` (default: all) from ``results`` into ``out``.

    ``peers`` adds the peer-baseline table when ``make bench-peers`` has written one;
    ``all_runs`` keeps stored runs that the shipped specs no longer contain.
    """
    out, results = Path(out), str(results)
    clear_previous(out)
    messages = Messages()
    loaded: dict[str, Study] = {}
    for name in studies or STUDIES:
        if kind_of(name) not in SECTIONS:
            messages.warn(f"unknown study '{name}' (known: {', '.join(STUDIES)}); left out")
            continue
        study = load_study(name, results, messages, all_runs)
        if study is not None:
            loaded[name] = study

    sections, provenance = [], []
    for name, study in loaded.items():
        builder = SectionBuilder(study, out, messages)
        SECTIONS[builder.kind](builder)
        sections.append(builder.section)
        provenance += builder.provenance

    peer_rows = load_peers(results, messages) if peers else None
    if peer_rows is not None:
        section = Section("peers", "Peer baselines (PyTorch, scikit-learn)")
        table = SectionBuilder.attempt_table(messages, "peer table", lambda: peer_table(peer_rows))
        if table is not None:
            section.tables.append(table)
            sections.append(section)

    card = scorecard_table(scorecard({kind_of(name): study for name, study in loaded.items()}),
                           quick=any(name.endswith(QUICK) for name in loaded))
    provenance_tab = provenance_table(provenance) if provenance else None
    for table in [card] + [t for s in sections for t in s.tables] + [provenance_tab]:
        if table is not None:
            table.write(out / "tables")
    report = Report(results, out, sections, card, provenance_tab, messages)
    write_index(report)
    return report


def terminal_text(report: Report) -> str:
    """Every table as Markdown, for printing after a build."""
    tables_shown = [report.scorecard] + [t for s in report.sections for t in s.tables]
    if report.provenance is not None:
        tables_shown.append(report.provenance)
    return "\n".join(f"## {t.title}\n\n{t.markdown()}\n" for t in tables_shown)
