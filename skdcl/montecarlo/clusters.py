"""Cluster updates (Swendsen-Wang and Wolff) for pairwise nearest-neighbour models.

A model whose energy is a sum of nearest-neighbour bonds offers cluster moves through
``cluster_kernel(shape) -> ClusterKernel`` (None when they do not apply: a field, a plaquette
term, antiferromagnetic Potts couplings). The kernel writes every bond in the Potts form

.. math::

    H = -\\sum_{\\langle ij \\rangle} K_{ij}\\, \\delta(s_i, s_j) + \\text{const},

so that one algorithm serves the Ising model (``K = 2 J``, any sign), the Edwards-Anderson spin
glass (``K_ij = 2 J_ij``) and the ferromagnetic q-state Potts model (``K = J >= 0``). A bond is
*satisfied* when it holds its lower energy: equal states for ``K > 0``, different states for
``K < 0`` (two states only). Clusters grow through satisfied bonds, each added with probability
``p_ij = 1 - exp(-beta |K_ij|)``; moving a cluster applies one transposition of two states
``(a b)`` to all its sites (for two states: flips them all), which keeps every bond inside it as
it was. The energy is recomputed from the bonds (:func:`bond_energy`, one pass over the
lattice) at every record and at the end of a run.

**Swendsen-Wang** (1987, the default): one sweep puts every site in a cluster (each bond tested
at most once) and gives every cluster a state ``c`` drawn uniformly among all ``q``, swapping
``c`` with the state ``a`` of its first site. A sweep changes about ``N (1 - 1/q)`` sites, like
a Metropolis sweep attempts ``N``.

**Wolff** (1989): one cluster grows from a uniform seed site of state ``a`` and takes a new state
``b`` drawn uniformly among the other ``q - 1``. A sweep is a fixed number of clusters
(``clusters_per_sweep``). The number is fixed in advance on purpose: ending a sweep once the
clusters have moved ``N`` sites makes the record times depend on the cluster sizes, and the
records then over-represent ordered configurations (4x4 Ising at T = 2: energy per spin -1.818
against the exact -1.755).

Both moves are rejection-free and obey detailed balance. Each chain draws from its own
xoshiro256** stream (:mod:`skdcl.montecarlo.streams`), so runs are bit-identical whatever the
number of threads. With ``metropolis=True`` (``moves="auto"`` of
:func:`~skdcl.montecarlo.run_model`), :func:`run_clusters` starts every sweep with a single-site
Metropolis sweep computed from the same bonds (:func:`metropolis_sweep`), so that no compiled
code is built per model.
"""

from typing import NamedTuple

import numba
import numpy as np

from ..lattice import check_count
from ..sites import SiteVariables
from .checkerboard import ising_acceptance_table, ising_checkerboard_sweep
from .kernel import accept, propose
from .records import MetropolisRun
from .statistics import order_parameter
from .streams import uniform, xoshiro

__all__ = ["ClusterKernel", "ClusterRun", "run_clusters", "wolff_cluster", "swendsen_wang_sweep",
           "grow_cluster", "metropolis_sweep", "site_bonds", "bond_energy", "ALGORITHMS"]

_LOW_32 = np.uint64(0xFFFFFFFF)


class ClusterKernel(NamedTuple):
    """Bonds of a pairwise nearest-neighbour model in Potts form, for cluster moves.

    Build one with :meth:`ising` or :meth:`potts`; models return one from
    ``cluster_kernel(shape)``.

    Attributes
    ----------
    Kx : ndarray of float64, shape (Ly, Lx)
        ``Kx[y, x]``: weight of the bond between ``(y, x)`` and ``(y, x + 1)`` (periodic), in
        ``H = -sum K delta(s_i, s_j) + const``. The bonds are the model's whole energy (up to
        the constant): :func:`metropolis_sweep` computes energy changes from them alone.
    Ky : ndarray of float64, shape (Ly, Lx)
        ``Ky[y, x]``: weight of the bond between ``(y, x)`` and ``(y + 1, x)``.
    """

    Kx: np.ndarray
    Ky: np.ndarray

    @classmethod
    def ising(cls, Jx, Jy, shape):
        """Kernel of ``H = -sum J_ij s_i s_j`` with spins +-1 (``K = 2 J``).

        Parameters
        ----------
        Jx, Jy : float or array-like of shape (Ly, Lx)
            Couplings along rows and columns, as in
            :class:`~skdcl.EdwardsAndersonModel` (any sign).
        shape : tuple of two ints

        Returns
        -------
        kernel : ClusterKernel
        """
        return cls(*(2.0 * _bond_array(J, shape, name) for J, name in ((Jx, "Jx"), (Jy, "Jy"))))

    @classmethod
    def potts(cls, J, shape):
        """Kernel of the ferromagnetic Potts model ``H = -J sum delta(s_i, s_j)``.

        Parameters
        ----------
        J : float
            Coupling, ``J >= 0``.
        shape : tuple of two ints

        Returns
        -------
        kernel : ClusterKernel
        """
        if not J >= 0:
            raise ValueError(f"J must be >= 0 for Potts cluster moves, got {J!r}.")
        return cls(_bond_array(J, shape, "J"), _bond_array(J, shape, "J"))

    @property
    def shape(self):
        """Lattice shape ``(Ly, Lx)`` the bonds are laid out on."""
        return self.Kx.shape

    @property
    def frustrated(self):
        """Whether no relabelling makes every bond ferromagnetic (a spin glass).

        On frustrated bonds the clusters grow to nearly the whole lattice at low temperature and
        decorrelate little, so ``moves="auto"`` keeps single-site Metropolis there.
        """
        neighbours, weights, _ = site_bonds(self, 1.0)
        return bool(_frustrated(neighbours, weights))


def _bond_array(J, shape, name):
    try:
        array = np.broadcast_to(np.asarray(J, dtype=np.float64), shape)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of shape {shape}, got "
                         f"{J!r}.") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {J!r}.")
    return np.ascontiguousarray(array)


@numba.njit(cache=True)
def _frustrated(neighbours, weights):
    """Whether the signs of the nonzero bonds admit no gauge (a 2-colouring search)."""
    n_sites = neighbours.shape[0]
    gauge = np.zeros(n_sites, dtype=np.int8)
    stack = np.empty(n_sites, dtype=np.int64)
    for start in range(n_sites):
        if gauge[start] != 0:
            continue
        gauge[start] = 1
        stack[0] = start
        top = 1
        while top > 0:
            top -= 1
            site = stack[top]
            for d in range(4):
                other, K = neighbours[site, d], weights[site, d]
                if K == 0.0:
                    continue
                wanted = gauge[site] if K > 0 else -gauge[site]
                if gauge[other] == 0:
                    gauge[other] = wanted
                    stack[top] = other
                    top += 1
                elif gauge[other] != wanted:
                    return True
    return False


def site_bonds(cluster_kernel, beta):
    """Per-site tables of the four bonds of every site, for the compiled updates.

    Parameters
    ----------
    cluster_kernel : ClusterKernel
    beta : float
        Inverse temperature.

    Returns
    -------
    neighbours : ndarray of int64, shape (N, 4)
        Flat index of the right, left, lower and upper neighbour of every site.
    weights : ndarray of float64, shape (N, 4)
        The bond weights ``K`` towards them.
    thresholds : ndarray of uint64, shape (N, 4)
        ``floor(2**32 (1 - exp(-beta |K|)))``: a uniform 32-bit draw ``u`` adds a satisfied
        bond to a cluster when ``u < threshold``.
    """
    Kx, Ky = cluster_kernel.Kx, cluster_kernel.Ky
    Ly, Lx = Kx.shape
    index = np.arange(Ly * Lx).reshape(Ly, Lx)
    neighbours = np.stack([np.roll(index, -1, axis=1), np.roll(index, 1, axis=1),
                           np.roll(index, -1, axis=0), np.roll(index, 1, axis=0)], axis=-1)
    weights = np.stack([Kx, np.roll(Kx, 1, axis=1), Ky, np.roll(Ky, 1, axis=0)], axis=-1)
    thresholds = np.floor(-np.expm1(-beta * np.abs(weights)) * 2.0**32).astype(np.uint64)
    return (neighbours.reshape(-1, 4).astype(np.int64), weights.reshape(-1, 4).copy(),
            thresholds.reshape(-1, 4))


@numba.njit(cache=True, inline="always")
def grow_cluster(config, neighbours, weights, thresholds, seed, mark, stack, generation, floor,
                 s0, s1, s2, s3):
    """Grow one cluster from ``seed`` through satisfied bonds (compiled).

    Each satisfied bond from a cluster site to a site with ``mark < floor`` (in no cluster of
    the current update) is tested once and added with its probability; the cluster's sites get
    ``mark = generation`` and fill ``stack[:size]``.

    Parameters
    ----------
    config : ndarray of int8, shape (N,)
        One configuration, flat.
    neighbours, weights, thresholds : ndarray, shape (N, 4)
        Bond tables (:func:`site_bonds`).
    seed : int
        Flat index of the first site.
    mark : ndarray of int64, shape (N,)
        Cluster labels of the sites, all below ``generation`` before the call.
    stack : ndarray of int64, shape (N + 1,)
        Receives the cluster's sites (and one spare entry).
    generation : int
        Label of this cluster.
    floor : int
        Sites with ``mark >= floor`` already belong to a cluster and are not tested.
    s0, s1, s2, s3 : uint64
        The chain's xoshiro256** state.

    Returns
    -------
    size : int
    s0, s1, s2, s3 : uint64
        The advanced stream.
    """
    mark[seed] = generation
    stack[0] = seed
    size, head = 1, 0
    while head < size:
        site = stack[head]
        head += 1
        value = config[site]
        for d in range(4):
            if d & 1 == 0:
                r, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
            else:
                r >>= numba.uint64(32)
            other = neighbours[site, d]
            # branch-free: the outcomes are random, so branches on them would mispredict
            add = ((mark[other] < floor)
                   & ((config[other] == value) == (weights[site, d] > 0.0))
                   & ((r & _LOW_32) < thresholds[site, d]))
            stack[size] = other
            mark[other] = generation if add else mark[other]
            size += numba.int64(add)
    return size, s0, s1, s2, s3


@numba.njit(cache=True, inline="always")
def _relabel(config, stack, size, a, b):
    """Swap the values ``a`` and ``b`` on the cluster ``stack[:size]``."""
    for k in range(size):
        site = stack[k]
        config[site] = b if config[site] == a else a


@numba.njit(cache=True, inline="always")
def _value(state, offset, shift):
    return numba.int8(offset + (state << shift))


@numba.njit(cache=True)
def wolff_cluster(config, neighbours, weights, thresholds, sites, mark, stack, generation, s0, s1,
                  s2, s3):
    """Grow and move one Wolff cluster of one flat configuration in place (compiled).

    The seed is uniform over the sites; the new state ``b`` is uniform among the other
    ``n_states - 1``. Arguments as in :func:`grow_cluster`, with ``sites`` the encoding
    ``(n_states, offset, shift)`` and ``generation`` above every value in ``mark``.

    Returns
    -------
    size : int
        Sites moved.
    s0, s1, s2, s3 : uint64
        The advanced stream.
    """
    n_states, offset, shift = sites
    r, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
    seed = numba.int64(((r >> numba.uint64(32)) * numba.uint64(config.shape[0]))
                       >> numba.uint64(32))
    a = config[seed]
    pick = numba.int64(((r & _LOW_32) * numba.uint64(n_states - 1)) >> numba.uint64(32))
    b = _value((((a - offset) >> shift) + 1 + pick) % n_states, offset, shift)
    size, s0, s1, s2, s3 = grow_cluster(config, neighbours, weights, thresholds, seed, mark,
                                        stack, generation, generation, s0, s1, s2, s3)
    _relabel(config, stack, size, a, b)
    return size, s0, s1, s2, s3


@numba.njit(cache=True)
def swendsen_wang_sweep(config, neighbours, weights, thresholds, sites, mark, stack, generation,
                        s0, s1, s2, s3):
    """One Swendsen-Wang update of one flat configuration in place (compiled).

    Every site joins exactly one cluster (bonds tested lazily, each at most once); every
    cluster draws a state ``c`` uniformly among all ``n_states`` and swaps ``c`` with its first
    site's state ``a`` (nothing changes when ``c == a``). Arguments as in :func:`wolff_cluster`.

    Returns
    -------
    generation : int
        The last cluster label used.
    clusters : int
        Clusters built.
    moved : int
        Sites whose value changed.
    s0, s1, s2, s3 : uint64
        The advanced stream.
    """
    n_states, offset, shift = sites
    floor = generation + 1
    moved, clusters = 0, 0
    for seed in range(config.shape[0]):
        if mark[seed] >= floor:
            continue
        generation += 1
        clusters += 1
        size, s0, s1, s2, s3 = grow_cluster(config, neighbours, weights, thresholds, seed, mark,
                                            stack, generation, floor, s0, s1, s2, s3)
        r, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
        c = _value(numba.int64(((r & _LOW_32) * numba.uint64(n_states)) >> numba.uint64(32)),
                   offset, shift)
        a = config[seed]
        if c != a:
            moved += size
            _relabel(config, stack, size, a, c)
    return generation, clusters, moved, s0, s1, s2, s3


@numba.njit(cache=True)
def metropolis_sweep(config, neighbours, weights, sites, beta, Lx, s0, s1, s2, s3):
    """One single-site Metropolis sweep in checkerboard order from the bonds alone (compiled).

    Each site of the flat configuration (rows of ``Lx`` sites) proposes another state uniformly
    (:func:`~skdcl.montecarlo.propose`) with energy change
    ``-sum_d K_d (delta(new, s_d) - delta(old, s_d))`` over its four bonds, accepted with
    probability ``min(1, exp(-beta dE))``.

    Returns
    -------
    accepted : int
    s0, s1, s2, s3 : uint64
        The advanced stream.
    """
    Ly = config.shape[0] // Lx
    accepted = 0
    for parity in range(2):
        for i in range(Ly):
            for j in range((i + parity) & 1, Lx, 2):
                site = i * Lx + j
                r, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
                old = config[site]
                new = propose(old, r, sites)
                dE = 0.0
                for d in range(4):
                    value = config[neighbours[site, d]]
                    dE -= weights[site, d] * (numba.int64(value == new)
                                              - numba.int64(value == old))
                if accept(beta * dE, uniform(r)):
                    config[site] = new
                    accepted += 1
    return accepted, s0, s1, s2, s3


@numba.njit(cache=True)
def bond_energy(config, neighbours, weights):
    """``-sum K delta(s_i, s_j)`` over the bonds of a flat configuration (compiled)."""
    energy = 0.0
    for site in range(config.shape[0]):
        value = config[site]
        energy -= (weights[site, 0] * (config[neighbours[site, 0]] == value)
                   + weights[site, 2] * (config[neighbours[site, 2]] == value))
    return energy


class ClusterRun(MetropolisRun):
    """Recorded output of :func:`run_clusters`: a :class:`MetropolisRun` with cluster counts.

    ``accepted`` counts the single-site moves accepted by the Metropolis sweeps plus every site
    whose value a cluster update changed; ``attempted`` counts ``N = Ly * Lx`` per Metropolis
    sweep and ``N`` per cluster sweep. For Swendsen-Wang sweeps alone their ratio is the
    fraction of sites changed, about ``1 - 1 / q`` (cluster updates are never rejected).

    Attributes
    ----------
    clusters : ndarray of shape (n_chains,)
        Clusters built per chain.
    cluster_sites : ndarray of shape (n_chains,)
        Sites changed by cluster updates per chain.
    """

    def __init__(self, energies, magnetizations, snapshots, accepted, attempted, clusters,
                 cluster_sites):
        super().__init__(energies, magnetizations, snapshots, accepted, attempted)
        self.clusters = clusters
        self.cluster_sites = cluster_sites


#: Cluster algorithms of :func:`run_clusters`.
ALGORITHMS = ("swendsen-wang", "wolff")


def run_clusters(cluster_kernel, state, temperature, n_sweeps, *, sites=None,
                 algorithm="swendsen-wang", clusters_per_sweep=1, metropolis=False, thin=0,
                 n_records=0, store_snapshots=False):
    """Run cluster sweeps on every chain of ``state`` in place.

    Parameters
    ----------
    cluster_kernel : ClusterKernel
        Bonds of the model (``model.cluster_kernel(shape)``), laid out on the chains' shape.
    state : ChainState
        Configurations, energies and random streams; updated in place.
    temperature : float
        Temperature in units of J.
    n_sweeps : int
        Sweeps to run (see ``algorithm``).
    sites : SiteVariables, default=None
        The model's site variables (None: Ising spins +-1).
    algorithm : {"swendsen-wang", "wolff"}, default="swendsen-wang"
        ``"swendsen-wang"``: a sweep is one Swendsen-Wang update, which puts every site in a
        cluster and relabels every cluster. ``"wolff"``: a sweep is ``clusters_per_sweep``
        Wolff clusters.
    clusters_per_sweep : int, default=1
        Wolff clusters per sweep. It is fixed in advance on purpose: ending a sweep once the
        clusters have moved ``N`` sites makes the record times depend on the cluster sizes,
        which favours ordered configurations (4x4 Ising at T = 2: energy per spin -1.818
        against the exact -1.755).
    metropolis : bool, default=False
        Start every sweep with one single-site Metropolis sweep in checkerboard order: the
        Ising model's vectorised sweep
        (:func:`~skdcl.montecarlo.checkerboard.ising_checkerboard_sweep`) for spins +-1 with
        uniform couplings on even sides, :func:`metropolis_sweep` otherwise. Both updates
        leave the Boltzmann distribution stationary, so their product does too; the
        single-site sweep keeps the mix ergodic and cheaply moves the short-wavelength modes,
        the cluster update the long ones.
    thin : int, default=0
        Record observables every ``thin`` sweeps (0: record nothing).
    n_records : int, default=0
        Number of records to keep (at most ``n_sweeps // thin``).
    store_snapshots : bool, default=False
        Whether to keep the configurations at each record.

    Returns
    -------
    run : ClusterRun
        The records of :func:`~skdcl.montecarlo.run_chains` plus cluster counts.

    Examples
    --------
    >>> from skdcl import IsingModel
    >>> from skdcl.montecarlo import ChainState, seed_streams
    >>> model = IsingModel()
    >>> configs = model.random_configurations(4, (8, 8), random_state=0)
    >>> state = ChainState(configs, model.energy(configs), seed_streams(4, 0))
    >>> run = run_clusters(model.cluster_kernel((8, 8)), state, 2.0, 50, thin=10, n_records=5)
    >>> run.energies.shape
    (4, 5)
    >>> bool(np.allclose(state.energies, model.energy(state.configs)))
    True
    """
    sites = SiteVariables.ising() if sites is None else sites
    n_chains, Ly, Lx = state.configs.shape
    _check_kernel(cluster_kernel, (Ly, Lx), sites)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
    check_count(clusters_per_sweep, "clusters_per_sweep", 1)
    beta = 1.0 / float(temperature)
    neighbours, weights, thresholds = site_bonds(cluster_kernel, beta)
    rec_energy = np.zeros((n_chains, n_records))
    rec_magnet = np.zeros((n_chains, n_records))
    rec_snapshots = np.zeros((n_chains, n_records if store_snapshots else 0, Ly, Lx),
                             dtype=np.int8)
    counts = np.zeros((n_chains, 3), dtype=np.int64)
    wolff = int(clusters_per_sweep) if algorithm == "wolff" else 0
    checkerboard = _checkerboard_params(cluster_kernel, sites) if metropolis else None
    ising_params = (0.0, 0.0, 0.0) if checkerboard is None else checkerboard
    table = ising_acceptance_table(ising_params, beta)
    if n_sweeps > 0:
        _run_all_chains(state.configs, state.energies, state.rng_states, neighbours, weights,
                        thresholds, sites.kernel_values, beta, bool(metropolis),
                        checkerboard is not None, ising_params, table, wolff, int(n_sweeps),
                        int(thin), rec_energy, rec_magnet, rec_snapshots, counts)
    attempted = int(n_sweeps) * Ly * Lx * (2 if metropolis else 1)
    return ClusterRun(rec_energy, rec_magnet, rec_snapshots if store_snapshots else None,
                      counts[:, 0], attempted, counts[:, 1], counts[:, 2])


def _checkerboard_params(cluster_kernel, sites):
    """``(Jx, Jy, 0)`` where the Ising checkerboard sweep applies, else None.

    It applies to spins +-1 with uniform couplings on a lattice with even sides.
    """
    Kx, Ky = cluster_kernel.Kx, cluster_kernel.Ky
    uniform_bonds = np.all(Kx == Kx.flat[0]) and np.all(Ky == Ky.flat[0])
    if (sites.kernel_values != (2, -1, 1) or not uniform_bonds
            or Kx.shape[0] % 2 or Kx.shape[1] % 2):
        return None
    return (float(Kx.flat[0]) / 2.0, float(Ky.flat[0]) / 2.0, 0.0)


def _check_kernel(cluster_kernel, shape, sites):
    if not isinstance(cluster_kernel, ClusterKernel):
        raise ValueError(f"cluster_kernel must be a ClusterKernel, got {cluster_kernel!r}.")
    if cluster_kernel.shape != shape:
        raise ValueError(f"cluster_kernel is laid out on shape {cluster_kernel.shape}; the "
                         f"chains have shape {shape}.")
    if sites.n_states > 2 and (np.any(cluster_kernel.Kx < 0) or np.any(cluster_kernel.Ky < 0)):
        raise ValueError("cluster_kernel has negative bonds, which need two states; the sites "
                         f"have {sites.n_states}.")


@numba.njit(cache=True)
def _run_chain(c, configs, energies, rng_states, neighbours, weights, thresholds, sites, beta,
               metropolis, checkerboard, ising_params, table, wolff, n_sweeps, thin, rec_energy,
               rec_magnet, rec_snapshots, counts):
    """Sweeps of one chain (outside the parallel region, so LLVM optimises it fully).

    The energy is the chain's starting energy plus the change of the bond energy, computed
    from the bonds at every record and at the end.
    """
    grid = configs[c]
    Ly, Lx = grid.shape
    n_sites = Ly * Lx
    config = grid.reshape(n_sites)
    offset = energies[c] - bond_energy(config, neighbours, weights)
    mark = np.zeros(n_sites, dtype=np.int64)
    stack = np.empty(n_sites + 1, dtype=np.int64)
    no_records = np.zeros(0)
    no_snapshots = np.zeros((0, Ly, Lx), dtype=np.int8)
    s0, s1, s2, s3 = rng_states[c, 0], rng_states[c, 1], rng_states[c, 2], rng_states[c, 3]
    accepted, generation, clusters, moved, record = 0, 0, 0, 0, 0
    for sweep_index in range(1, n_sweeps + 1):
        if metropolis and checkerboard:
            stream = rng_states[c]
            stream[0], stream[1], stream[2], stream[3] = s0, s1, s2, s3
            _, n = ising_checkerboard_sweep(grid, stream, ising_params, table, 0.0, 1, 0,
                                            no_records, no_records, no_snapshots)
            s0, s1, s2, s3 = stream[0], stream[1], stream[2], stream[3]
            accepted += n
        elif metropolis:
            n, s0, s1, s2, s3 = metropolis_sweep(config, neighbours, weights, sites, beta, Lx,
                                                 s0, s1, s2, s3)
            accepted += n
        if wolff > 0:
            for _ in range(wolff):
                generation += 1
                size, s0, s1, s2, s3 = wolff_cluster(config, neighbours, weights, thresholds,
                                                     sites, mark, stack, generation, s0, s1, s2,
                                                     s3)
                clusters += 1
                moved += size
        else:
            generation, n, size, s0, s1, s2, s3 = swendsen_wang_sweep(
                config, neighbours, weights, thresholds, sites, mark, stack, generation, s0, s1,
                s2, s3)
            clusters += n
            moved += size
        if thin > 0 and sweep_index % thin == 0 and record < rec_energy.shape[1]:
            rec_energy[c, record] = offset + bond_energy(config, neighbours, weights)
            rec_magnet[c, record] = order_parameter(grid, sites) * n_sites
            if rec_snapshots.shape[1] > 0:
                rec_snapshots[c, record] = grid
            record += 1
    rng_states[c, 0], rng_states[c, 1], rng_states[c, 2], rng_states[c, 3] = s0, s1, s2, s3
    energies[c] = offset + bond_energy(config, neighbours, weights)
    counts[c, 0] += accepted + moved
    counts[c, 1] += clusters
    counts[c, 2] += moved


@numba.njit(cache=True, parallel=True)
def _run_all_chains(configs, energies, rng_states, neighbours, weights, thresholds, sites, beta,
                    metropolis, checkerboard, ising_params, table, wolff, n_sweeps, thin,
                    rec_energy, rec_magnet, rec_snapshots, counts):
    for c in numba.prange(configs.shape[0]):
        _run_chain(c, configs, energies, rng_states, neighbours, weights, thresholds, sites,
                   beta, metropolis, checkerboard, ising_params, table, wolff, n_sweeps, thin,
                   rec_energy, rec_magnet, rec_snapshots, counts)
