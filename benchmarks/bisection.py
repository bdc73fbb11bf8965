"""The first commit at which a benchmark got slower: a binary search over first-parent commits.

Each step checks one commit out and compares it side by side with GOOD (``benchmarks.compare``,
same selection and options); "bad" means the comparison reports a benchmark slower. A commit whose
benchmarks cannot run is skipped, as ``git bisect skip`` would, and the search goes on among the
others. GOOD stays checked out for the whole search.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from benchmarks import gitrepo
from benchmarks.compare import Options, compare_sides
from benchmarks.rounds import CannotRun


@dataclass
class Bisection:
    """``first_slower`` is the first slower commit (None when BAD is not slower than GOOD);
    ``candidates`` is more than one commit when skipped commits hide which one it is."""

    commits: list[str]
    first_slower: str | None = None
    candidates: list[str] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)   # (commit, "slower"/"same"/"cannot run")


def search(commits: list[str], is_slower: Callable[[str], bool | None]) -> Bisection:
    """Binary search for the first slower commit of ``commits`` (oldest first; the last one is BAD,
    tested first). ``is_slower`` returns None for a commit that cannot run."""
    result = Bisection(commits)

    def test(commit: str) -> bool | None:
        answer = is_slower(commit)
        result.steps.append((commit, {True: "slower", False: "same", None: "cannot run"}[answer]))
        return answer

    last = test(commits[-1])
    if last is None:
        raise CannotRun(f"BAD {commits[-1][:10]}'s benchmarks do not run: nothing to bisect against")
    if not last:
        return result
    good, bad = -1, len(commits) - 1          # indices: good is "before the first commit"
    skipped: set[int] = set()
    while True:
        untested = [i for i in range(good + 1, bad) if i not in skipped]
        if not untested:
            break
        middle = untested[len(untested) // 2]
        answer = test(commits[middle])
        if answer is None:
            skipped.add(middle)
        elif answer:
            bad = middle
        else:
            good = middle
    result.candidates = [commits[i] for i in range(good + 1, bad + 1)]
    result.first_slower = commits[bad] if len(result.candidates) == 1 else None
    return result


def bisect(root: Path, good_ref: str, bad_ref: str, options: Options, noise_path: Path | None = None,
           log: Callable[[str], None] = print) -> Bisection:
    """Bisect the first-parent commits after ``good_ref`` up to ``bad_ref``; ``log`` gets one line a step."""
    good, bad = gitrepo.resolve(root, good_ref), gitrepo.resolve(root, bad_ref)
    commits = gitrepo.first_parent_commits(root, good, bad)
    if not commits:
        raise gitrepo.BadInput(f"no commit between GOOD {good_ref!r} and BAD {bad_ref!r}: give GOOD older than BAD")
    log(f"bisecting {len(commits)} first-parent commits after {good[:10]} up to {bad[:10]}")
    with gitrepo.worktree(root, good, "base") as base:
        def is_slower(commit: str) -> bool | None:
            try:
                with gitrepo.worktree(root, commit, "head") as head:
                    outcome = compare_sides(base, head, options, noise_path)
            except CannotRun as problem:
                log(f"  {commit[:10]} cannot run: {problem}")
                return None
            verdicts = "; ".join(f"{c.benchmark.split('::')[-1]} {c.metric} {c.verdict} x{c.ratio:.2f} "
                                 f"(raw x{c.raw_ratio:.2f}, fastest x{c.fastest_ratio:.2f})" for c in outcome.comparisons
                                 if c.metric == "time_s" or c.verdict == "slower")
            log(f"  {commit[:10]} {gitrepo.subject(root, commit)[:60]!r}: "
                + ("slower" if outcome.slower else "not slower") + f" ({verdicts})")
            return bool(outcome.slower)

        return search(commits, is_slower)
