"""The few private scikit-learn helpers skdcl relies on, imported in one place."""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

__all__ = ["_fit_context", "Interval", "StrOptions", "validate_data"]
