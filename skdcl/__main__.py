"""``python -m skdcl``: the ``skdcl`` command (see :mod:`skdcl.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
