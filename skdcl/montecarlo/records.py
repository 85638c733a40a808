"""What chains carry between calls, and what a run records."""

import numpy as np

__all__ = ["ChainState", "MetropolisRun"]


class ChainState:
    """Configurations of many chains with their running energy and random streams.

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
        The order parameter (:func:`~skdcl.montecarlo.statistics.order_parameter`) times the
        number of sites, so that it is extensive like the energy.
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
