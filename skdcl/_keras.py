"""What the Keras estimators share: a base class, seeding, training, progress, serialisation.

Importing this module imports Keras; :mod:`skdcl` loads the modules that need it on first use,
so ``import skdcl`` stays quick.
"""

import io
import logging
import os
import tempfile
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from ._backend import import_keras
from ._compat import Interval, StrOptions
from ._energy_model import LearnedEnergyMixin
from ._logging import progress
from .sites import MAX_STATES

keras = import_keras()
logger = logging.getLogger(__name__)

__all__ = ["keras", "seed_keras", "EpochProgress", "train", "mean_output_loss", "model_to_bytes",
           "model_from_bytes", "KerasStateMixin", "KerasEnergyModel", "validation_split",
           "predict_in_batches"]


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
    """Logs one line per epoch (losses, elapsed time, time left) when ``verbose`` is set.

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
        left = elapsed / (epoch + 1) * (self.n_epochs - epoch - 1)
        progress("training", f"[{self.name}] epoch {epoch + 1}/{self.n_epochs} "
                 f"{' '.join(parts)} ({elapsed:.1f} s, about {left:.0f} s left)", True)


def mean_output_loss(y_true, y_pred):
    """Loss of trainers whose output already is the per-sample loss (targets are ignored)."""
    return keras.ops.mean(y_pred, axis=-1)


def train(model, loss, x, y, *, valid=None, epochs, batch_size, learning_rate,
          early_stopping=True, patience=3, verbose=0, name="model", callbacks=None):
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
    callbacks : list of keras.callbacks.Callback, default=None
        Further callbacks of ``model.fit`` (a TensorBoard log, for instance), called after the
        project's own.

    Returns
    -------
    history : dict of list of float
        ``loss`` per epoch, and ``val_loss`` with ``valid``.
    """
    user_callbacks = list(callbacks or ())
    callbacks = []
    if early_stopping and valid is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=patience,
                                                       restore_best_weights=True))
    if verbose:
        callbacks.append(EpochProgress(name, epochs))
    callbacks += user_callbacks
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


def validation_split(n, fraction, rng):
    """Shuffled training and validation indices (validation None when ``fraction`` gives none).

    Parameters
    ----------
    n : int
        Number of samples.
    fraction : float
        Fraction held out for validation.
    rng : RandomState

    Returns
    -------
    train, valid : ndarray of int or None
    """
    n_valid = int(round(fraction * n))
    order = rng.permutation(n)
    if n_valid == 0 or n_valid >= n:
        return order, None
    return order[n_valid:], order[:n_valid]


def predict_in_batches(model, inputs, batch_size):
    """Outputs of a Keras model over ``inputs`` in batches, float64, flattened per sample."""
    parts = [np.asarray(model.predict_on_batch(inputs[start:start + batch_size]))
             for start in range(0, len(inputs), batch_size)]
    if not parts:
        return np.zeros(0)
    return np.concatenate([p.reshape(len(p), -1) for p in parts]).astype(np.float64).squeeze(-1)


class KerasEnergyModel(LearnedEnergyMixin, KerasStateMixin, BaseEstimator):
    """Base of the estimators whose energy is a Keras network (not meant to be used directly).

    It holds the parameters they share (site variables, training schedule, seed, verbosity)
    with their constraints, the fitted Keras models' pickling, the caches rebuilt on demand,
    and the tags. Subclasses list their own parameters in ``_parameter_constraints`` (merged
    with :attr:`_shared_constraints`) and pass the shared ones to ``super().__init__``.
    """

    _keras_attributes = ("model_",)
    _transient_attributes = ("_cache",)

    _shared_constraints = {
        "kind": [StrOptions({"auto", "ising", "potts"})],
        "q": [None, Interval(Integral, 2, MAX_STATES, closed="both")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [None, list],
    }

    def __init__(self, *, kind, q, epochs, batch_size, learning_rate, validation_fraction,
                 early_stopping, n_iter_no_change, random_state, verbose, callbacks):
        self.kind = kind
        self.q = q
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def _user_callbacks(self):
        """``callbacks``, checked: each must be a Keras callback."""
        callbacks = list(self.callbacks or ())
        for position, callback in enumerate(callbacks):
            if not isinstance(callback, keras.callbacks.Callback):
                raise ValueError(
                    f"callbacks must be a list of keras.callbacks.Callback instances; item "
                    f"{position} is {type(callback).__name__}.")
        return callbacks

    def _train(self, trainer, loss, x, y, valid, **overrides):
        """:func:`train` with the estimator's schedule (``overrides`` replace its values)."""
        settings = dict(epochs=self.epochs, batch_size=self.batch_size,
                        learning_rate=self.learning_rate, early_stopping=self.early_stopping,
                        patience=self.n_iter_no_change, verbose=self.verbose,
                        name=type(self).__name__, callbacks=self._user_callbacks())
        settings.update(overrides)
        return train(trainer, loss, x, y, valid=valid, **settings)

    def _seed_keras(self, rng):
        """Seed Keras from ``rng`` when the estimator has a ``random_state``."""
        return seed_keras(rng if self.random_state is not None else None)

    def _cached(self, key, build):
        """A value rebuilt on demand and left out of pickles (compiled models, kernels)."""
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def _clear_cache(self):
        self.__dict__.pop("_cache", None)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags
