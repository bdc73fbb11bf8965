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

from experiments.spec import spec_paths
from experiments.store import studies_with_results

from . import (batch_study, cost, double_descent, engine_winner, figures, generic, init_study,
               optimizers, roofline, tables)
from .data import Messages, Study, load_study, requested_study
from .page import write_index
from .peers import load_peers, peer_table
from .provenance import mixing_warning, provenance_row, provenance_table
from .scorecard import GRADIENT_TOLERANCE, MNIST1D_PUBLISHED, scorecard, scorecard_table
from .tables import Table

QUICK = "-quick"  # experiments stores `sweep --quick` smoke runs as <study>-quick


@dataclass
class Section:
    """One study's part of the report; paths are relative to the output folder."""

    study: str
    title: str
    description: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)  # (path, caption)
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Report:
    results: str
    out: Path
    sections: list[Section]
    scorecard: Table | None  # None when no shipped study is reported
    provenance: Table | None
    messages: Messages


class SectionBuilder:
    """Collects one study's figures and tables, guarding each so one failure leaves the rest."""

    def __init__(self, study: Study, out: Path, messages: Messages):
        self.study, self.out, self.messages = study, out, messages
        self.kind = kind_of(study.name)
        quick = " (quick smoke run)" if study.name.endswith(QUICK) else ""
        title = SPECIAL[self.kind].title if self.kind in SPECIAL else self.kind
        description = study.spec.description if study.spec is not None else ""
        self.section = Section(study.name, title + quick, description)
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
        b.figure(f"{name}_loss_vs_seconds.png", f"Loss against training seconds, one line per {by}.",
                 lambda p: cost.loss_against_seconds(b.study, p, by, label,
                                                     f"{title} study: loss against training time"))
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
    engine_winner.add_to_section(b, times)
    b.figure(f"{b.study.name}_roofline.png", "Achieved GFLOP/s against arithmetic intensity, the "
             "measured matmul peak as the ceiling.", lambda p: roofline.roofline(b.study, p))


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


def _generic_section(b: SectionBuilder) -> None:
    """Curves faceted by what the grid varies, and final and best metrics per configuration."""
    varying = b.attempt("the varying factors", lambda: generic.factors(b.study)) or []
    where = generic.layout(b.study, varying)
    if where.x != "epoch" or b.has("curves", "curve figures"):
        for metric in generic.metrics_to_draw(b.study):
            name = generic.figure_name(b.study, metric, where.x)
            caption = (f"{metric.replace('_', ' ')} against {where.x}"
                       + (f", a panel per {' and '.join(k for k in (where.cols, where.rows) if k)}"
                          if where.cols else "")
                       + (f", a colour per {', '.join(where.hue)}" if where.hue else "") + ".")
            b.figure(name, caption[0].upper() + caption[1:],
                     lambda p, metric=metric: generic.draw(b.study, p, metric, where))
    if where.x == "epoch" and b.study.curves is not None and cost.timed(b.study.curves):
        by = where.cols or (where.hue[0] if len(where.hue) == 1 else None)
        b.figure(f"{b.study.name}_loss_vs_seconds.png", "Loss against training seconds"
                 + (f", a line per {by}." if by else "."),
                 lambda p: cost.loss_against_seconds(b.study, p, by, str,
                                                     f"{b.study.name}: loss against training time"))
    b.table("metrics", lambda: generic.metrics_table(b.study, varying))


def _init_section(b: SectionBuilder) -> None:
    name = b.study.name
    if b.has("activations", "activation histograms"):
        for activation in sorted(b.study.activations["activation"].unique()):
            b.figure(f"{name}_histograms_{activation}.png",
                     f"{activation}: each hidden layer's activations at initialization (bars) and "
                     "after training (line), a row per initializer.",
                     lambda p, a=activation: init_study.histogram_grid(b.study, p, a))
        b.table("activation statistics", lambda: init_study.summary_table(b.study))
    if b.has("curves", "training curves"):
        b.figure(f"{name}_curves.png", "Validation loss against epoch and against training "
                 "seconds, a line per initializer, a panel per activation.",
                 lambda p: init_study.training_curves(b.study, p))


def _batch_size_section(b: SectionBuilder) -> None:
    name = b.study.name
    if not b.has("curves", "loss curves"):
        return
    for rule, stem in ((batch_study.FIXED, "fixed_lr"), (batch_study.SCALED, "scaled_lr")):
        b.figure(f"{name}_{stem}.png", f"Validation loss against epoch, optimizer step and training "
                 f"seconds, a line per batch size ({rule}).",
                 lambda p, rule=rule: batch_study.loss_figure(b.study, p, rule))
    b.table("time to target", lambda: batch_study.time_to_target_table(b.study))


def _double_descent_section(b: SectionBuilder) -> None:
    name = b.study.name
    b.figure(f"{name}_width.png", "Final training and test error against width, the "
             "interpolation threshold marked.", lambda p: double_descent.width_figure(b.study, p))
    if b.has("curves", "error-against-epoch figure"):
        b.figure(f"{name}_epochs.png", "Test and training error against epoch for a few widths.",
                 lambda p: double_descent.epoch_figure(b.study, p))
    b.table("errors per width", lambda: double_descent.width_table(b.study))


@dataclass
class Special:
    """A shipped study's own section: its title and the figures beyond the generic ones."""

    title: str
    build: Callable[[SectionBuilder], None]


# Studies with special figures; every other study, shipped or not, gets the generic section.
# The report lists these first, in this order.
SPECIAL: dict[str, Special] = {
    "width": Special("Width", lambda b: _sweep_section(b, "width", lambda w: f"{w} units")),
    "depth": Special("Depth", lambda b: _sweep_section(
        b, "depth", lambda d: f"{d} hidden layer{'' if d == 1 else 's'}")),
    "final": Special("Final model", _final_section),
    "lr": Special("Learning rate", _lr_section),
    "engines": Special("Engines (timing)", _engines_section),
    "classics": Special("Classic tasks", _classics_section),
    "gradcheck": Special("Gradient check", _gradcheck_section),
    "optimizers": Special("Optimizers", optimizers.optimizers_section),
    "mnist1d": Special("MNIST-1D (the paper's table)",
                       lambda b: optimizers.mnist1d_section(b, MNIST1D_PUBLISHED)),
    "init": Special("Initialization", _init_section),
    "batch_size": Special("Batch size", _batch_size_section),
    "double_descent": Special("Double descent in width", _double_descent_section),
}


def shipped_studies() -> list[str]:
    """The studies in ``experiments/studies/``: those with special sections first."""
    names = [path.stem for path in spec_paths()]
    return [name for name in SPECIAL if name in names] + sorted(set(names) - set(SPECIAL))


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
          studies: list[str] | None = None, peers: bool = True, all_runs: bool = False,
          quick: bool = False) -> Report:
    """Build the report for ``studies`` (names or spec paths; default: every shipped study)
    from ``results`` into ``out``.

    ``peers`` adds the peer-baseline table when ``make bench-peers`` has written one;
    ``all_runs`` keeps stored runs that the specs no longer contain; ``quick`` reports the
    ``sweep --quick`` runs (``<study>-quick``).
    """
    out, results = Path(out), str(results)
    clear_previous(out)
    messages = Messages()
    loaded: dict[str, Study] = {}
    shipped = shipped_studies()
    for request in studies or [name + (QUICK if quick else "") for name in shipped]:
        found = requested_study(request, quick, messages)
        if found is None:
            continue
        name, spec = found
        if not studies and spec is not None and not spec.default \
                and name not in studies_with_results(results):
            continue  # kept out of the default sweep (`make sweep STUDY=...`) and not run yet
        if spec is None and kind_of(name) not in shipped and name not in studies_with_results(results):
            messages.warn(f"unknown study '{name}': no spec of that name in experiments/studies "
                          f"({', '.join(shipped)}) and no results in {results}/; give a spec's "
                          "path for a study of your own; left out")
            continue
        study = load_study(name, results, messages, all_runs, spec)
        if study is not None:
            loaded[name] = study

    sections, provenance = [], []
    for name, study in loaded.items():
        builder = SectionBuilder(study, out, messages)
        special = SPECIAL.get(builder.kind)
        (special.build if special else _generic_section)(builder)
        sections.append(builder.section)
        provenance += builder.provenance

    peer_rows = load_peers(results, messages) if peers else None
    if peer_rows is not None:
        section = Section("peers", "Peer baselines (PyTorch, scikit-learn)")
        table = SectionBuilder.attempt_table(messages, "peer table", lambda: peer_table(peer_rows))
        if table is not None:
            section.tables.append(table)
            sections.append(section)

    # The scorecard's claims are the shipped studies'; a report of other studies goes without.
    shipped_loaded = {kind_of(name): study for name, study in loaded.items()
                      if kind_of(name) in SPECIAL}
    card = (scorecard_table(scorecard(shipped_loaded), quick=any(n.endswith(QUICK) for n in loaded))
            if shipped_loaded or not loaded else None)
    provenance_tab = provenance_table(provenance) if provenance else None
    for table in [card] + [t for s in sections for t in s.tables] + [provenance_tab]:
        if table is not None:
            table.write(out / "tables")
    report = Report(results, out, sections, card, provenance_tab, messages)
    write_index(report)
    return report


def terminal_text(report: Report) -> str:
    """Every table as Markdown, for printing after a build."""
    tables_shown = [t for t in [report.scorecard] if t is not None]
    tables_shown += [t for s in report.sections for t in s.tables]
    if report.provenance is not None:
        tables_shown.append(report.provenance)
    return "\n".join(f"## {t.title}\n\n{t.markdown()}\n" for t in tables_shown)
