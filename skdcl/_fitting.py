"""Fits that are all or nothing, and leave the global random generators alone."""

import functools
import random

import numpy as np

__all__ = ["transactional"]


def transactional(method):
    """Make a fitting method all or nothing, and keep the global random generators as they were.

    When ``method`` raises (or is interrupted), the estimator's attributes are restored as they
    were before the call, and so are the weights of the Keras models it held (those named in
    ``_keras_attributes``): no mixture of old and new fitted state survives to predict. When the
    estimator or the call has a ``random_state``, Python's and NumPy's global generators are
    restored afterwards, since seeding Keras reseeds them (TensorFlow's own global seed cannot
    be restored).

    Parameters
    ----------
    method : callable
        ``fit`` or another method that changes fitted state.

    Returns
    -------
    wrapped : callable
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        weights = _keras_weights(self)
        python_state, numpy_state = random.getstate(), np.random.get_state()
        seeded = (getattr(self, "random_state", None) is not None
                  or kwargs.get("random_state") is not None)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            for model, values in weights:
                model.set_weights(values)
            raise
        finally:
            if seeded:
                random.setstate(python_state)
                np.random.set_state(numpy_state)

    return wrapper


def _keras_weights(estimator):
    models = [estimator.__dict__.get(name) for name in getattr(estimator, "_keras_attributes", ())]
    return [(model, model.get_weights()) for model in models if model is not None]
