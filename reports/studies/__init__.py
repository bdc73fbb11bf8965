"""The study sections: one module (or package) per study with its own figures, tables and claims.

A spec binds one with ``[report] section = "<module name>"``. A section module defines

- ``TITLE``: the section's heading;
- ``section(b)`` (optional): draws its figures and writes its tables through ``b``, a
  ``reports.sections.SectionBuilder`` (what it adds to the generic section);
- ``CLAIMS`` (optional): a tuple of ``reports.claims.Check``, each with a stable id;
- ``ORDER`` (optional): where the section comes in the report and the scorecard (low first);
- ``LABELS`` (optional): factor -> ``label(value)``, how the generic figures name that factor's
  lines (``{"width": lambda width: f"{width} units"}``).

Sections are found by listing this package's path (``pkgutil.iter_modules`` over ``__path__``),
so adding a study with its own figure and claim is its TOML plus its module here; no list to
edit. Modules whose names start with ``_`` are shared helpers, not sections.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

LAST = 1000  # ORDER of a section module that gives none


@dataclass(frozen=True)
class StudySection:
    """A discovered section module, as the report uses it."""

    name: str
    title: str
    build: Callable | None  # None: the module adds only claims or labels
    claims: tuple
    order: int = LAST
    labels: dict = field(default_factory=dict)  # factor -> label(value), for the generic figures


def _section_of(name: str) -> StudySection:
    module = importlib.import_module(f"{__name__}.{name}")
    if not hasattr(module, "TITLE"):
        raise AttributeError(f"section module {module.__name__} defines no TITLE")
    return StudySection(name, module.TITLE, getattr(module, "section", None), tuple(getattr(module, "CLAIMS", ())),
                        getattr(module, "ORDER", LAST), dict(getattr(module, "LABELS", {})))


def discover() -> tuple[dict[str, StudySection], list[str]]:
    """Every section module on this package's path, in report order, and one sentence per
    module that could not be used (it is then left out; the rest of the report builds)."""
    found, problems = {}, []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        try:
            found[info.name] = _section_of(info.name)
        except Exception as error:  # a broken section must not cost the whole report
            problems.append(f"section module '{info.name}' cannot be used "
                            f"({type(error).__name__}: {error}); its studies get the generic section")
    ordered = sorted(found.values(), key=lambda section: (section.order, section.name))
    return {section.name: section for section in ordered}, problems
