"""Build the report: load each study, build its section, write the tables, then ``index.html``.

Layout of the output folder::

    index.html          everything, opens from disk (relative links only)
    figures/*.png|gif   one file per figure
    tables/*.md|html    one pair per table

Each study gets the generic section (``reports.generic``) and, when its spec binds one with
``[report] section = "<name>"``, what that study module (``reports.studies.<name>``) adds; a spec
with ``[search]`` gets the search section (``SEARCH_SECTION``) whether it names it or not, one with
``[resolve]`` the resolve section (``RESOLVE_SECTION``). Every
step is guarded: a study or figure that cannot be made becomes a message and the rest builds.
The folder is written as ``reports.output`` says: beside the target, then swapped in.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from experiments import catalog

from . import generic
from .data import Messages, StudyResults, is_quick, load_study, quick_name, quick_rule, requested_study
from .output import commit, previous_files, staging_folder
from .page import write_index
from .peers import load_peers, peer_table
from .perf_history import history_section
from .provenance import provenance_table
from .figure_cache import FigureCache
from .fill_hints import with_fill_hints
from .scorecard import scorecard, scorecard_table
from .section_pool import build_sections
from .sections import Section, SectionBuilder
from .studies import LAST, StudySection, discover
from .tables import Table


@dataclass
class Report:
    results: str
    out: Path
    sections: list[Section]
    scorecard: Table | None  # None when no study bound to a section with claims is reported
    provenance: Table | None
    messages: Messages


SEARCH_SECTION = "search"  # the section every spec with [search] gets
RESOLVE_SECTION = "resolve"  # the section every spec with [resolve] gets


def shipped_studies() -> list[str]:
    """The studies in ``experiments/studies/`` (the report orders them by their sections)."""
    return list(catalog.shipped_specs())


def bound_section(study: StudyResults, sections: dict[str, StudySection],
                  messages: Messages) -> StudySection | None:
    """The section module the study's spec names in ``[report] section`` (None: generic only);
    an unknown name is a warning naming the spec and the valid sections."""
    name = study.report_options.get("section")
    if name is None or name in sections:
        return sections.get(name)
    where = study.spec.path if study.spec is not None else study.name
    messages.warn(f"spec {where}: [report] section = '{name}' is not a study section (valid: "
                  f"{', '.join(sections)}); the study gets the generic section only")
    return None


def study_sections(study: StudyResults, named: StudySection | None,
                   sections: dict[str, StudySection]) -> list[StudySection]:
    """The special parts of a study's section: the one its spec names, and the search section
    for a spec with ``[search]`` (named or not)."""
    found = [named] if named is not None else []
    searched = study.spec is not None and study.spec.search is not None
    if searched and SEARCH_SECTION in sections and all(s.name != SEARCH_SECTION for s in found):
        found.append(sections[SEARCH_SECTION])
    return found + _resolve_section(study, sections, found)


def _resolve_section(study: StudyResults, sections: dict[str, StudySection],
                     found: list[StudySection]) -> list[StudySection]:
    """The resolve section for a spec with ``[resolve]`` (named or not)."""
    resolving = study.spec is not None and study.spec.resolve is not None
    if resolving and RESOLVE_SECTION in sections and all(s.name != RESOLVE_SECTION for s in found):
        return [sections[RESOLVE_SECTION]]
    return []


def _leading(specials: list[StudySection]) -> list[StudySection]:
    """The special parts that title and place a study's section: not the resolve part, which
    adds to whatever section a study has."""
    return [special for special in specials if special.name != RESOLVE_SECTION]


def build_section(study: StudyResults, out: Path, messages: Messages,
                  specials: list[StudySection], cache: FigureCache | None = None) -> SectionBuilder:
    """The study's section: the special parts (if any) first, then the generic one, drawn with
    the special parts' labels (``LABELS``); figures whose inputs are unchanged come from ``cache``."""
    leading = _leading(specials)
    title = leading[0].title if leading else quick_rule(study.name)[0]
    builder = SectionBuilder(study, out, messages, title, cache)
    for special in specials:
        builder.labels.update(special.labels)
        if special.build is not None:
            builder.attempt(f"section '{special.name}'", lambda special=special: special.build(builder))
            # its own part says what it shows and needs (the resolve part adds to any study)
            builder.quiet = builder.quiet or special in leading
    generic.section(builder)
    return builder


def _wanted(request: str, quick: bool, results: str, explicit: bool, shipped: list[str],
            messages: Messages) -> tuple[str, object, str | None] | None:
    """(results name, spec, spec path as given) for one requested study, or None to skip it."""
    found = requested_study(request, quick, messages)
    if found is None:
        return None
    name, spec = found
    stored = catalog.has_results(results, name)  # this study's folder only: never the others'
    if not explicit and spec is not None and not spec.default and not stored:
        return None  # kept out of the default sweep (`make sweep STUDY=...`) and not run yet
    if spec is None and quick_rule(name)[0] not in shipped and not stored:
        messages.warn(f"unknown study '{name}': no spec of that name in experiments/studies "
                      f"({', '.join(shipped)}) and no results in {results}/; give a spec's "
                      "path for a study of your own; left out")
        return None
    return name, spec, request if request.endswith(".toml") else None


def load_studies(results: str, studies: list[str] | None, quick: bool, all_runs: bool,
                 messages: Messages) -> dict[str, StudyResults]:
    shipped = shipped_studies()
    loaded: dict[str, StudyResults] = {}
    for request in studies or [quick_name(name) if quick else name for name in shipped]:
        wanted = _wanted(request, quick, results, bool(studies), shipped, messages)
        if wanted is not None:
            name, spec, spec_path = wanted
            study = load_study(name, results, messages, all_runs, spec, spec_path)
            if study is not None:
                loaded[name] = study
    return loaded


def _peer_section(results: str, messages: Messages) -> Section | None:
    peer_rows = load_peers(results, messages)
    if peer_rows is None:
        return None
    table = SectionBuilder.attempt_table(messages, "peer table", lambda: peer_table(peer_rows))
    if table is None:
        return None
    return Section("peers", "Peer baselines (PyTorch, scikit-learn)", tables=[table])


def _build_into(out: Path, results: str, studies: list[str] | None, peers: bool, all_runs: bool,
                quick: bool, history: Path | None, cache: FigureCache | None = None,
                jobs: int = 1) -> Report:
    messages = Messages()
    sections, problems = discover()
    for problem in problems:
        messages.warn(problem)
    loaded = load_studies(results, studies, quick, all_runs, messages)
    named = {name: bound_section(study, sections, messages) for name, study in loaded.items()}
    specials = {name: study_sections(study, named[name], sections) for name, study in loaded.items()}
    if not studies:  # the default report: sections in their modules' order, the rest by name
        order = {name: (_leading(specials[name])[0].order if _leading(specials[name]) else LAST + 1,
                        name) for name in loaded}
        loaded = dict(sorted(loaded.items(), key=lambda item: order[item[0]]))
    built = build_sections(build_section, list(loaded.values()), [specials[name] for name in loaded],
                           out, messages, cache, jobs)
    report_sections = [section for section, _ in built]
    provenance = [row for _, rows in built for row in rows]
    peer_section = _peer_section(results, messages) if peers else None
    if peer_section is not None:
        report_sections.append(peer_section)
    perf_section = history_section(history, out, messages) if history is not None else None
    if perf_section is not None:
        report_sections.append(perf_section)
    bound: dict[str, StudyResults] = {}
    for name, study in loaded.items():
        if named[name] is not None:  # named by its spec: its claims are the scorecard's
            bound.setdefault(named[name].name, study)
            bound.setdefault(quick_rule(name)[0], study)  # a claim that names its study
    judged = any(map(is_quick, loaded)) or quick
    card = (scorecard_table(with_fill_hints(scorecard(bound, sections), sections, set(bound), results, judged),
                            quick=any(map(is_quick, loaded)))
            if bound or not loaded else None)
    provenance_tab = provenance_table(provenance) if provenance else None
    for table in [card] + [t for s in report_sections for t in s.tables] + [provenance_tab]:
        if table is not None:
            table.write(out / "tables")
    report = Report(results, out, report_sections, card, provenance_tab, messages)
    write_index(report)
    if cache is not None:
        cache.write()
    return report


def build(results: str | Path = "results", out: str | Path = "reports/out",
          studies: list[str] | None = None, peers: bool = True, all_runs: bool = False,
          quick: bool = False, history: str | Path | None = None, jobs: int = 1) -> Report:
    """Build the report for ``studies`` (names or spec paths; default: every shipped study)
    from ``results`` into ``out``.

    ``peers`` adds the peer-baseline table when ``make bench-peers`` has written one;
    ``all_runs`` keeps stored runs that the specs no longer contain; ``quick`` reports the
    ``sweep --quick`` runs (``<study>-quick``); ``history`` adds the performance-history section
    from that benchmark history (``benchmarks.history``) when it exists; ``jobs`` > 1 draws the
    study sections in that many worker processes (``reports.section_pool``). Raises ``reports.output.OutputError`` (before
    anything is written) for an ``out`` that is a file or holds files no build wrote.
    """
    out = Path(out)
    previous = previous_files(out)
    staging = staging_folder(out)
    try:
        cache = FigureCache(out if out.is_dir() else None, previous, staging)
        report = _build_into(staging, str(results), studies, peers, all_runs, quick,
                             Path(history) if history is not None else None, cache, jobs)
        commit(staging, out, previous)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.out = out
    return report


def terminal_text(report: Report) -> str:
    """Every table as Markdown, for printing after a build."""
    tables_shown = [t for t in [report.scorecard] if t is not None]
    tables_shown += [t for s in report.sections for t in s.tables]
    if report.provenance is not None:
        tables_shown.append(report.provenance)
    return "\n".join(f"## {t.title}\n\n{t.markdown()}\n" for t in tables_shown)
