"""Exact lattice Hamiltonians: Ising, q-state Potts and Edwards-Anderson spin glass.

Every energy model in skdcl, exact or learned, offers the same two things to the rest of the
package:

``energy(X)``
    total energies of a batch of configurations ``(n, Ly, Lx)``, vectorised;
``local_kernel(shape)``
    a :class:`LocalKernel`: a numba-compiled function
    ``delta_energy(config, i, j, new_value, params) -> float`` giving the energy change of setting
    site ``(i, j)`` of one configuration to ``new_value``, with the tuple of arrays it reads.
    :mod:`skdcl.montecarlo` runs Metropolis on any model through it.

All lattices are periodic. Bonds along the rows (x, the last axis) and along the columns (y) are
counted once each, so an L x L lattice has ``2 L^2`` bonds.
"""

import functools
from typing import Callable, NamedTuple

import numba
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .lattice import check_lattice_size, check_snapshots

__all__ = ["IsingModel", "PottsModel", "EdwardsAndersonModel", "LocalKernel", "LatticeModel"]


class LocalKernel(NamedTuple):
    """What the Monte Carlo engine needs to run Metropolis on an energy model.

    Attributes
    ----------
    delta_energy : numba dispatcher
        ``delta_energy(config, i, j, new_value, params) -> float``: energy change of setting site
        ``(i, j)`` of ``config`` (int8 array ``(Ly, Lx)``) to ``new_value``.
    params : tuple
        The arrays and numbers ``delta_energy`` reads, passed back to it unchanged.
    site_update : numba dispatcher, optional
        A specialised single-site Metropolis update
        ``site_update(config, aux, i, j, params, q, beta, table, r) -> (accepted, dE)`` (see
        ``skdcl.montecarlo._metropolis_update``); when None the engine builds one from
        ``delta_energy``.
    acceptance_table : callable, optional
        ``acceptance_table(beta) -> ndarray of uint64`` precomputed once per run for
        ``site_update`` (for instance thresholds ``2**32 * min(1, exp(-beta * dE))`` for every
        value the energy change can take).
    random_bits : {64, 32}, default=64
        Random bits ``site_update`` reads from ``r``; with 32 (the low half) one draw of the
        generator serves two moves.
    init_aux : callable, optional
        ``init_aux(configs) -> ndarray of int64, shape (n_chains, k)``: per-chain state that
        ``site_update`` keeps in step with the configuration (passed to it as ``aux``), for
        instance the codes of the tiles of a tabulated EDNN.
    """

    delta_energy: Callable
    params: tuple
    site_update: Callable = None
    acceptance_table: Callable = None
    random_bits: int = 64
    init_aux: Callable = None


class LatticeModel(BaseEstimator):
    """Common interface of the exact Hamiltonians (not meant to be used directly).

    Subclasses set ``spin_kind`` (``"ising"`` or ``"potts"``) and implement ``_energy`` and
    ``local_kernel``.
    """

    spin_kind = "ising"

    @property
    def n_states(self):
        """Number of values a site can take (2 for Ising spins, q for Potts labels)."""
        return 2

    def check_configurations(self, X, shape=None, name="X"):
        """Validate configurations for this model; returns int8 ``(n, Ly, Lx)``."""
        q = self.n_states if self.spin_kind == "potts" else None
        return check_snapshots(X, kind=self.spin_kind, q=q, shape=shape, name=name)

    def energy(self, X):
        """Total energy of each configuration.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Configurations.

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        X = self.check_configurations(X)
        return self._energy(X)

    def ordered_configuration(self, shape):
        """A configuration with every site in the first state (+1 for Ising, 0 for Potts)."""
        value = 1 if self.spin_kind == "ising" else 0
        return np.full(check_lattice_size(shape, "shape"), value, dtype=np.int8)

    def random_configurations(self, n, shape, random_state=None):
        """Uniformly random configurations, int8 array ``(n, Ly, Lx)``."""
        rng = check_random_state(random_state)
        shape = check_lattice_size(shape, "shape")
        labels = rng.randint(0, self.n_states, size=(n,) + shape).astype(np.int8)
        return 2 * labels - 1 if self.spin_kind == "ising" else labels


def _coupling_pair(J, name="J"):
    values = (J, J) if np.ndim(J) == 0 else tuple(J)
    if len(values) != 2:
        raise ValueError(f"{name} must be a number or a pair (Jx, Jy), got {J!r}.")
    values = tuple(float(v) for v in values)
    if not all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite, got {J!r}.")
    return values


def _roll_x(X):
    return np.roll(X, -1, axis=2)


def _roll_y(X):
    return np.roll(X, -1, axis=1)


class IsingModel(LatticeModel):
    """Ising model ``H = -Jx sum s_i s_{i+x} - Jy sum s_i s_{i+y} - h sum s_i`` with spins +-1.

    Parameters
    ----------
    J : float or tuple of two floats, default=1.0
        Coupling; a pair ``(Jx, Jy)`` gives different couplings along rows and columns.
    h : float, default=0.0
        Magnetic field.

    Examples
    --------
    >>> import numpy as np
    >>> IsingModel().energy(np.ones((1, 4, 4))).tolist()
    [-32.0]
    """

    spin_kind = "ising"

    def __init__(self, J=1.0, h=0.0):
        self.J = J
        self.h = h

    def _energy(self, X):
        Jx, Jy = _coupling_pair(self.J)
        S = X.astype(np.float64)
        bonds = Jx * (S * _roll_x(S)).sum(axis=(1, 2)) + Jy * (S * _roll_y(S)).sum(axis=(1, 2))
        return -bonds - float(self.h) * S.sum(axis=(1, 2))

    def local_kernel(self, shape=None):
        """The numba energy-change kernel (see :class:`LocalKernel`)."""
        params = _coupling_pair(self.J) + (float(self.h),)
        return LocalKernel(_ising_delta, params, _ising_update,
                           functools.partial(_ising_acceptance_table, params), random_bits=32)


class PottsModel(LatticeModel):
    """q-state Potts model ``H = -J sum_<ij> delta(s_i, s_j)`` with labels ``0 .. q-1``.

    Parameters
    ----------
    q : int, default=3
        Number of states, at least 2.
    J : float, default=1.0
        Coupling.

    Examples
    --------
    >>> import numpy as np
    >>> PottsModel(q=3).energy(np.zeros((1, 4, 4))).tolist()
    [-32.0]
    """

    spin_kind = "potts"

    def __init__(self, q=3, J=1.0):
        self.q = q
        self.J = J

    @property
    def n_states(self):
        if isinstance(self.q, bool) or not isinstance(self.q, (int, np.integer)) or self.q < 2:
            raise ValueError(f"q must be an int >= 2, got {self.q!r}.")
        return int(self.q)

    def _energy(self, X):
        same = (X == _roll_x(X)).sum(axis=(1, 2)) + (X == _roll_y(X)).sum(axis=(1, 2))
        return -float(self.J) * same.astype(np.float64)

    def local_kernel(self, shape=None):
        """The numba energy-change kernel (see :class:`LocalKernel`)."""
        self.n_states  # validates q
        return LocalKernel(_potts_delta, (float(self.J),))


class EdwardsAndersonModel(LatticeModel):
    """Edwards-Anderson spin glass ``H = -sum_<ij> J_ij s_i s_j`` with Gaussian couplings.

    The couplings, one N(0, 1) number per bond, are drawn once from ``random_state`` and fixed for
    the instance (an int ``random_state`` always gives the same instance).

    Parameters
    ----------
    L : int or tuple of two ints, default=8
        Lattice size the couplings are drawn for.
    random_state : int, RandomState instance or None, default=None
        Seed of the couplings.

    Attributes
    ----------
    Jx : ndarray of shape (Ly, Lx)
        ``Jx[y, x]`` couples ``(y, x)`` with ``(y, x + 1)``.
    Jy : ndarray of shape (Ly, Lx)
        ``Jy[y, x]`` couples ``(y, x)`` with ``(y + 1, x)``.

    Examples
    --------
    >>> model = EdwardsAndersonModel(L=4, random_state=0)
    >>> model.Jx.shape
    (4, 4)
    """

    spin_kind = "ising"

    def __init__(self, L=8, random_state=None):
        self.L = L
        self.random_state = random_state

    def _couplings(self):
        key = (check_lattice_size(self.L), repr(self.random_state))
        cached = self.__dict__.get("_cached_couplings")
        if cached is None or cached[0] != key:
            rng = check_random_state(self.random_state)
            Jx = rng.standard_normal(key[0])
            Jy = rng.standard_normal(key[0])
            cached = (key, Jx, Jy)
            self.__dict__["_cached_couplings"] = cached
        return cached[1], cached[2]

    @property
    def Jx(self):
        return self._couplings()[0]

    @property
    def Jy(self):
        return self._couplings()[1]

    def check_configurations(self, X, shape=None, name="X"):
        return super().check_configurations(X, shape=check_lattice_size(self.L), name=name)

    def _energy(self, X):
        Jx, Jy = self._couplings()
        S = X.astype(np.float64)
        return -(Jx * S * _roll_x(S)).sum(axis=(1, 2)) - (Jy * S * _roll_y(S)).sum(axis=(1, 2))

    def local_kernel(self, shape=None):
        """The numba energy-change kernel (see :class:`LocalKernel`)."""
        if shape is not None and tuple(shape) != check_lattice_size(self.L):
            raise ValueError(
                f"L of this EdwardsAndersonModel is {self.L}; it cannot run on shape {shape}."
            )
        Jx, Jy = self._couplings()
        return LocalKernel(_edwards_anderson_delta, (Jx, Jy))


@numba.njit(cache=True, inline="always")
def _neighbours(config, i, j):
    Ly, Lx = config.shape
    up = config[i - 1 if i > 0 else Ly - 1, j]
    down = config[i + 1 if i < Ly - 1 else 0, j]
    left = config[i, j - 1 if j > 0 else Lx - 1]
    right = config[i, j + 1 if j < Lx - 1 else 0]
    return up, down, left, right


@numba.njit(cache=True, inline="always")
def _ising_delta(config, i, j, new_value, params):
    Jx, Jy, h = params
    up, down, left, right = _neighbours(config, i, j)
    field = Jx * (left + right) + Jy * (up + down) + h
    return (config[i, j] - new_value) * field


@numba.njit(cache=True, inline="always")
def _potts_delta(config, i, j, new_value, params):
    (J,) = params
    old = config[i, j]
    up, down, left, right = _neighbours(config, i, j)
    gained = (up == new_value) + (down == new_value) + (left == new_value) + (right == new_value)
    lost = (up == old) + (down == old) + (left == old) + (right == old)
    return -J * (gained - lost)


@numba.njit(cache=True, inline="always")
def _edwards_anderson_delta(config, i, j, new_value, params):
    Jx, Jy = params
    Ly, Lx = config.shape
    iu = i - 1 if i > 0 else Ly - 1
    jl = j - 1 if j > 0 else Lx - 1
    up, down, left, right = _neighbours(config, i, j)
    field = Jx[i, j] * right + Jx[i, jl] * left + Jy[i, j] * down + Jy[iu, j] * up
    return (config[i, j] - new_value) * field


def _ising_acceptance_table(params, beta):
    """Thresholds ``2**32 * min(1, exp(-beta dE))`` indexed as in :func:`_ising_update`."""
    Jx, Jy, h = params
    table = np.empty(18, dtype=np.uint64)
    for a in (-2, 0, 2):
        for b in (-2, 0, 2):
            for s in (-1, 1):
                dE = 2.0 * (Jx * a + Jy * b + h * s)
                p = 1.0 if dE <= 0 else np.exp(-beta * dE)
                table[_ising_table_index(a, b, s)] = np.uint64(min(np.ceil(p * 2.0**32), 2.0**32))
    return table


@numba.njit(cache=True, inline="always")
def _ising_table_index(a, b, s):
    return ((a + 2) >> 1) * 6 + ((b + 2) >> 1) * 2 + ((s + 1) >> 1)


@numba.njit(cache=True, inline="always")
def _ising_update(config, aux, i, j, params, q, beta, table, r):
    """Branch-free Metropolis flip: one table lookup decides, whatever the temperature."""
    Jx, Jy, h = params
    up, down, left, right = _neighbours(config, i, j)
    s = config[i, j]
    a = s * (left + right)
    b = s * (up + down)
    accept = numba.int8((r & numba.uint64(0xFFFFFFFF)) < table[_ising_table_index(a, b, s)])
    config[i, j] = s - 2 * s * accept
    return accept, accept * 2.0 * (Jx * a + Jy * b + h * s)
