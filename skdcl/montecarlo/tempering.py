"""Replica exchange (parallel tempering) over a ladder of temperatures, for any energy model.

Each of ``n_chains`` independent ladders holds one replica per temperature. Every temperature
keeps its own :class:`~skdcl.montecarlo.engine.ChainState` (one chain per ladder) and runs its
sweeps through :func:`~skdcl.montecarlo.engine.run_model`, so compiled kernels of exact and
learned models and the batched path of models without a kernel all work. Every ``swap_every``
sweeps, neighbouring temperatures ``T_k < T_{k+1}`` of the same ladder try to exchange their
configurations, the pairs ``(0, 1), (2, 3), ...`` and ``(1, 2), (3, 4), ...`` in alternate
rounds, with the probability

.. math::

    \\min\\left(1, \\exp[(\\beta_k - \\beta_{k+1})(E_k - E_{k+1})]\\right),

``E`` the model energies tracked by the chains. A swap exchanges the configurations and their
energies; the random streams stay with their temperatures. Swap decisions come from one NumPy
generator seeded from ``random_state``, so a run is reproducible with a seed.

Swaps cut the sweeps into many short engine calls. When a call holds less than
:data:`PARALLEL_WORK` site updates it runs on one numba thread, since starting the threads of a
parallel loop then costs more than the work (results do not depend on the number of threads).
"""

from contextlib import contextmanager

import numba
import numpy as np
from sklearn.utils import check_random_state

from ..lattice import check_count, check_snapshots, check_temperature
from .engine import ChainState, MetropolisRun, run_model
from .streams import seed_streams

__all__ = ["TemperingRun", "ReplicaLadders", "sample_tempering", "PARALLEL_WORK"]

#: Fewest site updates per engine call (chains x sites x sweeps) run on several numba threads.
PARALLEL_WORK = 2**16


class TemperingRun:
    """Recorded output of :func:`sample_tempering`.

    Attributes
    ----------
    temperatures : ndarray of shape (n_temperatures,)
        The temperatures, increasing.
    runs : list of MetropolisRun
        ``runs[k]`` holds the records at ``temperatures[k]``: chain ``c`` is ladder ``c``'s
        replica at that temperature, whichever configuration it holds after the swaps, so the
        chains of one temperature are independent and
        :func:`~skdcl.montecarlo.statistics.thermodynamic_observables` applies to each run
        unchanged.
    swap_acceptance : ndarray of shape (n_temperatures - 1,)
        ``swap_acceptance[k]``: fraction of accepted swaps between ``temperatures[k]`` and
        ``temperatures[k + 1]`` over the measured sweeps (NaN for a pair never tried).
    swap_attempts : ndarray of int, shape (n_temperatures - 1,)
        Swaps tried per pair over the measured sweeps, all ladders together.
    round_trips : ndarray of int, shape (n_chains,)
        Completed round trips per ladder over the measured sweeps: a replica that went from the
        lowest temperature to the highest and back to the lowest.
    """

    def __init__(self, temperatures, runs, swap_acceptance, swap_attempts, round_trips):
        self.temperatures = temperatures
        self.runs = runs
        self.swap_acceptance = swap_acceptance
        self.swap_attempts = swap_attempts
        self.round_trips = round_trips

    def swap_acceptance_column(self):
        """Swap acceptance as a column of a table with one row per temperature.

        Returns
        -------
        column : ndarray of shape (n_temperatures,)
            Row ``k`` holds the rate of the pair ``(T_k, T_{k+1})``; the highest temperature,
            which has no partner above it, holds NaN.
        """
        return np.append(self.swap_acceptance, np.nan)


class ReplicaLadders:
    """Replicas of ``n_chains`` ladders at every temperature, run and swapped in place.

    The state of a replica-exchange run between calls, so that a caller can run it in rounds
    (:meth:`MetropolisSimulator.thermodynamics <skdcl.simulator.MetropolisSimulator.thermodynamics>`
    with ``replica_exchange=True``); :func:`sample_tempering` is one equilibration and one
    measured round.

    Parameters
    ----------
    model : energy model
    configs : ndarray of int8, shape (n_temperatures, n_chains, Ly, Lx)
        Starting configurations (kept and updated in place).
    temperatures : ndarray of shape (n_temperatures,)
        Strictly increasing.
    swap_every : int
        Sweeps between swap rounds.
    rng : RandomState
        Seeds the chains' streams and the swap decisions.
    """

    def __init__(self, model, configs, temperatures, swap_every, rng):
        self.model = model
        self.temperatures = temperatures
        self.betas = 1.0 / temperatures
        self.swap_every = swap_every
        self.states = [ChainState(c, model.energy(c), seed_streams(len(c), rng)) for c in configs]
        self.swap_rng = np.random.default_rng(rng.randint(0, 2**31 - 1))
        n_temperatures, n_chains = configs.shape[:2]
        self.clock = 0
        self.rounds = 0
        # replica held by each temperature of each ladder, and where each replica last was:
        # +1 at the lowest temperature (now heading up), -1 at the highest, 0 neither yet
        self.replica = np.repeat(np.arange(n_temperatures)[:, None], n_chains, axis=1)
        self.heading = np.zeros((n_temperatures, n_chains), dtype=np.int8)
        self.heading[0] = 1
        self.reset_counts()

    def reset_counts(self):
        n_pairs = len(self.temperatures) - 1
        n_chains = self.replica.shape[1]
        self.accepted = np.zeros(n_pairs, dtype=np.int64)
        self.attempted = np.zeros(n_pairs, dtype=np.int64)
        self.round_trips = np.zeros(n_chains, dtype=np.int64)

    def sweeps_to_swap(self):
        """Sweeps before the next swap round (None: there is nothing to swap)."""
        if len(self.temperatures) == 1:
            return None
        return self.swap_every - self.clock % self.swap_every

    def advance(self, n_sweeps):
        """Count sweeps done, and run a swap round when one is due."""
        self.clock += n_sweeps
        if len(self.temperatures) > 1 and self.clock % self.swap_every == 0:
            self.swap_round()

    def swap_round(self):
        for k in range(self.rounds % 2, len(self.temperatures) - 1, 2):
            self.try_swap(k)
        self.rounds += 1
        self.track_round_trips()

    def try_swap(self, k):
        low, high = self.states[k], self.states[k + 1]
        x = (self.betas[k] - self.betas[k + 1]) * (low.energies - high.energies)
        accept = self.swap_rng.random(len(x)) < np.exp(np.minimum(x, 0.0))
        for a, b in ((low.configs, high.configs), (low.energies, high.energies),
                     (self.replica[k], self.replica[k + 1])):
            a[accept], b[accept] = b[accept], a[accept]
        self.accepted[k] += np.count_nonzero(accept)
        self.attempted[k] += len(accept)

    def track_round_trips(self):
        ladders = np.arange(self.replica.shape[1])
        bottom, top = self.replica[0], self.replica[-1]
        self.round_trips += self.heading[bottom, ladders] == -1
        self.heading[bottom, ladders] = 1
        self.heading[top, ladders] = np.where(self.heading[top, ladders] == 1, -1,
                                              self.heading[top, ladders])

    def run(self, n_sweeps, thin=0, store_snapshots=False):
        """Sweep every temperature with swap rounds in between; records every ``thin`` sweeps.

        Returns, per temperature, the list of runs that make up the sweeps.
        """
        pieces = [[] for _ in self.states]
        done = 0
        with _threads_for(self.states[0].configs.size * self.swap_every
                          if len(self.temperatures) > 1 else None):
            while done < n_sweeps:
                step = n_sweeps - done
                to_swap = self.sweeps_to_swap()
                if to_swap is not None:
                    step = min(step, to_swap)
                self.sweep(step, done, thin, store_snapshots, pieces)
                done += step
                self.advance(step)
        return pieces

    def measure(self, n_sweeps, thin=1, store_snapshots=False):
        """Run ``n_sweeps`` sweeps, recording every ``thin``; swap counts start afresh.

        Parameters
        ----------
        n_sweeps : int
            A multiple of ``thin``.
        thin : int, default=1
        store_snapshots : bool, default=False

        Returns
        -------
        result : TemperingRun
            The records of these sweeps and their swap statistics.
        """
        self.reset_counts()
        runs = [_join(p) for p in self.run(n_sweeps, thin, store_snapshots)]
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = np.where(self.attempted > 0, self.accepted / self.attempted, np.nan)
        return TemperingRun(self.temperatures, runs, rates, self.attempted.copy(),
                            self.round_trips.copy())

    def sweep(self, n_sweeps, start, thin, store_snapshots, pieces):
        """``n_sweeps`` sweeps at every temperature from measured sweep ``start``, recording
        after every sweep whose count is a multiple of ``thin``."""
        while n_sweeps > 0:
            offset = start % thin if thin else 0
            step = n_sweeps if offset == 0 else min(n_sweeps, thin - offset)
            n_records = (start + step) // thin - start // thin if thin else 0
            every = thin if offset == 0 else step
            for k, state in enumerate(self.states):
                pieces[k].append(run_model(
                    self.model, state, self.temperatures[k], step,
                    thin=every if n_records else 0, n_records=n_records,
                    store_snapshots=store_snapshots and n_records > 0))
            start += step
            n_sweeps -= step


def _join(pieces):
    """One :class:`MetropolisRun` from consecutive runs of the same chains."""
    recorded = [p for p in pieces if p.energies.shape[1] > 0]
    snapshots = None
    if recorded and recorded[0].snapshots is not None:
        snapshots = np.concatenate([p.snapshots for p in recorded], axis=1)
    return MetropolisRun(np.concatenate([p.energies for p in recorded], axis=1),
                         np.concatenate([p.magnetizations for p in recorded], axis=1),
                         snapshots, sum(p.accepted for p in pieces),
                         sum(p.attempted for p in pieces))


def sample_tempering(model, configs, temperatures, *, n_equilibration, n_records, thin=1,
                     swap_every=1, store_snapshots=False, random_state=None):
    """Replica exchange: Metropolis at every temperature of a ladder, with swaps between them.

    ``n_chains`` independent ladders hold one replica per temperature. Between rounds of
    ``swap_every`` Metropolis sweeps at every temperature
    (:func:`~skdcl.montecarlo.engine.run_model`: compiled kernels, or batched energy calls
    for models without one), neighbouring temperatures of each ladder try to exchange their
    configurations and energies with probability
    ``min(1, exp((1/T_k - 1/T_{k+1}) (E_k - E_{k+1})))``, even pairs ``(T_0, T_1), (T_2, T_3),
    ...`` and odd pairs ``(T_1, T_2), ...`` in alternate rounds. Each temperature keeps its own
    random streams. With a single temperature there are no swaps, and the result is that of
    :func:`~skdcl.montecarlo.engine.sample_model` with the same arguments.

    Parameters
    ----------
    model : energy model
        Any object of the energy-model protocol (``sites``, ``energy``, optional
        ``local_kernel``), exact or learned.
    configs : array-like of shape (n_chains, Ly, Lx) or (n_temperatures, n_chains, Ly, Lx)
        Starting configurations (copied): one per ladder, shared by all its temperatures, or
        one per temperature and ladder.
    temperatures : array-like of float, shape (n_temperatures,)
        Strictly increasing positive temperatures, in units of J. Unsorted ladders are refused
        rather than reordered, so that ``runs[k]`` always belongs to ``temperatures[k]``.
    n_equilibration : int
        Sweeps discarded first (with swaps).
    n_records : int
        Records kept per chain and temperature.
    thin : int, default=1
        Sweeps between records.
    swap_every : int, default=1
        Sweeps between swap rounds.
    store_snapshots : bool, default=False
        Whether to keep the configurations at each record.
    random_state : int, RandomState instance or None, default=None
        Seed of the chains' streams and of the swap decisions.

    Returns
    -------
    result : TemperingRun
        ``result.runs[k]`` is the :class:`~skdcl.montecarlo.engine.MetropolisRun` at
        ``temperatures[k]``; ``result.swap_acceptance[k]`` the acceptance rate of the pair
        ``(T_k, T_{k+1})`` over the measured sweeps, all ladders together. A table with one row
        per temperature reports the rate of the pair ``(T_k, T_{k+1})`` on row ``k`` and NaN on
        the last row (:meth:`TemperingRun.swap_acceptance_column`).

    Examples
    --------
    >>> import numpy as np
    >>> from skdcl import IsingModel
    >>> configs = np.ones((4, 4, 4), dtype=np.int8)
    >>> result = sample_tempering(IsingModel(), configs, [2.0, 2.5, 3.0], n_equilibration=10,
    ...                           n_records=20, random_state=0)
    >>> [run.energies.shape for run in result.runs]
    [(4, 20), (4, 20), (4, 20)]
    >>> result.swap_acceptance.shape
    (2,)
    """
    temperatures = _check_temperatures(temperatures)
    for name, value, low in (("n_equilibration", n_equilibration, 0),
                             ("n_records", n_records, 1), ("thin", thin, 1),
                             ("swap_every", swap_every, 1)):
        check_count(value, name, low)
    if not isinstance(store_snapshots, (bool, np.bool_)):
        raise ValueError(f"store_snapshots must be a bool, got {store_snapshots!r}.")
    configs = _check_configs(model, configs, len(temperatures))
    ladders = ReplicaLadders(model, configs, temperatures, swap_every,
                             check_random_state(random_state))
    ladders.run(n_equilibration)
    return ladders.measure(n_records * thin, thin, bool(store_snapshots))


@contextmanager
def _threads_for(work):
    """One numba thread while engine calls hold less than :data:`PARALLEL_WORK` updates
    (``work``: updates per call, None when the sweeps are not cut by swaps)."""
    previous = numba.get_num_threads()
    if work is not None and work < PARALLEL_WORK:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _check_temperatures(temperatures):
    array = np.asarray(temperatures, dtype=object)
    if array.ndim != 1 or array.size == 0:
        raise ValueError("temperatures must be a non-empty 1-d array of positive floats, got "
                         f"shape {array.shape}.")
    values = np.array([check_temperature(T, "temperatures") for T in array])
    if np.any(np.diff(values) <= 0):
        raise ValueError(f"temperatures must be strictly increasing, got {values.tolist()}.")
    return values


def _check_configs(model, configs, n_temperatures):
    """Starting configurations as int8 ``(n_temperatures, n_chains, Ly, Lx)`` (a copy)."""
    array = np.asarray(configs)
    if array.ndim == 3:
        array = np.broadcast_to(array, (n_temperatures,) + array.shape)
    elif array.ndim != 4 or array.shape[0] != n_temperatures:
        raise ValueError(
            "configs must have shape (n_chains, Ly, Lx) or (n_temperatures, n_chains, Ly, Lx) "
            f"with n_temperatures = {n_temperatures}, got shape {array.shape}.")
    flat = check_snapshots(array.reshape((-1,) + array.shape[2:]), model.sites, name="configs")
    return flat.reshape(array.shape).copy()
