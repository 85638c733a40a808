"""Exact lattice Hamiltonians: Ising, q-state Potts and Edwards-Anderson spin glass.

Every energy model in skdcl, exact or learned, offers the same two things to the rest of the
package:

``energy(X)``
    total energies of a batch of configurations ``(n, Ly, Lx)``, vectorised;
``sites``
    the :class:`~skdcl.sites.SiteVariables` its configurations hold;
``local_kernel(shape)``
    a :class:`~skdcl.montecarlo.LocalKernel`: a numba-compiled function
    ``delta_energy(config, i, j, new_value, params) -> float`` giving the energy change of setting
    site ``(i, j)`` of one configuration to ``new_value``, with the tuple of arrays it reads.
    :mod:`skdcl.montecarlo` runs Metropolis on any model through it (``docs/dev`` explains the
    protocol).

The exact models also offer ``cluster_kernel(shape)``: their bonds as a
:class:`~skdcl.montecarlo.clusters.ClusterKernel` for Swendsen-Wang and Wolff cluster moves,
or None where cluster moves do not apply (a field or plaquette term, antiferromagnetic Potts
couplings).

All lattices are periodic. Bonds along the rows (x, the last axis) and along the columns (y) are
counted once each, so an L x L lattice has ``2 L^2`` bonds.
"""

import functools
import numbers

import numba
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .lattice import check_lattice_size, check_snapshots
from .montecarlo.checkerboard import (
    ising_acceptance_table,
    ising_checkerboard_sweep,
    ising_table_index,
)
from .montecarlo.clusters import ClusterKernel
from .montecarlo.kernel import LocalKernel
from .sites import MAX_STATES, SiteVariables

__all__ = ["IsingModel", "PottsModel", "EdwardsAndersonModel", "LocalKernel", "LatticeModel"]


class LatticeModel(BaseEstimator):
    """Common interface of the exact Hamiltonians (not meant to be used directly).

    Subclasses implement ``sites``, ``_energy`` and ``local_kernel``.
    """

    @property
    def sites(self):
        """The site variables of the model's configurations: Ising spins +-1."""
        return SiteVariables.ising()

    @property
    def spin_kind(self):
        """``"ising"`` or ``"potts"`` (``sites.kind``)."""
        return self.sites.kind

    @property
    def n_states(self):
        """Number of values a site can take (``sites.n_states``)."""
        return self.sites.n_states

    def check_configurations(self, X, shape=None, name="X"):
        """Validate configurations for this model; returns int8 ``(n, Ly, Lx)``."""
        return check_snapshots(X, self.sites, shape=shape, name=name)

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
        """A configuration with every site in one state (+1 for Ising, 0 for Potts)."""
        return self.sites.ordered(check_lattice_size(shape, "shape"))

    def random_configurations(self, n, shape, random_state=None):
        """Uniformly random configurations, int8 array ``(n, Ly, Lx)``."""
        return self.sites.random(n, check_lattice_size(shape, "shape"), random_state)


def _coupling_pair(J, name="J"):
    values = tuple(J) if isinstance(J, (tuple, list, np.ndarray)) else (J, J)
    if len(values) != 2:
        raise ValueError(f"{name} must be a number or a pair (Jx, Jy), got {J!r}.")
    return tuple(_coupling(v, name) for v in values)


def _coupling(value, name):
    """A coupling as a finite float; anything else (strings, complex, bools) is refused."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    real = (isinstance(value, numbers.Real)
            and not isinstance(value, (bool, np.bool_, np.timedelta64, np.datetime64)))
    try:
        number = float(value) if real else None
    except OverflowError:
        number = float("inf")
    if number is None:
        raise ValueError(f"{name} must be a finite real number, got {value!r}.")
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return number


def _roll_x(X):
    return np.roll(X, -1, axis=2)


def _roll_y(X):
    return np.roll(X, -1, axis=1)


class IsingModel(LatticeModel):
    """Ising model with spins +-1, optionally with a four-spin plaquette term.

    .. math::

        H = -J_x \\sum_i s_i s_{i+\\hat x} - J_y \\sum_i s_i s_{i+\\hat y} - h \\sum_i s_i
            - K \\sum_{i, j} s_{i,j} s_{i,j+1} s_{i+1,j} s_{i+1,j+1}

    The last sum runs over the plaquettes, one per site ``(i, j)`` (row ``i``, column ``j``):
    ``L^2`` plaquettes on a periodic ``L x L`` lattice (next to its ``2 L^2`` bonds). The
    plaquette term couples four spins at once, so with ``K != 0`` no pairwise model represents
    the energy.

    Parameters
    ----------
    J : float or tuple of two floats, default=1.0
        Coupling; a pair ``(Jx, Jy)`` gives different couplings along rows and columns.
    h : float, default=0.0
        Magnetic field.
    K : float, default=0.0
        Four-spin plaquette coupling. With ``K == 0`` Monte Carlo uses the fast checkerboard
        sweep of the pairwise model; otherwise the generic single-site Metropolis update.

    Examples
    --------
    >>> import numpy as np
    >>> IsingModel().energy(np.ones((1, 4, 4))).tolist()
    [-32.0]
    >>> IsingModel(K=0.5).energy(np.ones((1, 4, 4))).tolist()  # -(1 + 1 + 0.5) * 16
    [-40.0]
    >>> X = np.ones((1, 4, 4))
    >>> X[0, 0, 0] = -1  # one flipped spin breaks 4 bonds and 4 plaquettes
    >>> IsingModel(K=0.5).energy(X).tolist()
    [-28.0]
    """

    def __init__(self, J=1.0, h=0.0, K=0.0):
        self.J = J
        self.h = h
        self.K = K

    def _energy(self, X):
        Jx, Jy = _coupling_pair(self.J)
        K = _coupling(self.K, "K")
        S = X.astype(np.float64)
        right, down = _roll_x(S), _roll_y(S)
        bonds = Jx * (S * right).sum(axis=(1, 2)) + Jy * (S * down).sum(axis=(1, 2))
        energy = -bonds - _coupling(self.h, "h") * S.sum(axis=(1, 2))
        if K != 0.0:
            energy -= K * (S * right * down * _roll_x(down)).sum(axis=(1, 2))
        return energy

    def local_kernel(self, shape=None):
        """The numba energy-change kernel (see :class:`~skdcl.montecarlo.LocalKernel`).

        With ``K == 0`` the kernel brings the checkerboard ``sweep`` and the tabulated
        ``site_update``; with ``K != 0`` only ``delta_energy`` (the plaquettes of a site contain
        same-colour diagonal neighbours, so the checkerboard sweep does not apply), from which the
        engine builds a generic single-site update.
        """
        K = _coupling(self.K, "K")
        params = _coupling_pair(self.J) + (_coupling(self.h, "h"),)
        if K != 0.0:
            return LocalKernel(_plaquette_ising_delta, params + (K,))
        return LocalKernel(_ising_delta, params, _ising_update,
                           functools.partial(ising_acceptance_table, params), random_bits=32,
                           sweep=ising_checkerboard_sweep)

    def cluster_kernel(self, shape):
        """Bonds for cluster moves (:class:`~skdcl.montecarlo.clusters.ClusterKernel`).

        Parameters
        ----------
        shape : int or tuple of two ints
            Lattice shape the chains run on.

        Returns
        -------
        kernel : ClusterKernel or None
            None when ``h != 0`` or ``K != 0`` (cluster moves need a pairwise energy without
            field). Couplings of either sign and ``Jx != Jy`` are fine.

        Examples
        --------
        >>> float(IsingModel(J=(1.0, -0.5)).cluster_kernel(4).Ky[0, 0])  # K = 2 J
        -1.0
        >>> IsingModel(h=0.1).cluster_kernel(4) is None
        True
        """
        shape = check_lattice_size(shape, "shape")
        Jx, Jy = _coupling_pair(self.J)
        if _coupling(self.h, "h") != 0.0 or _coupling(self.K, "K") != 0.0:
            return None
        return ClusterKernel.ising(Jx, Jy, shape)


class PottsModel(LatticeModel):
    """q-state Potts model ``H = -J sum_<ij> delta(s_i, s_j)``, labels 0 to q - 1.

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

    def __init__(self, q=3, J=1.0):
        self.q = q
        self.J = J

    @property
    def sites(self):
        """Potts labels 0 to q - 1."""
        if (isinstance(self.q, bool) or not isinstance(self.q, (int, np.integer))
                or not 2 <= self.q <= MAX_STATES):
            raise ValueError(f"q must be an int from 2 to {MAX_STATES} (labels are stored as "
                             f"int8), got {self.q!r}.")
        return SiteVariables.potts(int(self.q))

    def _energy(self, X):
        same = (X == _roll_x(X)).sum(axis=(1, 2)) + (X == _roll_y(X)).sum(axis=(1, 2))
        return -_coupling(self.J, "J") * same.astype(np.float64)

    def local_kernel(self, shape=None):
        """The numba energy-change kernel (see :class:`~skdcl.montecarlo.LocalKernel`)."""
        self.sites  # validates q
        return LocalKernel(_potts_delta, (_coupling(self.J, "J"),))

    def cluster_kernel(self, shape):
        """Bonds for cluster moves (:class:`~skdcl.montecarlo.clusters.ClusterKernel`).

        A cluster grows through equal labels with probability ``1 - exp(-J / T)`` per bond and
        moves to another label as a whole.

        Parameters
        ----------
        shape : int or tuple of two ints
            Lattice shape the chains run on.

        Returns
        -------
        kernel : ClusterKernel or None
            None when ``J < 0`` (antiferromagnetic).

        Examples
        --------
        >>> PottsModel(q=3, J=-1.0).cluster_kernel(4) is None
        True
        """
        shape = check_lattice_size(shape, "shape")
        self.sites  # validates q
        J = _coupling(self.J, "J")
        return None if J < 0 else ClusterKernel.potts(J, shape)


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
        """The numba energy-change kernel (see :class:`~skdcl.montecarlo.LocalKernel`)."""
        if shape is not None and tuple(shape) != check_lattice_size(self.L):
            raise ValueError(
                f"L of this EdwardsAndersonModel is {self.L}; it cannot run on shape {shape}."
            )
        Jx, Jy = self._couplings()
        return LocalKernel(_edwards_anderson_delta, (Jx, Jy))

    def cluster_kernel(self, shape):
        """Bonds for cluster moves (:class:`~skdcl.montecarlo.clusters.ClusterKernel`).

        Cluster moves obey detailed balance on any couplings, but on a frustrated instance the
        clusters grow to most of the lattice at low temperature, so ``moves="auto"`` keeps
        Metropolis (:attr:`ClusterKernel.frustrated
        <skdcl.montecarlo.clusters.ClusterKernel.frustrated>`).

        Parameters
        ----------
        shape : int or tuple of two ints
            Lattice shape; must be the model's ``L``.

        Returns
        -------
        kernel : ClusterKernel
        """
        shape = check_lattice_size(shape, "shape")
        if shape != check_lattice_size(self.L):
            raise ValueError(
                f"L of this EdwardsAndersonModel is {self.L}; it cannot run on shape {shape}."
            )
        Jx, Jy = self._couplings()
        return ClusterKernel.ising(Jx, Jy, shape)


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


@numba.njit(cache=True)
def _plaquette_ising_delta(config, i, j, new_value, params):
    """Energy change of the Ising model with a plaquette term, params ``(Jx, Jy, h, K)``."""
    Jx, Jy, h, K = params
    Ly, Lx = config.shape
    iu = i - 1 if i > 0 else Ly - 1
    id_ = i + 1 if i < Ly - 1 else 0
    jl = j - 1 if j > 0 else Lx - 1
    jr = j + 1 if j < Lx - 1 else 0
    up, down, left, right = config[iu, j], config[id_, j], config[i, jl], config[i, jr]
    # the four plaquettes holding (i, j), each as the product of its other three spins
    plaquettes = (right * down * config[id_, jr] + right * up * config[iu, jr]
                  + left * down * config[id_, jl] + left * up * config[iu, jl])
    field = Jx * (left + right) + Jy * (up + down) + h + K * plaquettes
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


@numba.njit(cache=True, inline="always")
def _ising_update(config, aux, i, j, params, sites, beta, table, r):
    """Branch-free Metropolis flip: one table lookup decides, whatever the temperature."""
    Jx, Jy, h = params
    up, down, left, right = _neighbours(config, i, j)
    s = config[i, j]
    a = s * (left + right)
    b = s * (up + down)
    accept = numba.int8((r & numba.uint64(0xFFFFFFFF)) < table[ising_table_index(a, b, s)])
    config[i, j] = s - 2 * s * accept
    return accept, accept * 2.0 * (Jx * a + Jy * b + h * s)
