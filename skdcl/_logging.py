"""Progress messages of skdcl, through :mod:`logging`.

Every message goes to a logger under ``skdcl`` (``skdcl.pipeline``, ``skdcl.rnn``, ...) at INFO
level, and only when the estimator's ``verbose`` is set. So that ``verbose=1`` shows progress
with no logging set-up, the ``skdcl`` logger then gets a handler printing to standard output,
unless it already has a handler of its own: give it one (``logging.getLogger("skdcl")``) to
route the messages elsewhere, for instance to a file.
"""

import logging
import sys

__all__ = ["progress"]

_ROOT = "skdcl"


class _StandardOutput(logging.StreamHandler):
    """Writes each record to the standard output of the moment it is emitted."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def progress(name, message, verbose):
    """Log one progress message of ``skdcl.<name>`` when ``verbose`` is set.

    Parameters
    ----------
    name : str
        The part of the package speaking (``"pipeline"``, ``"rnn"``, ``"training"`` ...).
    message : str
        The message, without a trailing newline.
    verbose : int or bool
        The estimator's verbosity; nothing is logged when it is 0.
    """
    if not verbose:
        return
    root = logging.getLogger(_ROOT)
    if not root.handlers:
        handler = _StandardOutput()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger(f"{_ROOT}.{name}").info(message)
