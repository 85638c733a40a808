"""What a lattice site holds: the kind of variable, its number of states and their encodings.

Every model, network and Monte Carlo kernel of skdcl reads site values through one
:class:`SiteVariables`. A site takes one of ``n_states`` states, indexed ``0 .. n_states - 1``;
the value stored in a configuration (int8) is ``offset + (state << shift)``:

========================  ==========  ========  ======  =====
variable                  values      n_states  offset  shift
========================  ==========  ========  ======  =====
Ising spins               -1, +1      2         -1      1
two-state labels          0, 1        2         0       0
q-state Potts labels      0 .. q - 1  q         0       0
========================  ==========  ========  ======  =====

Two-state variables are one thing whichever way they are stored: networks read them as one
feature ``2 * state - 1`` (+-1), Monte Carlo proposes the other state, and Ising spins stored as
0/1 give the same energies, moves and observables as spins stored as +-1. Variables with more
states enter networks one-hot.
"""

import numba
import numpy as np
from sklearn.utils import check_random_state

__all__ = ["SiteVariables", "SITE_KINDS", "site_state", "site_value", "MAX_STATES"]

#: The kinds of site variable: Ising spins and Potts labels.
SITE_KINDS = ("ising", "potts")
#: Most states a site may take: values are stored as int8.
MAX_STATES = 127


class SiteVariables:
    """The variable every site of a lattice holds, with its encodings.

    Parameters
    ----------
    kind : {"ising", "potts"}
        Ising spins or Potts labels.
    n_states : int
        Number of states (2 for Ising spins; at most :data:`MAX_STATES`).
    values : {"spins", "labels"}, default="spins" for Ising, "labels" for Potts
        How states are stored: ``"spins"`` (Ising only) as -1, +1; ``"labels"`` as
        ``0 .. n_states - 1`` (Ising spins stored as 0/1, or Potts labels).

    Attributes
    ----------
    offset, shift : int
        Value of state ``s``: ``offset + (s << shift)``.

    Examples
    --------
    >>> SiteVariables.ising().values.tolist()
    [-1, 1]
    >>> SiteVariables("ising", 2, values="labels").values.tolist()
    [0, 1]
    >>> SiteVariables.potts(3).states([[2, 0]]).tolist()
    [[2, 0]]
    """

    def __init__(self, kind, n_states, values=None):
        if kind not in SITE_KINDS:
            raise ValueError(f"kind must be one of {SITE_KINDS}, got {kind!r}.")
        if not _is_int(n_states) or not 2 <= n_states <= MAX_STATES:
            raise ValueError(
                f"the number of states must be an int from 2 to {MAX_STATES}, got {n_states!r}.")
        if kind == "ising" and n_states != 2:
            raise ValueError(f"Ising spins have 2 states, got n_states={n_states!r}.")
        values = ("spins" if kind == "ising" else "labels") if values is None else values
        if values not in ("spins", "labels") or (values == "spins" and kind != "ising"):
            raise ValueError(f"values must be 'spins' (Ising) or 'labels', got {values!r}.")
        self.kind = kind
        self.n_states = int(n_states)
        self.encoding = values
        self.offset, self.shift = (-1, 1) if values == "spins" else (0, 0)

    @classmethod
    def ising(cls):
        """Ising spins stored as -1, +1."""
        return cls("ising", 2)

    @classmethod
    def potts(cls, q):
        """Potts labels 0 to q - 1."""
        return cls("potts", q)

    @classmethod
    def infer(cls, X, kind="auto", q=None, name="X"):
        """The site variables of snapshots, from their values and the user's hints.

        Parameters
        ----------
        X : array-like
            Snapshots (only their values are read; :meth:`check` validates them).
        kind : {"auto", "ising", "potts"}, default="auto"
            ``"auto"``: Ising spins (-1, +1) if any value is negative, labels otherwise.
            ``"ising"`` with values in {0, 1}: spins stored as 0/1.
        q : int, optional
            Number of Potts states; None: the largest label plus one (at least 2).
        name : str, default="X"
            Name of the snapshots, for messages.

        Returns
        -------
        sites : SiteVariables

        Examples
        --------
        >>> SiteVariables.infer([[0, 2, 1, 1]])
        SiteVariables('potts', 3)
        >>> SiteVariables.infer([[1, -1, 1, 1]])
        SiteVariables('ising', 2)
        >>> SiteVariables.infer([[1, 0, 1, 1]], kind="ising")
        SiteVariables('ising', 2, values='labels')
        """
        if kind not in ("auto",) + SITE_KINDS:
            raise ValueError(f"kind must be 'auto', 'ising' or 'potts', got {kind!r}.")
        finite = _finite_values(X)
        negative = finite.size > 0 and finite.min() < 0
        if kind == "ising" or (kind == "auto" and negative):
            return cls("ising", 2, values="spins" if negative or finite.size == 0 else "labels")
        if q is not None:
            if not _is_int(q) or not 2 <= q <= MAX_STATES:
                raise ValueError(f"q must be an int from 2 to {MAX_STATES}, got {q!r}.")
            return cls("potts", int(q))
        largest = finite.max() if finite.size else 1
        if largest >= MAX_STATES:
            raise ValueError(f"{name} holds labels up to {largest:g}; Potts labels must be below "
                             f"{MAX_STATES} (site values are stored as int8).")
        return cls("potts", max(2, int(largest) + 1))

    @property
    def values(self):
        """Stored value of each state, int8 array ``(n_states,)``."""
        return (self.offset + (np.arange(self.n_states) << self.shift)).astype(np.int8)

    @property
    def two_state(self):
        """Whether a site has two states (Ising spins or two labels, in either encoding)."""
        return self.n_states == 2

    @property
    def n_channels(self):
        """Width of a site's network input: 1 for two states (+-1), ``n_states`` (one-hot)."""
        return 1 if self.two_state else self.n_states

    @property
    def kernel_values(self):
        """``(n_states, offset, shift)``: the encoding as numbers for compiled kernels."""
        return self.n_states, self.offset, self.shift

    def states(self, X):
        """State index of every value of ``X`` (int64 array of the same shape)."""
        return (np.asarray(X, dtype=np.int64) - self.offset) >> self.shift

    def from_states(self, states):
        """Stored values (int8) of state indices."""
        return (self.offset + (np.asarray(states, dtype=np.int64) << self.shift)).astype(np.int8)

    def check_values(self, array, name="X"):
        """Raise ``ValueError`` naming ``name`` unless every value of ``array`` is a state."""
        if array.size == 0:
            return
        allowed = np.isin(array, self.values)
        if not np.all(allowed):
            bad = np.unique(array[~allowed])[:5].tolist()
            raise ValueError(f"{name} must hold {self.describe()}, found {bad}.")

    def describe(self):
        """Words for the allowed values, for messages."""
        if self.kind == "ising":
            return "Ising spins -1 or +1" if self.encoding == "spins" else "Ising spins 0 or 1"
        return f"Potts labels in [0, {self.n_states})"

    def random(self, n, shape, random_state=None):
        """Uniformly random configurations, int8 array ``(n, Ly, Lx)``."""
        rng = check_random_state(random_state)
        return self.from_states(rng.randint(0, self.n_states, size=(n,) + tuple(shape)))

    def ordered(self, shape):
        """A configuration with every site in one state: +1 (Ising, state 1), label 0 (Potts)."""
        state = 1 if self.kind == "ising" else 0
        return np.full(tuple(shape), self.from_states(state), dtype=np.int8)

    def encode(self, X):
        """Network inputs of values ``X (..., )`` as a Keras tensor ``(..., n_channels)``.

        Two states: one feature ``2 * state - 1``; more: one-hot states.
        """
        from keras import ops

        states = (ops.cast(X, "int32") - self.offset) // (1 << self.shift)
        if self.two_state:
            return ops.expand_dims(ops.cast(2 * states - 1, "float32"), -1)
        return ops.one_hot(states, self.n_states)

    def __eq__(self, other):
        return (isinstance(other, SiteVariables) and self.kind == other.kind
                and self.n_states == other.n_states and self.encoding == other.encoding)

    def __hash__(self):
        return hash((self.kind, self.n_states, self.encoding))

    def __repr__(self):
        default = "spins" if self.kind == "ising" else "labels"
        extra = "" if self.encoding == default else f", values={self.encoding!r}"
        return f"SiteVariables({self.kind!r}, {self.n_states}{extra})"


@numba.njit(cache=True, inline="always")
def site_state(value, offset, shift):
    """State index of a stored site value (compiled; see :class:`SiteVariables`)."""
    return (value - offset) >> shift


@numba.njit(cache=True, inline="always")
def site_value(state, offset, shift):
    """Stored value of a state index (compiled; see :class:`SiteVariables`)."""
    return numba.int8(offset + (state << shift))


def _finite_values(X):
    try:
        values = np.asarray(X)
    except ValueError:  # ragged input: validation explains
        return np.zeros(0)
    if values.dtype.kind not in "biuf" or values.size == 0:
        return np.zeros(0)
    return values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
