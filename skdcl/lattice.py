"""Lattice shapes, validation of snapshot arrays and orderings.

Symmetry groups of lattices live in :mod:`skdcl.symmetry`, site variables (what one site holds)
in :mod:`skdcl.sites`.

Snapshots are stored as ``int8`` arrays of shape ``(n_samples, Ly, Lx)`` on a periodic lattice.
"""

import numbers

import numpy as np
import scipy.sparse as sp

#: Most sites of one lattice (a configuration of int8 values is then 1 GiB).
MAX_SITES = 2**30

__all__ = [
    "MAX_SITES",
    "check_snapshots",
    "check_temperature",
    "check_count",
    "check_observation_temperature",
    "check_lattice_size",
    "ordering_permutation",
    "unwrap",
    "rewrap",
]


def check_lattice_size(L, name="L"):
    """Validate a lattice size and return it as a ``(Ly, Lx)`` tuple.

    Parameters
    ----------
    L : int or tuple of two ints
        Side of a square lattice, or ``(Ly, Lx)`` for a rectangular one. Each side must be >= 2.
    name : str, default="L"
        Name of the argument, used in error messages.

    Returns
    -------
    shape : tuple of int
        ``(Ly, Lx)``.

    Examples
    --------
    >>> check_lattice_size(8)
    (8, 8)
    >>> check_lattice_size((4, 6))
    (4, 6)
    """
    sides = (L, L) if _is_integer(L) else tuple(L) if isinstance(L, (tuple, list)) else None
    if sides is None or len(sides) != 2 or not all(_is_integer(s) for s in sides):
        raise ValueError(f"{name} must be an int or a pair of ints (Ly, Lx), got {L!r}.")
    if min(sides) < 2:
        raise ValueError(f"{name} must be at least 2 along each side, got {L!r}.")
    if int(sides[0]) * int(sides[1]) > MAX_SITES:
        raise ValueError(f"{name} gives {int(sides[0]) * int(sides[1])} sites, more than the "
                         f"{MAX_SITES} a lattice may have, got {L!r}.")
    return int(sides[0]), int(sides[1])


def check_temperature(T, name="T"):
    """Validate a temperature: a finite, strictly positive real number.

    Parameters
    ----------
    T : float
        Temperature in units of J / k_B.
    name : str, default="T"
        Name of the argument, used in error messages.

    Returns
    -------
    T : float

    Examples
    --------
    >>> check_temperature(2)
    2.0
    """
    if not _is_real(T):
        raise ValueError(f"{name} must be a positive real number, got {T!r}.")
    try:
        T = float(T)
    except OverflowError:
        raise ValueError(f"{name} must be finite and > 0, got {T!r}.") from None
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {T!r}.")
    return T


def check_count(value, name, low=0):
    """Validate a count: an int (not a bool) of at least ``low``.

    Parameters
    ----------
    value : int
    name : str
        Name of the argument, used in error messages.
    low : int, default=0

    Returns
    -------
    value : int

    Examples
    --------
    >>> check_count(3, "n_chains", 1)
    3
    """
    integral = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if not integral or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return int(value)


def check_observation_temperature(y, n_samples, name="T_obs"):
    """Validate the observation temperature given to ``fit(X, y)``.

    ``y`` may be a positive scalar or an array of shape ``(n_samples,)`` holding one value (so that
    GridSearchCV can split it along with the snapshots).

    Parameters
    ----------
    y : float or array-like of shape (n_samples,)
        Observation temperature.
    n_samples : int
        Number of snapshots it belongs to.
    name : str, default="T_obs"
        Name of the argument, used in error messages.

    Returns
    -------
    T_obs : float

    Examples
    --------
    >>> check_observation_temperature([4.0, 4.0, 4.0], 3)
    4.0
    """
    if y is None:
        raise ValueError(f"{name} is required: this estimator requires y to be passed, but the "
                         "target y is None; pass the observation temperature as y.")
    if not hasattr(y, "__len__") and not hasattr(y, "__array__"):
        return check_temperature(y, name)
    try:
        values = np.asarray(y)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a scalar or a 1-d array of temperatures, got a "
                         "ragged sequence.") from None
    if values.ndim == 0:
        if values.dtype.kind not in "iuf":
            raise ValueError(f"{name} must be a positive real number, got {y!r}.")
        return check_temperature(values.item(), name)
    if values.ndim != 1 or values.shape[0] != n_samples:
        raise ValueError(
            f"{name} must be a scalar or an array of shape ({n_samples},), got shape "
            f"{values.shape}."
        )
    if values.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {values.dtype}.")
    values = values.astype(float)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"{name} must be finite and > 0 everywhere.")
    if np.ptp(values) > 1e-12 * values.max():
        raise ValueError(
            f"{name} must be one temperature for all snapshots; got values from "
            f"{values.min()} to {values.max()}."
        )
    return float(values[0])


def check_snapshots(X, sites, shape=None, name="X", allow_empty=False, flat_shape=None):
    """Validate snapshots and return them as an ``int8`` array of shape ``(n, Ly, Lx)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
        Configurations. Flat rows are accepted only when their lattice shape is known
        (``shape`` or ``flat_shape``): nothing is reshaped to a guessed lattice.
    sites : SiteVariables
        What each site holds (:class:`skdcl.sites.SiteVariables`); every value must be one of
        its states.
    shape : tuple of int, optional
        Expected lattice shape ``(Ly, Lx)``.
    name : str, default="X"
        Name of the argument, used in error messages.
    allow_empty : bool, default=False
        Whether zero snapshots are acceptable.
    flat_shape : tuple of int, optional
        Lattice shape of flat rows when ``shape`` is None (for instance the shape an estimator
        was fitted on, while 3-d input of other sizes is accepted too).

    Returns
    -------
    X : ndarray of int8, shape (n_samples, Ly, Lx)

    Examples
    --------
    >>> from skdcl.sites import SiteVariables
    >>> check_snapshots([[[1, -1], [-1, 1]]], SiteVariables.ising()).shape
    (1, 2, 2)
    >>> check_snapshots([[1, -1, -1, 1, 1, 1]], SiteVariables.ising(), shape=(2, 3)).shape
    (1, 2, 3)
    """
    array = _numeric_array(X, name)
    if array.ndim not in (2, 3):
        raise ValueError(
            f"{name} must have shape (n_samples, Ly, Lx) or (n_samples, Ly*Lx), "
            f"got an array of rank {array.ndim}."
        )
    if not allow_empty and len(array) == 0:
        raise ValueError(f"{name} must hold at least one snapshot, got 0.")
    if array.shape[1] == 0:
        raise ValueError(f"{name} holds configurations without sites: found array with 0 "
                         f"feature(s) (shape={array.shape}) while a minimum of 1 is required.")
    if array.ndim == 2:
        array = array.reshape((array.shape[0],)
                              + _flat_shape(array.shape[1], shape or flat_shape, name))
    elif array.ndim != 3:
        raise ValueError(
            f"{name} must have shape (n_samples, Ly, Lx) or (n_samples, Ly*Lx), "
            f"got an array of rank {array.ndim}."
        )
    if shape is not None and tuple(array.shape[1:]) != tuple(shape):
        raise ValueError(
            f"{name} must hold lattices of shape {tuple(shape)}, got {tuple(array.shape[1:])}."
        )
    if array.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} must hold at least one snapshot, got 0.")
    if min(array.shape[1:]) < 2:
        raise ValueError(f"{name} holds {array.shape[1]}x{array.shape[2]} lattices; every side "
                         "must be at least 2.")
    _check_integers(array, name)
    sites.check_values(array, name)
    return np.ascontiguousarray(array, dtype=np.int8)


def _numeric_array(X, name):
    """``X`` as a NumPy array of real numbers, or a ``ValueError`` in skdcl's words."""
    if sp.issparse(X):
        raise ValueError(f"{name} must be a dense array of site values, got a sparse "
                         f"{type(X).__name__}.")
    if isinstance(X, (list, tuple)):
        try:
            shapes = {np.shape(x) for x in X}
        except ValueError:
            shapes = {None, ()}
        if len(shapes) > 1:
            raise ValueError(f"{name} holds configurations of different lattice shapes; pass "
                             "one lattice size per call.")
    try:
        array = np.asarray(X)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be an array of equal-sized configurations, got a ragged "
                         "sequence.") from None
    if array.dtype == object:
        if not all(_is_real(value) or isinstance(value, (bool, np.bool_))
                   for value in array.flat):
            raise ValueError(f"{name} must hold real site values, found other objects.")
        array = array.astype(np.float64)
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} must hold real site values.")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array of site values, got dtype "
                         f"{array.dtype}.")
    return array


def _is_real(value):
    """A real number: not a bool, not a time (NumPy registers both as numbers)."""
    return (isinstance(value, numbers.Real)
            and not isinstance(value, (bool, np.bool_, np.timedelta64, np.datetime64)))


def _flat_shape(n_sites, shape, name):
    if shape is None:
        raise ValueError(
            f"{name} holds flat rows of {n_sites} sites, whose lattice shape is unknown; pass "
            "configurations of shape (n_samples, Ly, Lx).")
    if shape[0] * shape[1] != n_sites:
        raise ValueError(f"{name} has {n_sites} sites per row, but the lattice is "
                         f"{shape[0]}x{shape[1]}.")
    return tuple(shape)


def _check_integers(array, name):
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or infinite values.")
        if np.any(array != np.round(array)):
            raise ValueError(f"{name} must hold integer spin values, got non-integers.")


def ordering_permutation(shape, ordering="snake"):
    """Flat site indices in the order a sequence model visits them.

    Parameters
    ----------
    shape : tuple of int
        Lattice shape ``(Ly, Lx)``.
    ordering : {"snake", "raster", "spiral"}, default="snake"
        ``raster`` reads rows left to right; ``snake`` alternates direction every row so that
        consecutive sites are always neighbours; ``spiral`` walks inwards from the corner.

    Returns
    -------
    permutation : ndarray of int64, shape (Ly * Lx,)
        ``sequence = lattice.reshape(-1)[permutation]``.

    Examples
    --------
    >>> ordering_permutation((2, 3), "snake").tolist()
    [0, 1, 2, 5, 4, 3]
    >>> ordering_permutation((3, 3), "spiral").tolist()
    [0, 1, 2, 5, 8, 7, 6, 3, 4]
    """
    Ly, Lx = shape
    grid = np.arange(Ly * Lx).reshape(Ly, Lx)
    if ordering == "raster":
        return grid.reshape(-1)
    if ordering == "snake":
        grid = grid.copy()
        grid[1::2] = grid[1::2, ::-1]
        return grid.reshape(-1)
    if ordering == "spiral":
        order = []
        while grid.size:
            order.extend(grid[0].tolist())
            grid = np.rot90(grid[1:])
        return np.asarray(order, dtype=np.int64)
    raise ValueError(f"ordering must be 'snake', 'raster' or 'spiral', got {ordering!r}.")


def unwrap(X, permutation):
    """Turn lattices ``(n, Ly, Lx)`` into sequences ``(n, Ly*Lx)`` in the given site order."""
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1)[:, permutation]


def rewrap(sequences, permutation, shape):
    """Inverse of :func:`unwrap`: sequences ``(n, Ly*Lx)`` back to lattices ``(n, Ly, Lx)``."""
    sequences = np.asarray(sequences)
    flat = np.empty_like(sequences)
    flat[:, permutation] = sequences
    return flat.reshape((sequences.shape[0],) + tuple(shape))


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
