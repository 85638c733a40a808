"""The Metropolis engine: compiled sweeps over many independent chains.

The engine runs single-site Metropolis on any energy model that provides a
:class:`~skdcl.montecarlo.kernel.LocalKernel`. One sweep visits every site once in checkerboard
order (all sites with ``i + j`` even, then all with ``i + j`` odd). For nearest-neighbour
models this is the checkerboard update; for longer-ranged models (a learned EDNN) the sites are
updated one after the other in that order, which keeps the Boltzmann distribution stationary
for any local energy.

Chains run in parallel threads (``numba.prange``), each with its own random stream
(:mod:`skdcl.montecarlo.streams`), so results are bit-identical whatever the number of threads.
A kernel's whole-sweep function (``LocalKernel.sweep``: the Ising checkerboard, the tabulated
EDNN's colour classes) runs instead of the site-by-site sweep on lattices with even sides, and
its lane sweep (``LocalKernel.lane_sweep``) takes every full group of chains it can run side by
side. Models
without a kernel are simulated through batched calls of their ``energy``
(:func:`run_batched_chains`); exact pairwise models can add cluster moves
(:mod:`skdcl.montecarlo.clusters`, ``moves=`` of :func:`run_model`).
"""

import numba
import numpy as np
from sklearn.utils import check_random_state

from ..sites import SiteVariables
from .clusters import run_clusters
from .kernel import metropolis_update
from .records import ChainState, MetropolisRun
from .specialise import specialise
from .statistics import order_parameter
from .streams import seed_streams, xoshiro

__all__ = ["ChainState", "MetropolisRun", "run_chains", "run_batched_chains", "run_model",
           "sample_model", "local_energy_changes"]


class _Records:
    """Buffers a run writes its records into."""

    def __init__(self, n_chains, shape, n_records, store_snapshots):
        self.energy = np.zeros((n_chains, n_records))
        self.magnet = np.zeros((n_chains, n_records))
        self.snapshots = np.zeros((n_chains, n_records if store_snapshots else 0) + shape,
                                  dtype=np.int8)
        self.accepted = np.zeros(n_chains, dtype=np.int64)
        self.store_snapshots = store_snapshots

    def result(self, attempted):
        return MetropolisRun(self.energy, self.magnet,
                             self.snapshots if self.store_snapshots else None, self.accepted,
                             attempted)


def _check_sites(sites):
    return SiteVariables.ising() if sites is None else sites


def run_chains(kernel, state, temperature, n_sweeps, *, sites=None, thin=0, n_records=0,
               store_snapshots=False):
    """Run Metropolis sweeps on every chain of ``state`` in place.

    Parameters
    ----------
    kernel : LocalKernel
        Energy-change kernel of the model. Its ``sweep``, when there is one, runs on lattices
        with even sides; other lattices use the site-by-site sweep.
    state : ChainState
        Configurations, energies and random streams; updated in place.
    temperature : float
        Temperature in units of J.
    n_sweeps : int
        Sweeps to run (one sweep is one attempted move per site).
    sites : SiteVariables, default=None
        The model's site variables (None: Ising spins +-1). A move proposes another state
        uniformly (:func:`~skdcl.montecarlo.kernel.propose`).
    thin : int, default=0
        Record observables every ``thin`` sweeps (0: record nothing).
    n_records : int, default=0
        Number of records to keep (at most ``n_sweeps // thin``).
    store_snapshots : bool, default=False
        Whether to keep the configurations at each record.

    Returns
    -------
    run : MetropolisRun
    """
    sites = _check_sites(sites)
    n_chains, Ly, Lx = state.configs.shape
    records = _Records(n_chains, (Ly, Lx), n_records, store_snapshots)
    beta = 1.0 / float(temperature)
    table = np.zeros(0) if kernel.acceptance_table is None else kernel.acceptance_table(beta)
    if n_sweeps > 0 and kernel.sweep is not None and Ly % 2 == 0 and Lx % 2 == 0:
        _run_whole_sweeps(kernel, state, table, int(n_sweeps), int(thin), records)
    elif n_sweeps > 0:
        aux = (np.zeros((n_chains, 0), dtype=np.int64) if kernel.init_aux is None
               else kernel.init_aux(state.configs))
        _site_sweeper(kernel)(
            state.configs, aux, state.energies, state.rng_states, kernel.params,
            sites.kernel_values, beta, table, int(n_sweeps), int(thin), records.energy,
            records.magnet, records.snapshots, records.accepted)
    return records.result(n_sweeps * Ly * Lx)


def _run_whole_sweeps(kernel, state, table, n_sweeps, thin, records):
    """Whole sweeps: full groups of ``lane_width`` chains by ``lane_sweep``, the rest by
    ``sweep``."""
    n_chains = state.configs.shape[0]
    width = kernel.lane_width if kernel.lane_sweep is not None else 0
    split = n_chains - n_chains % width if width > 0 else 0

    def arguments(chains):
        return (state.configs[chains], state.energies[chains], state.rng_states[chains],
                kernel.params, table, n_sweeps, thin, records.energy[chains],
                records.magnet[chains], records.snapshots[chains], records.accepted[chains])

    if split > 0:
        _lane_driver(kernel.lane_sweep)(*arguments(slice(0, split)), width)
    if split < n_chains:
        _whole_chain_driver(kernel.sweep)(*arguments(slice(split, n_chains)))


# One compiled driver per kernel function, built on first use and cached on disk
# (:func:`~skdcl.montecarlo.specialise.specialise`). The templates below refer to the kernel's
# functions (``sweep``, ``update``, ``sweep_chain``, ``delta_energy``) and flags as globals that
# each specialised copy binds.
_SITE_SWEEPERS = {}
_WHOLE_CHAIN_DRIVERS = {}
_LANE_DRIVERS = {}
_KEPT_LANE_DRIVERS = 8


def _whole_chain_driver(sweep):
    """The compiled multi-chain driver of a kernel's whole-sweep function."""
    if sweep not in _WHOLE_CHAIN_DRIVERS:
        _WHOLE_CHAIN_DRIVERS[sweep] = specialise(_whole_chain_template, {"sweep": sweep},
                                                 parallel=True)
    return _WHOLE_CHAIN_DRIVERS[sweep]


def _whole_chain_template(configs, energies, rng_states, params, table, n_sweeps, thin,
                          rec_energy, rec_magnet, rec_snapshots, accepted):
    for c in numba.prange(configs.shape[0]):
        energies[c], n_accepted = sweep(configs[c], rng_states[c], params, table,  # noqa: F821
                                        energies[c], n_sweeps, thin, rec_energy[c],
                                        rec_magnet[c], rec_snapshots[c])
        accepted[c] += n_accepted


def _lane_driver(lane_sweep):
    """The compiled driver of a kernel's lane sweep: one group of chains per thread.

    Lane sweeps are compiled per fitted model (their table is a constant), so only the drivers
    of the last few are kept.
    """
    if lane_sweep in _LANE_DRIVERS:
        _LANE_DRIVERS[lane_sweep] = _LANE_DRIVERS.pop(lane_sweep)  # now the most recent
    else:
        if len(_LANE_DRIVERS) >= _KEPT_LANE_DRIVERS:
            _LANE_DRIVERS.pop(next(iter(_LANE_DRIVERS)))
        _LANE_DRIVERS[lane_sweep] = specialise(_lane_group_template, {"lane_sweep": lane_sweep},
                                               parallel=True)
    return _LANE_DRIVERS[lane_sweep]


def _lane_group_template(configs, energies, rng_states, params, table, n_sweeps, thin,
                         rec_energy, rec_magnet, rec_snapshots, accepted, lane_width):
    for g in numba.prange(configs.shape[0] // lane_width):
        group = slice(g * lane_width, (g + 1) * lane_width)
        lane_sweep(configs[group], energies[group], rng_states[group], params,  # noqa: F821
                   table, n_sweeps, thin, rec_energy[group], rec_magnet[group],
                   rec_snapshots[group], accepted[group])


def _site_sweeper(kernel):
    """The compiled multi-chain site-by-site sweep of a kernel.

    With ``split_draws`` every 64-bit draw serves two moves (low then high 32 bits), for updates
    that need only 32 random bits.
    """
    key = (kernel.delta_energy, kernel.site_update, kernel.random_bits)
    if key not in _SITE_SWEEPERS:
        update = kernel.site_update or metropolis_update(kernel.delta_energy)
        split_draws = kernel.site_update is not None and kernel.random_bits == 32
        chain = specialise(_site_sweep_chain_template,
                           {"update": update, "split_draws": split_draws})
        _SITE_SWEEPERS[key] = specialise(_site_sweep_template, {"sweep_chain": chain},
                                         parallel=True)
    return _SITE_SWEEPERS[key]


def _site_sweep_chain_template(c, configs, aux, energies, rng_states, params, sites, beta,
                               table, n_sweeps, thin, rec_energy, rec_magnet, rec_snapshots,
                               accepted):
    # one chain in a plain function: LLVM optimises it fully, outside the parallel region
    config = configs[c]
    local = aux[c]
    Ly, Lx = config.shape
    s0, s1, s2, s3 = rng_states[c, 0], rng_states[c, 1], rng_states[c, 2], rng_states[c, 3]
    energy = energies[c]
    n_accepted = 0
    record = 0
    spare = numba.uint64(0)
    have_spare = False
    for sweep_index in range(1, n_sweeps + 1):
        for parity in range(2):
            for i in range(Ly):
                for j in range((i + parity) & 1, Lx, 2):
                    if split_draws and have_spare:  # noqa: F821
                        r = spare
                        have_spare = False
                    else:
                        r, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
                        spare = r >> numba.uint64(32)
                        have_spare = True
                    a, dE = update(config, local, i, j, params, sites, beta,  # noqa: F821
                                   table, r)
                    n_accepted += a
                    energy += dE
        if thin > 0 and sweep_index % thin == 0 and record < rec_energy.shape[1]:
            rec_energy[c, record] = energy
            rec_magnet[c, record] = order_parameter(config, sites) * Ly * Lx
            if rec_snapshots.shape[1] > 0:
                rec_snapshots[c, record] = config
            record += 1
    rng_states[c, 0], rng_states[c, 1], rng_states[c, 2], rng_states[c, 3] = s0, s1, s2, s3
    energies[c] = energy
    accepted[c] += n_accepted


def _site_sweep_template(configs, aux, energies, rng_states, params, sites, beta, table,
                         n_sweeps, thin, rec_energy, rec_magnet, rec_snapshots, accepted):
    for c in numba.prange(configs.shape[0]):
        sweep_chain(c, configs, aux, energies, rng_states, params, sites, beta,  # noqa: F821
                    table, n_sweeps, thin, rec_energy, rec_magnet, rec_snapshots, accepted)


def run_batched_chains(energy, state, temperature, n_sweeps, *, sites=None, thin=0,
                       n_records=0, store_snapshots=False):
    """Metropolis through batched energy calls, for models without a compiled local kernel.

    Every step proposes one random single-site move in every chain and evaluates all proposals
    with one call of ``energy``; a sweep is ``Ly * Lx`` such steps. Same arguments and result as
    :func:`run_chains`, with ``energy(X) -> (n,)`` in place of the kernel.
    """
    sites = _check_sites(sites)
    configs = state.configs
    n_chains, Ly, Lx = configs.shape
    n_sites = Ly * Lx
    rng = np.random.default_rng(state.rng_states.ravel().tolist())
    beta = 1.0 / float(temperature)
    records = _Records(n_chains, (Ly, Lx), n_records, store_snapshots)
    flat = configs.reshape(n_chains, n_sites)
    rows = np.arange(n_chains)
    record = 0
    for sweep_index in range(1, n_sweeps + 1):
        for _ in range(n_sites):
            targets = rng.integers(0, n_sites, size=n_chains)
            proposal = flat.copy()
            proposal[rows, targets] = _propose_many(sites, flat[rows, targets], rng)
            delta = (np.asarray(energy(proposal.reshape(configs.shape)), dtype=float)
                     - state.energies)
            accepted = rng.random(n_chains) < np.exp(-beta * np.maximum(delta, 0.0))
            flat[accepted] = proposal[accepted]
            state.energies[accepted] += delta[accepted]
            records.accepted += accepted
        if thin > 0 and sweep_index % thin == 0 and record < n_records:
            records.energy[:, record] = state.energies
            records.magnet[:, record] = [order_parameter(c, sites.kernel_values) * n_sites
                                         for c in configs]
            if store_snapshots:
                records.snapshots[:, record] = configs
            record += 1
    state.rng_states[:] = rng.integers(1, 2**63, size=state.rng_states.shape, dtype=np.uint64)
    return records.result(n_sweeps * n_sites)


def _propose_many(sites, old, rng):
    """:func:`~skdcl.montecarlo.kernel.propose` for an array of values, from a NumPy generator."""
    states = sites.states(old)
    if sites.two_state:
        return sites.from_states(1 - states)
    picks = rng.integers(0, sites.n_states - 1, size=len(old))
    return sites.from_states((states + 1 + picks) % sites.n_states)


def run_model(model, state, temperature, n_sweeps, *, thin=0, n_records=0,
              store_snapshots=False, moves="metropolis"):
    """Run sweeps with the model's compiled kernel, or in batches through its ``energy``.

    Parameters
    ----------
    model : energy model
        Any object of the energy-model protocol (``sites``, ``energy``, optional
        ``local_kernel`` and ``cluster_kernel``).
    state, temperature, n_sweeps, thin, n_records, store_snapshots
        As in :func:`run_chains`.
    moves : {"metropolis", "cluster", "auto"}, default="metropolis"
        ``"metropolis"``: single-site Metropolis sweeps. ``"cluster"``: Swendsen-Wang updates
        only (:func:`~skdcl.montecarlo.clusters.run_clusters`), for models whose
        ``cluster_kernel(shape)`` returns a kernel; any other model raises ValueError.
        ``"auto"``: where the model offers cluster moves on unfrustrated bonds, every sweep is
        one Metropolis sweep followed by one Swendsen-Wang update (``metropolis=True`` of
        :func:`~skdcl.montecarlo.clusters.run_clusters`); Metropolis alone otherwise.

    Returns
    -------
    run : MetropolisRun
        A :class:`~skdcl.montecarlo.clusters.ClusterRun` when cluster moves ran.
    """
    record = {"sites": model.sites, "thin": thin, "n_records": n_records,
              "store_snapshots": store_snapshots}
    cluster_kernel = _cluster_kernel(model, state.configs.shape[1:], moves)
    if cluster_kernel is not None:

        return run_clusters(cluster_kernel, state, temperature, n_sweeps,
                            metropolis=moves == "auto", **record)
    if hasattr(model, "local_kernel"):
        kernel = model.local_kernel(state.configs.shape[1:])
        return run_chains(kernel, state, temperature, n_sweeps, **record)
    return run_batched_chains(model.energy, state, temperature, n_sweeps, **record)


_MOVES = ("metropolis", "cluster", "auto")


def _cluster_kernel(model, shape, moves):
    """The model's cluster kernel when ``moves`` asks for cluster moves, else None."""
    if not isinstance(moves, str) or moves not in _MOVES:
        raise ValueError(f"moves must be one of {_MOVES}, got {moves!r}.")
    if moves == "metropolis":
        return None
    offer = getattr(model, "cluster_kernel", None)
    kernel = None if offer is None else offer(tuple(shape))
    if moves == "cluster" and kernel is None:
        raise ValueError(f"moves='cluster' needs a model with cluster moves; "
                         f"{type(model).__name__} offers none here (a field, a plaquette term, "
                         f"antiferromagnetic Potts couplings or a learned energy); use "
                         f"moves='metropolis' or 'auto'.")
    if moves == "auto" and (kernel is None or kernel.frustrated):
        return None
    return kernel


def sample_model(model, configs, temperature, *, n_equilibration, n_records, thin=1,
                 store_snapshots=False, random_state=None, moves="metropolis"):
    """Equilibrate chains from ``configs``, then record every ``thin`` sweeps.

    The measurement loop shared by :meth:`MetropolisSimulator.thermodynamics
    <skdcl.simulator.MetropolisSimulator.thermodynamics>` and
    :func:`~skdcl.datasets.make_snapshots`.

    Parameters
    ----------
    model : energy model
    configs : ndarray of int8, shape (n_chains, Ly, Lx)
        Starting configurations (copied).
    temperature : float
    n_equilibration : int
        Sweeps discarded first.
    n_records : int
        Records kept per chain.
    thin : int, default=1
        Sweeps between records.
    store_snapshots : bool, default=False
    random_state : int, RandomState instance or None, default=None
        Seed of the chains' streams.
    moves : {"metropolis", "cluster", "auto"}, default="metropolis"
        Which updates a sweep makes (see :func:`run_model`).

    Returns
    -------
    run : MetropolisRun
    """
    configs = np.array(configs, dtype=np.int8)
    _cluster_kernel(model, configs.shape[1:], moves)
    rng = check_random_state(random_state)
    state = ChainState(configs, model.energy(configs), seed_streams(len(configs), rng))
    run_model(model, state, temperature, n_equilibration, moves=moves)
    return run_model(model, state, temperature, n_records * thin, thin=thin,
                     n_records=n_records, store_snapshots=store_snapshots, moves=moves)


def local_energy_changes(kernel, configs, sites=None):
    """Energy change of every single-site move of every configuration.

    Parameters
    ----------
    kernel : LocalKernel
    configs : ndarray of int8, shape (n, Ly, Lx)
    sites : SiteVariables, default=None
        The model's site variables (None: Ising spins +-1).

    Returns
    -------
    changes : ndarray of shape (n, Ly, Lx, m)
        Two states (``m = 1``): the change on moving each site to its other state. More
        (``m = n_states``): the change on setting each site to each state (0 for its own).
    """
    sites = _check_sites(sites)
    if kernel.delta_energy not in _CHANGE_MAPS:
        _CHANGE_MAPS[kernel.delta_energy] = specialise(
            _change_map_template, {"delta_energy": kernel.delta_energy}, parallel=True)
    configs = np.ascontiguousarray(configs, dtype=np.int8)
    out = np.zeros(configs.shape + (sites.n_channels,))
    _CHANGE_MAPS[kernel.delta_energy](configs.copy(), kernel.params, sites.kernel_values, out)
    return out


_CHANGE_MAPS = {}


def _change_map_template(configs, params, sites, out):
    n_states, offset, shift = sites
    n, Ly, Lx = configs.shape
    for c in numba.prange(n):
        config = configs[c]
        for i in range(Ly):
            for j in range(Lx):
                old = config[i, j]
                own = (old - offset) >> shift
                if n_states == 2:
                    new = numba.int8(offset + ((1 - own) << shift))
                    out[c, i, j, 0] = delta_energy(config, i, j, new, params)  # noqa: F821
                else:
                    for k in range(n_states):
                        if k != own:
                            new = numba.int8(offset + (k << shift))
                            out[c, i, j, k] = delta_energy(  # noqa: F821
                                config, i, j, new, params)
