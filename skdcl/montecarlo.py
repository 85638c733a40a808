"""Numba Metropolis kernels over many independent chains, observables and error bars.

The engine runs single-site Metropolis on any energy model that provides a
:class:`~skdcl.hamiltonians.LocalKernel`. One sweep visits every site once in checkerboard order
(all sites with ``i + j`` even, then all with ``i + j`` odd). For nearest-neighbour models this is
the checkerboard update; for longer-ranged models (a learned EDNN) the sites are updated one after
the other in that order, which keeps the Boltzmann distribution stationary for any local energy.

Chains run in parallel threads (``numba.prange``). Each chain owns its own xoshiro256** random
stream, seeded from ``random_state`` through :class:`numpy.random.SeedSequence`, so results are
bit-identical whatever the number of threads.

A kernel may also bring a whole-sweep function (``LocalKernel.sweep``, the Ising model does) that
the engine runs instead of the site-by-site sweep on lattices with even sides. Such sweeps draw
their random numbers from :data:`LANES` independent xoshiro256** lanes per chain
(:func:`seed_lanes`, :func:`fill_lanes`), seeded from the chain's own stream at the start of every
run, so that a block of uniforms is produced with vector instructions.
"""

import numba
import numpy as np
from sklearn.utils import check_random_state

__all__ = ["ChainState", "MetropolisRun", "run_chains", "run_batched_chains", "jackknife",
           "seed_streams", "seed_lanes", "fill_lanes", "next_uint64", "LANES"]

_UINT64_MASK = (1 << 64) - 1


def seed_streams(n_chains, random_state=None):
    """Independent xoshiro256** states, one per chain, drawn from ``random_state``.

    Parameters
    ----------
    n_chains : int
    random_state : int, RandomState instance or None

    Returns
    -------
    states : ndarray of uint64, shape (n_chains, 4)
    """
    entropy = int(check_random_state(random_state).randint(0, 2**31 - 1))
    words = np.random.SeedSequence(entropy).generate_state(4 * n_chains, dtype=np.uint64)
    states = words.reshape(n_chains, 4)
    states[np.all(states == 0, axis=1), 0] = 1  # xoshiro must not start at all zeros
    return states


@numba.njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << numba.uint64(k)) | (x >> numba.uint64(64 - k))


@numba.njit(cache=True, inline="always")
def _xoshiro(s0, s1, s2, s3):
    """xoshiro256** on a state held in four local variables: ``(output, s0, s1, s2, s3)``."""
    result = _rotl(s1 * numba.uint64(5), 7) * numba.uint64(9)
    t = s1 << numba.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


#: Number of xoshiro256** lanes per chain used by whole-sweep kernels.
LANES = 16


@numba.njit(cache=True)
def next_uint64(state):
    """Next output of a xoshiro256** stream (compiled; call it from numba code).

    Parameters
    ----------
    state : ndarray of uint64, shape (4,)
        The stream's state, advanced in place.

    Returns
    -------
    r : uint64
    """
    r, state[0], state[1], state[2], state[3] = _xoshiro(state[0], state[1], state[2], state[3])
    return r


@numba.njit(cache=True, inline="always")
def _splitmix64(z):
    z = (z ^ (z >> numba.uint64(30))) * numba.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> numba.uint64(27))) * numba.uint64(0x94D049BB133111EB)
    return z ^ (z >> numba.uint64(31))


@numba.njit(cache=True)
def seed_lanes(state):
    """:data:`LANES` xoshiro256** states seeded from a chain's stream (compiled).

    Each lane word is the splitmix64 mix of the next output of ``state``, so the lanes are a
    deterministic function of the chain's stream, which advances by ``4 * LANES`` draws.

    Parameters
    ----------
    state : ndarray of uint64, shape (4,)
        The chain's stream; updated in place.

    Returns
    -------
    lanes : ndarray of uint64, shape (4, LANES)
    """
    lanes = np.empty((4, LANES), dtype=np.uint64)
    for k in range(LANES):
        for w in range(4):
            lanes[w, k] = _splitmix64(next_uint64(state))
        if lanes[0, k] == 0 and lanes[1, k] == 0 and lanes[2, k] == 0 and lanes[3, k] == 0:
            lanes[0, k] = 1
    return lanes


@numba.njit(cache=True, inline="always")
def fill_lanes(lanes, out):
    """Next outputs of every lane, with vector instructions (compiled; call it from numba code).

    The loop over lanes vectorises: xoshiro256** with its multiplications by 5 and 9 written as
    shifts and adds.

    Parameters
    ----------
    lanes : ndarray of uint64, shape (4, LANES)
        Lane states from :func:`seed_lanes`, advanced in place.
    out : ndarray of uint64, shape (m, LANES)
        Receives the next m outputs: ``out[r, k]`` is the r-th output of lane k.
    """
    for r in range(out.shape[0]):
        for k in range(LANES):
            s0, s1, s2, s3 = lanes[0, k], lanes[1, k], lanes[2, k], lanes[3, k]
            x = _rotl((s1 << numba.uint64(2)) + s1, 7)
            out[r, k] = (x << numba.uint64(3)) + x
            t = s1 << numba.uint64(17)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            lanes[0, k], lanes[1, k], lanes[2, k], lanes[3, k] = s0, s1, s2, _rotl(s3, 45)


class ChainState:
    """Configurations of many chains with their running energy and rng streams.

    Parameters
    ----------
    configs : ndarray of int8, shape (n_chains, Ly, Lx)
    energies : ndarray of float64, shape (n_chains,)
        Total energy of each configuration under the model being simulated.
    rng_states : ndarray of uint64, shape (n_chains, 4)
    """

    def __init__(self, configs, energies, rng_states):
        self.configs = np.ascontiguousarray(configs, dtype=np.int8)
        self.energies = np.ascontiguousarray(energies, dtype=np.float64)
        self.rng_states = np.ascontiguousarray(rng_states, dtype=np.uint64)


class MetropolisRun:
    """Recorded output of :func:`run_chains`.

    Attributes
    ----------
    energies : ndarray of shape (n_chains, n_records)
        Total energy after every ``thin``-th sweep.
    magnetizations : ndarray of shape (n_chains, n_records)
        Ising: total magnetisation ``sum s_i``. Potts: order parameter
        ``(q * max_k n_k / N - 1) / (q - 1)`` times ``N`` (so that both are extensive).
    snapshots : ndarray of int8, shape (n_chains, n_records, Ly, Lx) or None
    accepted : ndarray of shape (n_chains,)
        Accepted moves per chain over the whole run.
    attempted : int
        Attempted moves per chain over the whole run.
    """

    def __init__(self, energies, magnetizations, snapshots, accepted, attempted):
        self.energies = energies
        self.magnetizations = magnetizations
        self.snapshots = snapshots
        self.accepted = accepted
        self.attempted = attempted


_SWEEPERS = {}
_CHAIN_SWEEPERS = {}

#: Resolution of the tabulated Boltzmann factors used to accept most moves without calling exp.
_EXP_STEP = 1.0 / 32.0
_EXP_TABLE = np.exp(-_EXP_STEP * np.arange(0, 40 * 32 + 2))
_TWO_TO_MINUS_32 = 1.0 / 4294967296.0
_NO_TABLE = np.zeros(0, dtype=np.uint64)


def _chain_sweeper(sweep):
    """The compiled multi-chain driver of a kernel's whole-sweep function."""

    @numba.njit(parallel=True)
    def run(configs, energies, rng_states, params, table, n_sweeps, thin, rec_energy, rec_magnet,
            rec_snapshots, accepted):
        for c in numba.prange(configs.shape[0]):
            energies[c], n_accepted = sweep(configs[c], rng_states[c], params, table, energies[c],
                                            n_sweeps, thin, rec_energy[c], rec_magnet[c],
                                            rec_snapshots[c])
            accepted[c] += n_accepted

    return run


def _sweeper(kernel):
    """The compiled multi-chain sweep for one kernel (compiled once per kernel function)."""
    # everything the compiled sweep depends on: one site update can serve Ising (32 random
    # bits a move) and Potts (64) models
    key = (kernel.delta_energy, kernel.site_update, kernel.random_bits)
    if key not in _SWEEPERS:
        update = kernel.site_update or _metropolis_update(kernel.delta_energy)
        _SWEEPERS[key] = _make_sweeper(update, kernel.site_update is not None
                                       and kernel.random_bits == 32)
    return _SWEEPERS[key]


@numba.njit(cache=True, inline="always")
def _accept(x, u):
    """Whether to accept a move with ``x = beta * dE`` given a uniform ``u`` in [0, 1).

    Exact Metropolis: ``u < exp(-x)``. The tabulated bounds settle almost every case; exp is
    called only when ``u`` falls between the two table entries that bracket ``exp(-x)``.
    """
    if x <= 0.0:
        return True
    k = int(x * 32.0)
    if k >= _EXP_TABLE.shape[0] - 1:
        return u < np.exp(-x)
    if u < _EXP_TABLE[k + 1]:
        return True
    if u >= _EXP_TABLE[k]:
        return False
    return u < np.exp(-x)


def _metropolis_update(delta_energy):
    """A single-site Metropolis update built from an energy-change kernel."""

    @numba.njit(inline="always")
    def update(config, aux, i, j, params, q, beta, table, r):
        old = config[i, j]
        if q == 0:
            new = numba.int8(-old)
        else:
            pick = numba.int64(((r >> numba.uint64(32)) * numba.uint64(q - 1)) >> 32)
            new = numba.int8((old + 1 + pick) % q)
        dE = delta_energy(config, i, j, new, params)
        u = (r & numba.uint64(0xFFFFFFFF)) * _TWO_TO_MINUS_32
        if _accept(beta * dE, u):
            config[i, j] = new
            return 1, dE
        return 0, 0.0

    return update


def _make_sweeper(update, split_draws):
    """Compile the multi-chain sweep around one site update.

    With ``split_draws`` every 64-bit draw serves two moves (low then high 32 bits), for updates
    that need only 32 random bits.
    """

    @numba.njit
    def sweep_chain(c, configs, aux, energies, rng_states, params, q, beta, table, n_sweeps,
                    thin, rec_energy, rec_magnet, rec_snapshots, accepted):
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
                        if split_draws and have_spare:
                            r = spare
                            have_spare = False
                        else:
                            r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
                            spare = r >> numba.uint64(32)
                            have_spare = True
                        a, dE = update(config, local, i, j, params, q, beta, table, r)
                        n_accepted += a
                        energy += dE
            if thin > 0 and sweep_index % thin == 0 and record < rec_energy.shape[1]:
                rec_energy[c, record] = energy
                rec_magnet[c, record] = _order_parameter(config, q) * Ly * Lx
                if rec_snapshots.shape[1] > 0:
                    rec_snapshots[c, record] = config
                record += 1
        rng_states[c, 0], rng_states[c, 1], rng_states[c, 2], rng_states[c, 3] = s0, s1, s2, s3
        energies[c] = energy
        accepted[c] += n_accepted

    @numba.njit(parallel=True)
    def sweep(configs, aux, energies, rng_states, params, q, beta, table, n_sweeps, thin,
              rec_energy, rec_magnet, rec_snapshots, accepted):
        for c in numba.prange(configs.shape[0]):
            sweep_chain(c, configs, aux, energies, rng_states, params, q, beta, table, n_sweeps,
                        thin, rec_energy, rec_magnet, rec_snapshots, accepted)

    return sweep


@numba.njit(cache=True)
def _order_parameter(config, q):
    Ly, Lx = config.shape
    if q == 0:
        total = 0
        for i in range(Ly):
            for j in range(Lx):
                total += config[i, j]
        return total / (Ly * Lx)
    counts = np.zeros(q, dtype=np.int64)
    for i in range(Ly):
        for j in range(Lx):
            counts[config[i, j]] += 1
    return (q * counts.max() / (Ly * Lx) - 1.0) / (q - 1.0)


def run_chains(kernel, state, temperature, n_sweeps, *, q=0, thin=0, n_records=0,
               store_snapshots=False):
    """Run Metropolis sweeps on every chain of ``state`` in place.

    Parameters
    ----------
    kernel : LocalKernel
        Energy-change kernel of the model. Its ``sweep``, when there is one, runs on lattices
        with even sides; other lattices use the site-by-site sweep.
    state : ChainState
        Configurations, energies and rng streams; updated in place.
    temperature : float
        Temperature in units of J.
    n_sweeps : int
        Sweeps to run (one sweep is one attempted move per site).
    q : int, default=0
        0 for Ising spins (a move flips the spin); the number of Potts states otherwise (a move
        draws one of the other q - 1 labels uniformly).
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
    n_chains, Ly, Lx = state.configs.shape
    rec_energy = np.zeros((n_chains, n_records))
    rec_magnet = np.zeros((n_chains, n_records))
    shape = (n_chains, n_records if store_snapshots else 0, Ly, Lx)
    rec_snapshots = np.zeros(shape, dtype=np.int8)
    accepted = np.zeros(n_chains, dtype=np.int64)
    beta = 1.0 / float(temperature)
    table = _NO_TABLE if kernel.acceptance_table is None else kernel.acceptance_table(beta)
    aux = np.zeros((n_chains, 0), dtype=np.int64) if kernel.init_aux is None \
        else kernel.init_aux(state.configs)
    if n_sweeps > 0 and kernel.sweep is not None and Ly % 2 == 0 and Lx % 2 == 0:
        if kernel.sweep not in _CHAIN_SWEEPERS:
            _CHAIN_SWEEPERS[kernel.sweep] = _chain_sweeper(kernel.sweep)
        _CHAIN_SWEEPERS[kernel.sweep](
            state.configs, state.energies, state.rng_states, kernel.params, table,
            int(n_sweeps), int(thin), rec_energy, rec_magnet, rec_snapshots, accepted,
        )
    elif n_sweeps > 0:
        _sweeper(kernel)(
            state.configs, aux, state.energies, state.rng_states, kernel.params, int(q),
            beta, table, int(n_sweeps), int(thin),
            rec_energy, rec_magnet, rec_snapshots, accepted,
        )
    return MetropolisRun(rec_energy, rec_magnet, rec_snapshots if store_snapshots else None,
                         accepted, n_sweeps * Ly * Lx)


def jackknife(bins, estimator):
    """Jackknife estimate and standard error of a function of means.

    Parameters
    ----------
    bins : ndarray of shape (n_bins, n_quantities)
        Mean of each quantity within each bin (bins must be of equal size and roughly
        independent: whole chains, or blocks much longer than the autocorrelation time).
    estimator : callable
        Maps a vector of ``n_quantities`` means to a number.

    Returns
    -------
    value, error : float

    Examples
    --------
    >>> import numpy as np
    >>> bins = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> value, error = jackknife(bins, lambda m: m[0])
    >>> round(value, 6), round(error, 6)
    (2.5, 0.645497)
    """
    n_bins = bins.shape[0]
    total = bins.sum(axis=0)
    full = estimator(total / n_bins)
    leave_one_out = np.array([estimator((total - b) / (n_bins - 1)) for b in bins])
    error = np.sqrt((n_bins - 1) / n_bins * np.sum((leave_one_out - leave_one_out.mean()) ** 2))
    return float(full), float(error)


def run_batched_chains(energy, state, temperature, n_sweeps, *, q=0, thin=0, n_records=0,
                       store_snapshots=False):
    """Metropolis through batched energy calls, for models without a compiled local kernel.

    Every step proposes one random single-site move in every chain and evaluates all proposals
    with one call of ``energy``; a sweep is ``Ly * Lx`` such steps. Same arguments and result as
    :func:`run_chains`, with ``energy(X) -> (n,)`` in place of the kernel.
    """
    configs = state.configs
    n_chains, Ly, Lx = configs.shape
    n_sites = Ly * Lx
    rng = np.random.default_rng(state.rng_states.ravel().tolist())
    beta = 1.0 / float(temperature)
    rec_energy = np.zeros((n_chains, n_records))
    rec_magnet = np.zeros((n_chains, n_records))
    snapshots = np.zeros((n_chains, n_records, Ly, Lx), dtype=np.int8) if store_snapshots else None
    accepted = np.zeros(n_chains, dtype=np.int64)
    flat = configs.reshape(n_chains, n_sites)
    rows = np.arange(n_chains)
    record = 0
    for sweep_index in range(1, n_sweeps + 1):
        for _ in range(n_sites):
            sites = rng.integers(0, n_sites, size=n_chains)
            old = flat[rows, sites]
            new = -old if q == 0 else (old + 1 + rng.integers(0, q - 1, size=n_chains)) % q
            proposal = flat.copy()
            proposal[rows, sites] = new
            delta = np.asarray(energy(proposal.reshape(configs.shape)), dtype=float) \
                - state.energies
            accept = rng.random(n_chains) < np.exp(-beta * np.maximum(delta, 0.0))
            flat[accept] = proposal[accept]
            state.energies[accept] += delta[accept]
            accepted += accept
        if thin > 0 and sweep_index % thin == 0 and record < n_records:
            rec_energy[:, record] = state.energies
            rec_magnet[:, record] = [_order_parameter(c, q) * n_sites for c in configs]
            if store_snapshots:
                snapshots[:, record] = configs
            record += 1
    state.rng_states[:] = rng.integers(1, 2**63, size=state.rng_states.shape, dtype=np.uint64)
    return MetropolisRun(rec_energy, rec_magnet, snapshots, accepted, n_sweeps * n_sites)


_CHANGE_MAPS = {}


def local_energy_changes(kernel, configs, q=0):
    """Energy change of every single-site move of every configuration.

    Parameters
    ----------
    kernel : LocalKernel
    configs : ndarray of int8, shape (n, Ly, Lx)
    q : int, default=0
        0 for Ising spins; the number of Potts states otherwise.

    Returns
    -------
    changes : ndarray of shape (n, Ly, Lx, m)
        Ising (``m = 1``): the change on flipping each spin. Potts (``m = q``): the change on
        setting each site to each label (0 for its own label).
    """
    if kernel.delta_energy not in _CHANGE_MAPS:
        _CHANGE_MAPS[kernel.delta_energy] = _make_change_map(kernel.delta_energy)
    configs = np.ascontiguousarray(configs, dtype=np.int8)
    out = np.zeros(configs.shape + (max(q, 1),))
    _CHANGE_MAPS[kernel.delta_energy](configs.copy(), kernel.params, int(q), out)
    return out


def _make_change_map(delta_energy):
    @numba.njit(parallel=True)
    def change_map(configs, params, q, out):
        n, Ly, Lx = configs.shape
        for c in numba.prange(n):
            config = configs[c]
            for i in range(Ly):
                for j in range(Lx):
                    old = config[i, j]
                    if q == 0:
                        out[c, i, j, 0] = delta_energy(config, i, j, numba.int8(-old), params)
                    else:
                        for k in range(q):
                            if k != old:
                                out[c, i, j, k] = delta_energy(config, i, j, numba.int8(k),
                                                               params)

    return change_map
