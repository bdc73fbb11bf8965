"""The commands' exit statuses, and how every command stops on Ctrl-C or SIGTERM: one line saying what it leaves behind, no
traceback, exit 130 or 143 (the shell's statuses for SIGINT and SIGTERM). Each command's line is
its own (``LEFT_BEHIND`` below, ``nnstudy.cli.LEFT_BEHIND``): a sweep's finished runs
are stored, a report stopped half-way was not written.
"""
from __future__ import annotations

import sys
from typing import Callable

from .backends import Terminated, sigterm_as_interrupt

EXIT_OK, EXIT_FAILED_RUNS, EXIT_USAGE = 0, 1, 2  # usage: bad input; nothing stored is harmed
EXIT_INTERRUPTED = 128 + 2  # the shell's status for a process ended by SIGINT (Ctrl-C)
EXIT_TERMINATED = 128 + 15  # ... and by SIGTERM

# What a command stopped by Ctrl-C or SIGTERM leaves behind: its one line after "interrupted: ".
LEFT_BEHIND = {"sweep": "finished runs are stored; rerun the same command to resume",
               "compact": "compact: nothing lost (a table's shards are replaced by their merge "
                          "only once it is written); rerun to finish",
               "plan": "plan: nothing was changed", "list": "list: nothing was changed",
               "status": "status: nothing was changed"}


def stoppable(call: Callable[[], int], left_behind: str) -> int:
    """``call()``, with Ctrl-C (exit 130) or SIGTERM (143) during it one line saying what it
    leaves behind, no traceback: the one way every command stops."""
    try:
        with sigterm_as_interrupt():
            return call()
    except Terminated:  # kill, a scheduler or CI: stopped like Ctrl-C
        print(f"terminated: {left_behind}", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print(f"interrupted: {left_behind}", file=sys.stderr)
        return EXIT_INTERRUPTED
