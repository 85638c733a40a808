"""The few private scikit-learn helpers skdcl relies on, imported in one place."""

from sklearn.base import _fit_context as fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

__all__ = ["fit_context", "HasMethods", "Interval", "StrOptions", "validate_data"]
