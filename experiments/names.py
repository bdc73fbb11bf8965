"""Study names: where a study's results are stored and which names a spec may take.

A study's results live in ``<results>/<name>/``; its ``--quick`` smoke runs in
``<results>/<name>-quick/`` (``quick_name``), so they never mix with real results.
"""
from __future__ import annotations

QUICK_SUFFIX = "-quick"
# A study name is a folder name: file systems take 255 bytes; this leaves room for the quick
# suffix and for the store's temporary names.
MAX_NAME_LENGTH = 100
MAX_RUNS = 100_000  # a spec expanding to more runs is refused before it is expanded (--max-runs)


def quick_name(name: str) -> str:
    """The name a study's ``--quick`` runs are stored under: ``width`` -> ``width-quick``."""
    return f"{name}{QUICK_SUFFIX}"


def split_quick(stored_name: str) -> tuple[str, bool]:
    """(study name, whether these are its quick runs): ``width-quick`` -> ``("width", True)``."""
    if stored_name.endswith(QUICK_SUFFIX):
        return stored_name[:-len(QUICK_SUFFIX)], True
    return stored_name, False


def name_error(name) -> str | None:
    """What is wrong with a spec's ``name``, or None: it must be a folder name of letters, digits,
    - and _, not longer than MAX_NAME_LENGTH, and not end in the quick suffix (which would store
    into another study's quick results)."""
    if not (isinstance(name, str) and name and all(ch.isalnum() or ch in "-_" for ch in name)):
        return f"must be a non-empty string of letters, digits, - and _, got {name!r}"
    if len(name) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters, got {len(name)}"
    if split_quick(name)[1]:
        return (f"must not end in {QUICK_SUFFIX!r}: `sweep --quick` stores a study's smoke runs "
                f"under that name; got {name!r}")
    return None
