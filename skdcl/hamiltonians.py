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
from .montecarlo import LANES, fill_lanes, next_uint64, seed_lanes

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
    sweep : numba dispatcher, optional
        A whole-chain fast path for nearest-neighbour models, used by the engine in place of the
        site-by-site sweep when both sides of the lattice are even (the two checkerboard colours
        are then independent sublattices); other lattices fall back to ``site_update`` or
        ``delta_energy``. ``sweep(config, rng_state, params, table, energy, n_sweeps, thin,
        rec_energy, rec_magnet, rec_snapshots) -> (energy, accepted)`` runs ``n_sweeps``
        checkerboard sweeps of one chain: ``config`` (int8 ``(Ly, Lx)``) and ``rng_state``
        (uint64 ``(4,)``, the chain's stream) are updated in place, ``table`` comes from
        ``acceptance_table``, ``energy`` is the chain's running energy, and after every
        ``thin``-th sweep (while records are left) it writes the energy, the magnetisation and,
        when ``rec_snapshots`` (``(n_records or 0, Ly, Lx)``) is not empty, the configuration.
        It returns the final energy and the number of accepted moves.
    """

    delta_energy: Callable
    params: tuple
    site_update: Callable = None
    acceptance_table: Callable = None
    random_bits: int = 64
    init_aux: Callable = None
    sweep: Callable = None


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
    return tuple(_coupling(v, name) for v in values)


def _coupling(value, name):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite float, got {value!r}.") from None
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

    spin_kind = "ising"

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
        """The numba energy-change kernel (see :class:`LocalKernel`).

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
                           functools.partial(_ising_acceptance_table, params), random_bits=32,
                           sweep=_ising_sweep)


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


# Vectorised checkerboard sweep of the Ising model on lattices with even sides.
#
# Sites are stored as bits (1 for spin -1) in four sublattice blocks ``blocks[p, q]`` holding the
# sites (i, j) with ``j % 2 == p`` and ``i % 2 == q`` at ``[i // 2 + 1, j // 2 + 1]``. Each block
# has one ghost row and column on every side (periodic copies), so that the neighbours of a site
# sit at fixed offsets in the partner blocks: left/right in ``blocks[1 - p, q]`` at the same
# index and at -1 (p = 0) or +1 (p = 1), up/down in ``blocks[p, 1 - q]`` at the same index and
# one row up (q = 0) or down (q = 1). A colour is two blocks, each updated as one flat array in
# chunks; ghost columns and padding are visited too, with a ``valid`` mask of 0 that keeps them.
#
# A move is accepted when a 32-bit uniform is below the 32-bit threshold of its class
# (``_ising_acceptance_table``). The vector pass compares only the upper 16 bits: below the
# threshold's upper 16 bits accepts, above rejects, and a tie (probability 2**-16) marks the site
# (bit 1) for an exact scalar pass that draws the lower 16 bits from the chain's stream.

#: Sites per chunk: one buffer of 16-bit uniforms, and every running sum stays below 2**16.
_CHUNK = 2048
#: Chunks are padded to a multiple of this, so that the vector loop leaves no scalar remainder.
_VECTOR = 64


@numba.njit(cache=True)
def _ising_blocks(config):
    """Bits of a configuration (int8 ``(Ly, Lx)``, even sides) in padded sublattice blocks."""
    Ly, Lx = config.shape
    R, P = Ly // 2, Lx // 2 + 2
    blocks = np.zeros((2, 2, R + 2 + (_VECTOR + P - 1) // P, P), dtype=np.uint8)
    for i in range(Ly):
        for j in range(Lx):
            blocks[j & 1, i & 1, i // 2 + 1, j // 2 + 1] = (1 - config[i, j]) >> 1
    for p in range(2):
        for q in range(2):
            _refresh_ghosts(blocks[p, q], R)
    return blocks


@numba.njit(cache=True)
def _ising_unblock(blocks, config):
    """Write the spins held in ``blocks`` into ``config`` (int8 ``(Ly, Lx)``)."""
    Ly, Lx = config.shape
    for i in range(Ly):
        for j in range(Lx):
            config[i, j] = 1 - 2 * np.int8(blocks[j & 1, i & 1, i // 2 + 1, j // 2 + 1])


@numba.njit(cache=True)
def _refresh_ghosts(block, R):
    W = block.shape[1] - 2
    for r in range(1, R + 1):
        block[r, 0] = block[r, W]
        block[r, W + 1] = block[r, 1]
    block[0, :] = block[R, :]
    block[R + 1, :] = block[1, :]


@numba.njit(cache=True)
def _ising_block_thresholds(table):
    """Thresholds by class ``nh * 6 + nv * 2 + x``: full (uint64) and upper 16 bits (uint16).

    ``nh``, ``nv``: left/right and up/down neighbours opposite to the site; ``x``: its bit.
    """
    full = np.empty(18, dtype=np.uint64)
    upper = np.empty(18, dtype=np.uint16)
    for nh in range(3):
        for nv in range(3):
            for x in range(2):
                k = nh * 6 + nv * 2 + x
                full[k] = table[(2 - nh) * 6 + (2 - nv) * 2 + (1 - x)]
                upper[k] = min(full[k] >> np.uint64(16), np.uint64(0xFFFF))
    return full, upper


@numba.njit(cache=True, inline="always")
def _pick3(n, if0, if1, if2):
    return if0 if n == 0 else (if1 if n == 1 else if2)


@numba.njit(cache=True, inline="always")
def _select18(nh, nv, x, t):
    """``t[nh * 6 + nv * 2 + x]`` as selects, which vectorise where a table lookup does not."""
    x0 = _pick3(nv, _pick3(nh, t[0], t[6], t[12]), _pick3(nh, t[2], t[8], t[14]),
                _pick3(nh, t[4], t[10], t[16]))
    x1 = _pick3(nv, _pick3(nh, t[1], t[7], t[13]), _pick3(nh, t[3], t[9], t[15]),
                _pick3(nh, t[5], t[11], t[17]))
    return x0 if x == 0 else x1


@numba.njit(cache=True)
def _ising_block_pass(spins, h0, h1, v0, v1, u, valid, upper):
    """Vector pass over one chunk: flip, keep, or mark a tie (bit 1) for the exact pass.

    Returns the flips, their sums of ``nh``, ``nv`` and ``x`` (all modulo 2**16, exact for
    chunks of at most ``_CHUNK`` sites) and whether any tie was marked. The narrow types and
    masks in place of products keep the loop in 8- and 16-bit vector lanes.
    """
    u8, u16 = np.uint8, np.uint16
    t = (upper[0], upper[1], upper[2], upper[3], upper[4], upper[5], upper[6], upper[7],
         upper[8], upper[9], upper[10], upper[11], upper[12], upper[13], upper[14], upper[15],
         upper[16], upper[17])
    flips = u16(0)
    sum_nh = u16(0)
    sum_nv = u16(0)
    sum_x = u16(0)
    ties = u8(0)
    for k in range(spins.shape[0]):
        x = spins[k]
        nh = u8(u8(x ^ h0[k]) + u8(x ^ h1[k]))
        nv = u8(u8(x ^ v0[k]) + u8(x ^ v1[k]))
        threshold = _select18(nh, nv, x, t)
        w = u[k]
        ok = valid[k]
        flip = u8(u8(w < threshold) & ok)
        tie = u8(u8(w == threshold) & ok)
        spins[k] = u8(u8(x ^ flip) | u8(tie + tie))
        mask = u8(-flip)
        flips = u16(flips + flip)
        sum_nh = u16(sum_nh + u8(mask & nh))
        sum_nv = u16(sum_nv + u8(mask & nv))
        sum_x = u16(sum_x + u8(flip & x))
        ties = u8(ties | tie)
    return flips, sum_nh, sum_nv, sum_x, ties


@numba.njit(cache=True)
def _ising_block_ties(spins, h0, h1, v0, v1, u, full, stream, totals):
    """Exact decision for the sites marked by :func:`_ising_block_pass`."""
    for k in range(spins.shape[0]):
        if spins[k] & 2:
            x = spins[k] & 1
            nh = (x ^ h0[k]) + (x ^ h1[k])
            nv = (x ^ v0[k]) + (x ^ v1[k])
            r = (np.uint64(u[k]) << np.uint64(16)) | (next_uint64(stream) >> np.uint64(48))
            flip = np.uint8(r < full[nh * 6 + nv * 2 + x])
            spins[k] = x ^ flip
            totals[0] += flip
            totals[1] += flip * nh
            totals[2] += flip * nv
            totals[3] += flip * x


@numba.njit(cache=True)
def _ising_block_update(A, H, V, dh, dv, P, valid, lanes, buf, u, full, upper, stream, totals):
    """Metropolis on every site of one block (flat ``A``; partners ``H``, ``V`` at ``dh``, ``dv``).

    ``totals`` (int64, 4) accumulates the flips and their sums of ``nh``, ``nv`` and ``x``.
    """
    n_sites = valid.shape[0]
    for start in range(0, n_sites, _CHUNK):
        n = min(_CHUNK, n_sites - start)
        fill_lanes(lanes, buf[:(n + 4 * LANES - 1) // (4 * LANES)])
        s = P + start
        flips, sum_nh, sum_nv, sum_x, ties = _ising_block_pass(
            A[s:s + n], H[s:s + n], H[s + dh:s + dh + n], V[s:s + n], V[s + dv:s + dv + n],
            u[:n], valid[start:start + n], upper)
        totals[0] += flips
        totals[1] += sum_nh
        totals[2] += sum_nv
        totals[3] += sum_x
        if ties:
            _ising_block_ties(A[s:s + n], H[s:s + n], H[s + dh:s + dh + n], V[s:s + n],
                              V[s + dv:s + dv + n], u[:n], full, stream, totals)


@numba.njit(cache=True)
def _ising_energy_change(params, totals):
    """Energy and magnetisation changes of the flips summed in ``totals``."""
    Jx, Jy, h = params
    flips, sum_nh, sum_nv, sum_x = totals[0], totals[1], totals[2], totals[3]
    # flipping a site of class (nh, nv, x) changes the energy by
    # 4 Jx (1 - nh) + 4 Jy (1 - nv) + 2 h (1 - 2 x) and the magnetisation by -2 (1 - 2 x)
    d_energy = 4.0 * Jx * (flips - sum_nh) + 4.0 * Jy * (flips - sum_nv) \
        + 2.0 * h * (flips - 2 * sum_x)
    return d_energy, -2.0 * (flips - 2 * sum_x)


@numba.njit(cache=True)
def _ising_sweep(config, rng_state, params, table, energy, n_sweeps, thin, rec_energy,
                 rec_magnet, rec_snapshots):
    """Checkerboard sweeps of one chain on an even lattice (``LocalKernel.sweep``)."""
    R = config.shape[0] // 2
    blocks = _ising_blocks(config)
    P = blocks.shape[3]
    flat = blocks.reshape(2, 2, -1)
    n_sites = (R * P + _VECTOR - 1) // _VECTOR * _VECTOR
    valid = np.zeros(n_sites, dtype=np.uint8)
    valid[:R * P].reshape(R, P)[:, 1:P - 1] = 1
    full, upper = _ising_block_thresholds(table)
    lanes = seed_lanes(rng_state)
    buf = np.empty((_CHUNK // (4 * LANES), LANES), dtype=np.uint64)
    u = buf.reshape(-1).view(np.uint16)
    magnet = float(np.sum(config))
    totals = np.zeros(4, dtype=np.int64)
    record = 0
    for sweep_index in range(1, n_sweeps + 1):
        for colour in range(2):
            for q in range(2):
                p = (colour + q) & 1
                _ising_block_update(flat[p, q], flat[1 - p, q], flat[p, 1 - q],
                                    -1 if p == 0 else 1, -P if q == 0 else P, P, valid, lanes,
                                    buf, u, full, upper, rng_state, totals)
                _refresh_ghosts(blocks[p, q], R)
        if thin > 0 and sweep_index % thin == 0 and record < rec_energy.shape[0]:
            d_energy, d_magnet = _ising_energy_change(params, totals)
            rec_energy[record] = energy + d_energy
            rec_magnet[record] = magnet + d_magnet
            if rec_snapshots.shape[0] > 0:
                _ising_unblock(blocks, rec_snapshots[record])
            record += 1
    _ising_unblock(blocks, config)
    return energy + _ising_energy_change(params, totals)[0], totals[0]
