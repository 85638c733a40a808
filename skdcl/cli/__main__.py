"""``python -m skdcl.cli``: the ``skdcl`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
