"""The kernel protocol: what an energy model gives the engine to run Metropolis on it.

An energy model, exact or learned, implements ``local_kernel(shape) -> LocalKernel``. The least
it provides is a compiled energy change ``delta_energy(config, i, j, new_value, params)``; the
engine builds the Metropolis update around it from the pieces of this module (the proposal rule
:func:`propose` and the acceptance rule :func:`accept`), which a model's own fast update can call
too. ``docs/dev/kernel_protocol.rst`` explains the protocol with a worked example.
"""

from typing import Callable, NamedTuple

import numba
import numpy as np

from .streams import uniform

__all__ = ["LocalKernel", "accept", "propose", "metropolis_update"]


class LocalKernel(NamedTuple):
    """What the Monte Carlo engine needs to run Metropolis on an energy model.

    Site values are read through the model's :class:`~skdcl.sites.SiteVariables`; compiled
    functions receive its encoding as the tuple ``sites = (n_states, offset, shift)``
    (:attr:`SiteVariables.kernel_values <skdcl.sites.SiteVariables.kernel_values>`).

    Attributes
    ----------
    delta_energy : numba dispatcher
        ``delta_energy(config, i, j, new_value, params) -> float``: energy change of setting site
        ``(i, j)`` of ``config`` (int8 array ``(Ly, Lx)``) to the stored value ``new_value``.
        Mark it ``inline="always"`` for speed.
    params : tuple
        The arrays and numbers ``delta_energy`` reads, passed back to it unchanged (a flat
        tuple: numba's parallel loops do not take nested tuples of arrays).
    site_update : numba dispatcher, optional
        A specialised single-site Metropolis update
        ``site_update(config, aux, i, j, params, sites, beta, table, r) -> (accepted, dE)``,
        ``r`` a 64-bit random draw (see :func:`metropolis_update`, the one the engine builds
        from ``delta_energy`` when this is None).
    acceptance_table : callable, optional
        ``acceptance_table(beta) -> ndarray`` precomputed once per run and passed to
        ``site_update`` and ``sweep`` as ``table``.
    random_bits : {64, 32}, default=64
        Random bits ``site_update`` reads from ``r``; with 32 (the low half) one draw of the
        generator serves two moves.
    init_aux : callable, optional
        ``init_aux(configs) -> ndarray of int64, shape (n_chains, k)``: per-chain state that
        ``site_update`` keeps in step with the configuration (passed to it as ``aux``), for
        instance the codes of the tiles of a tabulated EDNN.
    sweep : numba dispatcher, optional
        A whole-chain fast path, used in place of the site-by-site sweep when both sides of the
        lattice are even: any fixed sequence of single-site Metropolis updates visiting every
        site once (the Ising model's checkerboard, the tabulated EDNN's colour classes).
        ``sweep(config, rng_state, params, table, energy, n_sweeps, thin, rec_energy,
        rec_magnet, rec_snapshots) -> (energy, accepted)`` runs ``n_sweeps`` such sweeps
        of one chain in place (``rng_state``: the chain's stream, uint64 ``(4,)``), records the
        energy, magnetisation and (when ``rec_snapshots`` is not empty) the configuration after
        every ``thin``-th sweep while records are left, and returns the final energy and the
        number of accepted moves. See :mod:`skdcl.montecarlo.checkerboard`.
    lane_sweep : numba dispatcher, optional
        A fast path over ``lane_width`` chains at once (one chain per vector lane), used with
        ``sweep`` for every full group of ``lane_width`` chains on lattices with even sides:
        ``lane_sweep(configs, energies, rng_states, params, table, n_sweeps, thin, rec_energy,
        rec_magnet, rec_snapshots, accepted)`` does for a group what ``sweep`` does for one
        chain, every per-chain argument with the group's chains along its leading axis (see
        :mod:`skdcl.ednn._lanes`).
    lane_width : int, default=0
        Chains per call of ``lane_sweep``.
    """

    delta_energy: Callable
    params: tuple
    site_update: Callable = None
    acceptance_table: Callable = None
    random_bits: int = 64
    init_aux: Callable = None
    sweep: Callable = None
    lane_sweep: Callable = None
    lane_width: int = 0


#: Resolution of the tabulated Boltzmann factors used to accept most moves without calling exp.
_EXP_STEP = 1.0 / 32.0
_EXP_TABLE = np.exp(-_EXP_STEP * np.arange(0, 40 * 32 + 2))
#: Largest ``beta * dE`` the table covers; beyond it exp is called directly.
_EXP_LIMIT = (_EXP_TABLE.shape[0] - 1) * _EXP_STEP


@numba.njit(cache=True, inline="always")
def accept(x, u):
    """Whether Metropolis accepts a move with ``x = beta * dE``, given a uniform ``u`` in [0, 1).

    Exact: ``u < exp(-x)``. Tabulated bounds settle almost every case; exp is called only
    when ``u`` falls between the two entries that bracket ``exp(-x)`` or ``x`` lies beyond the
    table (so that no ``x``, however large, is converted to an integer).
    """
    if x <= 0.0:
        return True
    if x >= _EXP_LIMIT or x != x:
        return u < np.exp(-x)
    k = int(x * 32.0)
    if u < _EXP_TABLE[k + 1]:
        return True
    if u >= _EXP_TABLE[k]:
        return False
    return u < np.exp(-x)


@numba.njit(cache=True, inline="always")
def propose(old, r, sites):
    """The proposal of single-site Metropolis: another state, uniformly (compiled).

    Parameters
    ----------
    old : int8
        The site's stored value.
    r : uint64
        A random draw; only its high 32 bits are read (the low ones decide acceptance).
    sites : tuple (n_states, offset, shift)
        The site variables' encoding.

    Returns
    -------
    new : int8
        Two states: the other one. More: one of the ``n_states - 1`` others, uniformly.
    """
    n_states, offset, shift = sites
    state = (old - offset) >> shift
    if n_states == 2:
        new_state = 1 - state
    else:
        pick = numba.int64(((r >> numba.uint64(32)) * numba.uint64(n_states - 1)) >> 32)
        new_state = (state + 1 + pick) % n_states
    return numba.int8(offset + (new_state << shift))


def metropolis_update(delta_energy):
    """The single-site Metropolis update the engine builds from an energy-change kernel.

    Returns a compiled ``update(config, aux, i, j, params, sites, beta, table, r) -> (accepted,
    dE)`` with the signature of :attr:`LocalKernel.site_update`.
    """

    @numba.njit(inline="always")
    def update(config, aux, i, j, params, sites, beta, table, r):
        new = propose(config[i, j], r, sites)
        dE = delta_energy(config, i, j, new, params)
        if accept(beta * dE, uniform(r)):
            config[i, j] = new
            return 1, dE
        return 0, 0.0

    return update
