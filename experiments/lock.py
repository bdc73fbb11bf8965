"""One sweep per study at a time: an exclusive ``flock`` on ``results/<study>/.sweep.lock``.

Two sweeps of one study would both run every pending run (they store no duplicates, but the
second does all the work again), so a sweep holds its studies' locks from choosing the runs to do
until it has stored them. The operating system releases a ``flock`` when its process ends, however
it ends (``kill -9`` included), so the lock file a dead sweep leaves behind never blocks; only a
live holder does. The holder writes its pid and host into the file, for the message a second
sweep prints. The descriptor is not inherited by worker processes (Python opens files
close-on-exec), so a worker outliving its sweep does not hold the lock either.
"""
from __future__ import annotations

import fcntl
import os
import socket
import sys
import time
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Callable, Iterable, Iterator

LOCK_NAME = ".sweep.lock"
# A holder writes its pid right after taking the lock; a reader that finds the file still empty
# looks again for this long before naming "another process".
HOLDER_READ_S = 0.5


class StudyBusy(RuntimeError):
    """Another live process is sweeping the study; the message names it and the lock file."""


def lock_path(results: str | os.PathLike, study: str) -> Path:
    return Path(results) / study / LOCK_NAME


def holder(path: Path) -> str:
    """Who holds the lock at ``path``, as its file says: ``process 1234 on host``."""
    deadline = time.monotonic() + HOLDER_READ_S
    while True:
        try:
            pid, host = path.read_text().split()[:2]
            return f"process {int(pid)} on {host}"
        except (OSError, ValueError):
            if time.monotonic() >= deadline:
                return "another process"
            time.sleep(0.02)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def study_lock(results: str | os.PathLike, study: str, wait: bool = False,
               on_wait: Callable[[str], None] = _say) -> Iterator[None]:
    """Hold ``study``'s sweep lock in ``results``; raises ``StudyBusy`` naming the holder if
    another process holds it, or with ``wait`` says so through ``on_wait`` and blocks until it
    is released.

    Where the lock file cannot be created (a results folder that is read-only, or a file), no
    lock is taken: this sweep cannot store anything there either, and says so itself if it has
    runs to do.
    """
    path = lock_path(results, study)
    created = [folder for folder in (Path(results), path.parent) if not folder.exists()]
    try:
        descriptor = _locked(path, study, wait, on_wait)
    except OSError:
        yield
        return
    try:
        # Who holds it is only for another sweep's message: a full disk leaves the file empty
        # (that sweep then says "another process"), it does not stop this one.
        with suppress(OSError):
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        _tidy(path, created)
        os.close(descriptor)  # releases the lock


def _locked(path: Path, study: str, wait: bool, on_wait: Callable[[str], None]) -> int:
    """A descriptor of the lock file at ``path``, locked; OSError if it cannot be created."""
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                message = (f"study {study!r} is being swept by {holder(path)} (lock: {path}); "
                           "let it finish, or pass --wait to start when it does")
                os.close(descriptor)
                raise StudyBusy(message) from None
            on_wait(f"waiting for {holder(path)}, which is sweeping {study!r} ...")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        # The holder before us may have removed the file (``_tidy``) while we waited for it: a
        # lock on a removed file excludes nobody, so lock the file now at ``path`` instead.
        try:
            if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                return descriptor
        except FileNotFoundError:
            pass
        os.close(descriptor)


def _tidy(path: Path, created: list[Path]) -> None:
    """Remove the lock file, and the folders this sweep created for it if it stored nothing
    there, so that a sweep leaves no file of its own behind (called holding the lock; a process
    waiting on the removed file sees its inode gone and locks the path afresh, ``_locked``)."""
    try:
        path.unlink()
        for folder in reversed(created):
            folder.rmdir()
    except OSError:  # stored runs there (the folder is not empty), or another process's file
        pass


@contextmanager
def study_locks(results: str | os.PathLike, studies: Iterable[str], wait: bool = False,
                on_wait: Callable[[str], None] = _say) -> Iterator[None]:
    """Hold the sweep lock of every study, taken in name order (so two sweeps waiting for each
    other's studies cannot deadlock)."""
    with ExitStack() as stack:
        for study in sorted(set(studies)):
            stack.enter_context(study_lock(results, study, wait, on_wait))
        yield
