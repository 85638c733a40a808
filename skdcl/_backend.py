"""Keras and its backend, imported quietly.

TensorFlow prints C++ log lines when it loads (oneDNN notices, and an ``E0000`` line about an
attribute ``use_unbounded_threadpool`` that looks like an error and is not one). skdcl silences
them unless the user asks for them: set ``TF_CPP_MIN_LOG_LEVEL`` yourself (``0`` shows all) or
``SKDCL_BACKEND_LOGS=1`` to see the backend's own output.
"""

import os
import sys

__all__ = ["import_keras"]


def import_keras():
    """Import Keras (TensorFlow backend by default) without the backend's start-up noise.

    Returns
    -------
    keras : module
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    quiet = ("TF_CPP_MIN_LOG_LEVEL" not in os.environ
             and os.environ.get("SKDCL_BACKEND_LOGS", "0") in ("", "0"))
    if not quiet:
        import keras

        return keras
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with _stderr_silenced():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow  # noqa: F401  (its C++ runtime logs on first import)
    return keras


class _stderr_silenced:
    """Send the process's standard error (file descriptor 2) to the null device meanwhile.

    Python-level errors raised inside still propagate; only what C++ code writes is lost.
    """

    def __enter__(self):
        sys.stderr.flush()
        self._saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        return False
