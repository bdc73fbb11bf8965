"""The git side of a comparison: resolve commits, check them out into temporary worktrees, list the
first-parent commits between two of them. Every failure a user can cause is a ``BadInput``."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class BadInput(Exception):
    """A command's input is wrong (an unknown commit, no repository, a selection matching nothing):
    the message is one line that names it and what would be right."""


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a commit checked out at ``path`` (``dirty``: the working tree as
    it is, uncommitted changes included, on top of ``commit``)."""

    label: str          # "base" or "head"
    commit: str         # 40 hex digits
    path: Path
    dirty: bool = False

    @property
    def short(self) -> str:
        return self.commit[:10] + ("+dirty" if self.dirty else "")


def git(root: Path, *args: str) -> str:
    """``git -C root args...``'s stdout, stripped; raises CalledProcessError on failure."""
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def repo_root(folder: Path | str = ".") -> Path:
    try:
        return Path(git(Path(folder), "rev-parse", "--show-toplevel"))
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise BadInput(f"{Path(folder).resolve()} is not inside a git repository: run the command "
                       "from a checkout of the project") from None


def resolve(root: Path, ref: str) -> str:
    """The full hash of commit ``ref`` (a hash, branch, tag, HEAD~3, ...)."""
    try:
        return git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError:
        raise BadInput(f"commit {ref!r} is unknown to the repository at {root}: give a hash, "
                       "branch or tag that `git rev-parse` knows") from None


def subject(root: Path, commit: str) -> str:
    return git(root, "show", "-s", "--format=%s", commit)


def commit_date(root: Path, commit: str) -> str:
    """The committer date, ISO 8601."""
    return git(root, "show", "-s", "--format=%cI", commit)


def is_dirty(root: Path) -> bool:
    """Whether tracked files differ from HEAD (untracked files do not count)."""
    return bool(git(root, "status", "--porcelain", "--untracked-files=no"))


def first_parent_commits(root: Path, good: str, bad: str) -> list[str]:
    """Commits after ``good`` up to and including ``bad`` on ``bad``'s first-parent line, oldest first."""
    try:
        git(root, "merge-base", "--is-ancestor", good, bad)
    except subprocess.CalledProcessError:
        raise BadInput(f"GOOD {good[:10]} is not an ancestor of BAD {bad[:10]}: give GOOD older than BAD") from None
    listed = git(root, "rev-list", "--first-parent", "--reverse", f"{good}..{bad}")
    return listed.split() if listed else []


def working_tree(root: Path, label: str = "head") -> Side:
    """The checkout itself as it is: HEAD plus any uncommitted change."""
    return Side(label, resolve(root, "HEAD"), root, is_dirty(root))


@contextlib.contextmanager
def worktree(root: Path, commit: str, label: str):
    """A temporary detached git worktree of ``commit``, removed afterwards; yields its ``Side``."""
    folder = Path(tempfile.mkdtemp(prefix=f"nnstudy-bench-{label}-"))
    path = folder / commit[:10]
    git(root, "worktree", "add", "--detach", "--quiet", str(path), commit)
    try:
        yield Side(label, commit, path)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            git(root, "worktree", "remove", "--force", str(path))
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            git(root, "worktree", "prune")
