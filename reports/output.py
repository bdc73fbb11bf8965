"""The report's output folder, written so that it never loses a user's files or half a report.

- A build writes everything into a fresh folder beside the target (``.<out>.building-<pid>``)
  and swaps it in at the end, so a reader sees the old report whole or the new one whole; a build
  that raises or is killed leaves the old report as it was.
- It leaves a manifest (``MANIFEST``) listing the files it wrote; the next build deletes only
  those. A folder whose ``figures/`` or ``tables/`` hold files that no build wrote, and no
  manifest, is refused (``OutputError``): they may be a paper's figures.
- A report built before manifests existed is recognised by its ``index.html``: the files it links
  are the build's.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
from pathlib import Path

MANIFEST = ".nnstudy-report-manifest.json"
INDEX = "index.html"
REPORT_FOLDERS = ("figures", "tables")
OLD_INDEX_MARK = "<title>nnstudy report</title>"  # what every index.html the report wrote holds


class OutputError(ValueError):
    """An output folder the report must not write into; the message is one line for the user."""


def _safe(names) -> set[str]:
    """Only relative names inside the output folder: a manifest never makes a build delete
    anything elsewhere."""
    return {name for name in names if isinstance(name, str) and not Path(name).is_absolute()
            and ".." not in Path(name).parts}


def _files(folder: Path) -> set[str]:
    """Every file under ``folder``, as paths relative to it (posix)."""
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def _old_build_files(out: Path) -> set[str]:
    """Files a build from before manifests wrote: its ``index.html`` and every file it links."""
    index = out / INDEX
    try:
        text = index.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    if OLD_INDEX_MARK not in text:
        return set()
    return {INDEX} | _safe(re.findall(r"(?:src|href)='([^'#:]+)'", text))


def previous_files(out: Path) -> set[str]:
    """The files an earlier build wrote into ``out`` (empty for a new folder).

    Raises ``OutputError`` when ``out`` is a file, or when it holds report files (``index.html``,
    ``figures/``, ``tables/``) that no earlier build wrote and has no manifest.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder; give a folder for the report "
                          "(it gets index.html, figures/ and tables/)")
    if not out.exists():
        return set()
    try:
        return _safe(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise OutputError(f"--out {out}: its {MANIFEST} cannot be read ({error}); remove it, or "
                          "give another folder") from None
    previous = _old_build_files(out)
    ours = {INDEX} if (out / INDEX).exists() else set()
    for folder in REPORT_FOLDERS:
        if (out / folder).is_dir():
            ours |= {f"{folder}/{name}" for name in _files(out / folder)}
    foreign = sorted(ours - previous)
    if foreign:
        raise OutputError(f"--out {out} holds {len(foreign)} file(s) no report build wrote (e.g. "
                          f"{foreign[0]}) and no {MANIFEST}; give a new or empty folder, or move "
                          "them, so that the build cannot overwrite or delete them")
    return previous


def staging_folder(out: Path) -> Path:
    """A fresh, empty folder beside ``out`` for this build (stale ones of killed builds go)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.building-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return staging


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                     rename_exchange) == 0


def _only_ours(out: Path, previous: set[str]) -> bool:
    """Whether ``out`` holds nothing but an earlier build's files (then it is swapped whole), and
    is not the working folder or one of its parents."""
    if Path.cwd().resolve().is_relative_to(out):
        return False
    return _files(out) <= previous | {MANIFEST}


def commit(staging: Path, out: Path, previous: set[str]) -> None:
    """Put the build in ``staging`` in place of ``out``'s previous report.

    A folder of only report files is swapped whole (atomically where the system can). A folder
    that also holds the user's files gets the new files first, then ``index.html`` by one rename,
    and only then loses the previous build's files that the new one no longer has.
    """
    written = _files(staging) - {MANIFEST}
    write_atomically(staging / MANIFEST, json.dumps({"written_by": "python -m reports build",
                                                     "files": sorted(written)}, indent=1))
    out = out.resolve()
    if not out.exists():
        os.rename(staging, out)
        return
    if _only_ours(out, previous):
        if not _exchange(staging, out):
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.rename(out, old)
            os.rename(staging, out)
            staging = old
        shutil.rmtree(staging, ignore_errors=True)
        return
    for name in sorted(written - {INDEX}):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, out / name)
    os.replace(staging / INDEX, out / INDEX)
    os.replace(staging / MANIFEST, out / MANIFEST)
    for name in sorted(previous - written - {INDEX}):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
