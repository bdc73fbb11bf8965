"""``python -m nnstudy``: the same as the ``nnstudy`` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
