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

__all__ = ["keras", "seed_keras", "EpochProgress", "train", "mean_output_loss", "model_to_bytes",
           "model_from_bytes", "KerasStateMixin"]


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


def mean_output_loss(y_true, y_pred):
    """Loss of trainers whose output already is the per-sample loss (targets are ignored)."""
    return keras.ops.mean(y_pred, axis=-1)


def train(model, loss, x, y, *, valid=None, epochs, batch_size, learning_rate,
          early_stopping=True, patience=3, verbose=0, name="model"):
    """Fit a Keras model with Adam and a cosine-decayed learning rate.

    Parameters
    ----------
    model : keras.Model
    loss : callable or str
        Keras loss.
    x, y : ndarray
        Training inputs and targets.
    valid : tuple (x_valid, y_valid), optional
        Validation data, monitored for early stopping.
    epochs, batch_size : int
    learning_rate : float
        Initial learning rate, decayed to zero along a cosine over all steps.
    early_stopping : bool, default=True
        Stop when the validation loss has not improved for ``patience`` epochs and restore the
        best weights (only with ``valid``).
    patience : int, default=3
    verbose : int, default=0
        Print one line per epoch when > 0.
    name : str, default="model"
        Prefix of the progress lines.

    Returns
    -------
    history : dict of list of float
        ``loss`` per epoch, and ``val_loss`` with ``valid``.
    """
    callbacks = []
    if early_stopping and valid is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=patience,
                                                       restore_best_weights=True))
    if verbose:
        callbacks.append(EpochProgress(name, epochs))
    steps = max(1, epochs * -(-len(x) // batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                        callbacks=callbacks, validation_data=valid)
    return {key: [float(v) for v in values] for key, values in history.history.items()
            if key != "learning_rate"}


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
