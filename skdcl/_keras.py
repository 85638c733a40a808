"""Keras plumbing shared by the learned energy models: seeding, progress, serialisation.

Importing this module imports Keras, so the public modules import it lazily (inside ``fit``)
where they can, and ``import skdcl`` stays quick.
"""

import io
import os
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402

__all__ = ["keras", "seed_keras", "EpochProgress", "model_to_bytes", "model_from_bytes",
           "KerasStateMixin"]


def seed_keras(random_state):
    """Seed Keras (Python, NumPy and backend generators) from ``random_state``.

    With ``random_state=None`` nothing is seeded and training is not reproducible. With an int
    or a RandomState, a seed is drawn from it and TensorFlow's op determinism is switched on so
    that the same ``random_state`` gives the same fitted model.

    Returns
    -------
    seed : int or None
        The seed used, or None.
    """
    if random_state is None:
        return None
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed


class EpochProgress(keras.callbacks.Callback):
    """Prints one line per epoch (loss, validation loss, elapsed time) when ``verbose`` is set.

    Parameters
    ----------
    name : str
        Prefix of each line, e.g. the estimator's class name.
    n_epochs : int
        Total number of epochs, for the ``epoch k/n`` display.
    """

    def __init__(self, name, n_epochs):
        super().__init__()
        self.name = name
        self.n_epochs = n_epochs
        self._start = None

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = [f"{key}={value:.5g}" for key, value in sorted(logs.items())
                 if np.isscalar(value) and key != "learning_rate"]
        elapsed = time.perf_counter() - self._start
        print(f"[{self.name}] epoch {epoch + 1}/{self.n_epochs} {' '.join(parts)} "
              f"({elapsed:.1f} s)", flush=True)


def model_to_bytes(model):
    """Serialise a Keras model (architecture and weights) to bytes in the ``.keras`` format."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def model_from_bytes(data):
    """Inverse of :func:`model_to_bytes`."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else io.BytesIO(data).getvalue())
        return keras.saving.load_model(path, compile=False)


class KerasStateMixin:
    """Pickle support for estimators that hold fitted Keras models in attributes.

    Subclasses list the attribute names in ``_keras_attributes``; each model is stored in the
    ``.keras`` format inside the pickle and rebuilt on load, so fitted estimators survive
    ``pickle``, ``joblib`` workers and ``clone`` of their parameters. Attributes named in
    ``_transient_attributes`` (caches such as compiled evaluation functions, rebuilt on demand)
    are left out of the pickle.
    """

    _keras_attributes = ()
    _transient_attributes = ()

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        state = {key: value for key, value in state.items()
                 if key not in self._transient_attributes}
        for name in self._keras_attributes:
            if state.get(name) is not None:
                state[name] = _SerialisedModel(model_to_bytes(state[name]))
        return state

    def __setstate__(self, state):
        state = dict(state)
        for name in self._keras_attributes:
            if isinstance(state.get(name), _SerialisedModel):
                state[name] = model_from_bytes(state[name].data)
        if hasattr(super(), "__setstate__"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)


class _SerialisedModel:
    """A Keras model saved as ``.keras`` bytes inside a pickle."""

    def __init__(self, data):
        self.data = data
