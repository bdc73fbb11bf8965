"""The commands' exit statuses and the one way a command stops: Ctrl-C or SIGTERM during it is one
line saying what it leaves behind, never a traceback."""
from __future__ import annotations

import sys
from typing import Callable

from .backends import Terminated, sigterm_as_interrupt

EXIT_OK, EXIT_FAILED_RUNS, EXIT_USAGE = 0, 1, 2
EXIT_TERMINATED = 128 + 15  # the shell's status for a process ended by SIGTERM
EXIT_INTERRUPTED = 128 + 2  # ... and by SIGINT (Ctrl-C)


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
