"""The study catalog: which studies exist, under which names their results are stored.

A study is a spec: one of the shipped ones (``experiments/studies/*.toml``, found by name) or a
TOML file given by path. Its results live in ``<results>/<name>/``; its ``--quick`` smoke runs
in ``<results>/<name>-quick/`` (``quick_name``), so they never mix with real results. The
default sweep is the shipped specs without ``default = false``. ``list``, ``status``, ``sweep``
and the report ask this module rather than spell these rules themselves.
"""
from __future__ import annotations

import os
from pathlib import Path

from .names import MAX_RUNS, quick_name, split_quick
from .spec import SpecError, load_spec
from .study import Study

STUDIES_DIR = Path(__file__).parent / "studies"


def spec_paths(directory: Path | None = None) -> list[Path]:
    """The shipped specs (``experiments/studies/*.toml``) or those in ``directory``."""
    return sorted(Path(directory or STUDIES_DIR).glob("*.toml"))


def shipped_specs(directory: Path | None = None) -> dict[str, Path]:
    """Shipped spec file stem -> its path (the stem is the name a study is found by)."""
    return {path.stem: path for path in spec_paths(directory)}


def find_study(name_or_path: str, quick: bool = False, directory: Path | None = None,
               max_runs: int = MAX_RUNS) -> Study:
    """A study by spec name (one of the shipped specs) or by path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return load_spec(candidate, quick, max_runs)
    wanted = (name_or_path, quick_name(name_or_path))
    paths = spec_paths(directory)
    by_stem = [path for path in paths if path.stem == name_or_path]
    for path in by_stem + [path for path in paths if path not in by_stem]:
        study = load_spec(path, quick, max_runs)
        if study.name in wanted:
            return study
    names = ", ".join(path.stem for path in paths)
    raise SpecError(f"no study named {name_or_path!r}; shipped studies: {names} "
                    "(or give a path to a .toml spec)")


def default_studies(quick: bool = False, directory: Path | None = None,
                    max_runs: int = MAX_RUNS) -> list[Study]:
    """The shipped studies a plain ``sweep`` runs (those without ``default = false``)."""
    studies = [load_spec(path, quick, max_runs) for path in spec_paths(directory)]
    return [study for study in studies if study.default]


def stored_studies(results: str | os.PathLike) -> list[str]:
    """The names under which ``results`` holds runs (quick ones included), sorted; folders this
    process cannot look into are left out (``inaccessible_studies``)."""
    return study_folders(results)[0]


def inaccessible_studies(results: str | os.PathLike) -> dict[str, str]:
    """The folders of ``results`` this process cannot look into (another user's study, mode
    700), each with a one-line reason naming it."""
    return study_folders(results)[1]


def study_folders(results: str | os.PathLike) -> tuple[list[str], dict[str, str]]:
    """The studies ``results`` holds runs of, sorted, and the folders in it that cannot be
    looked into (another user's, mode 700) with why: ``({name: reason})``."""
    from .store import inaccessible

    root = Path(results)
    if not root.is_dir():
        return [], {}
    readable, closed = [], {}
    for path in sorted(root.iterdir()):
        try:
            if path.is_dir() and (path / "runs").is_dir():
                readable.append(path.name)
        except OSError as error:
            closed[path.name] = inaccessible(path, error)
    return readable, closed


def has_results(results: str | os.PathLike, study: str) -> bool:
    """Whether ``results`` holds runs of ``study``, looking at that study's folder alone; True
    when it cannot be looked into (its reader then names it)."""
    try:
        return (Path(results) / study / "runs").is_dir()
    except OSError:
        return True


def shipped_study_of(stored_name: str, max_runs: int = MAX_RUNS) -> Study | None:
    """The shipped study (its quick variant for ``<name>-quick``) whose results are stored under
    ``stored_name``, or None (a study given by path, or one no longer shipped)."""
    base, quick = split_quick(stored_name)
    if base not in shipped_specs():
        return None
    return find_study(base, quick=quick, max_runs=max_runs)


def load_studies(names: list[str], quick: bool, max_runs: int) -> list[Study]:
    """Every named study (all default ones if none), all validated before anything runs."""
    if not names:
        return default_studies(quick, max_runs=max_runs)
    studies = [find_study(name, quick, max_runs=max_runs) for name in names]
    seen = {}
    for study in studies:
        if study.name in seen and seen[study.name] != study.path:
            raise SpecError(f"{study.path}: name: study name {study.name!r} is also used by "
                            f"{seen[study.name]}; names must be unique")
        seen[study.name] = study.path
    unique = {study.name: study for study in studies}
    return list(unique.values())
