"""Snapshot data sets from exact Monte Carlo, the shared test set, and exact references."""


import numpy as np
from sklearn.utils import check_random_state

from .exact import enumerate_exact, ising_exact
from .lattice import check_count, check_lattice_size, check_temperature
from .montecarlo import sample_model

__all__ = ["make_snapshots", "make_protocol_test_set", "PROTOCOL_TEMPERATURES", "ising_exact",
           "enumerate_exact"]

#: Temperatures of the shared energy-accuracy protocol; "random" adds uniformly random spins.
PROTOCOL_TEMPERATURES = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0)


def make_snapshots(model, L, T, n_samples, *, n_equilibration=1000, thin=10, n_chains=None,
                   init="random", moves="auto", random_state=None):
    """Equilibrium snapshots of an exact model by Monte Carlo.

    By default every sweep of a model with cluster moves (Ising without field or plaquette
    term, ferromagnetic Potts) is one Metropolis sweep followed by one Swendsen-Wang update,
    which decorrelates the snapshots near a transition far faster than Metropolis alone; other
    models (spin glasses, learned energies) run Metropolis sweeps.

    Parameters
    ----------
    model : energy model
        An exact Hamiltonian, or any model of the energy-model protocol.
    L : int or tuple of two ints
        Lattice side or ``(Ly, Lx)``.
    T : float
        Temperature in units of J.
    n_samples : int
        Number of snapshots.
    n_equilibration : int, default=1000
        Sweeps discarded at the start of every chain.
    thin : int, default=10
        Sweeps between two snapshots of the same chain.
    n_chains : int, default=None
        Independent chains; None uses ``min(n_samples, 64)``.
    init : {"random", "ordered"}, default="random"
        Starting configuration of every chain. ``"ordered"`` avoids long-lived domain walls of
        ferromagnets far below the transition.
    moves : {"auto", "metropolis", "cluster"}, default="auto"
        Updates of a sweep (:func:`skdcl.montecarlo.run_model`): ``"auto"`` mixes Metropolis
        with cluster updates where the model offers them, ``"metropolis"`` makes single-site
        moves only, ``"cluster"`` Swendsen-Wang updates only (a ValueError for models without
        cluster moves).
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives bit-identical snapshots.

    Returns
    -------
    X : ndarray of int8, shape (n_samples, Ly, Lx)
        Snapshots in random order (chains interleaved).

    Examples
    --------
    >>> from skdcl import IsingModel
    >>> X = make_snapshots(IsingModel(), L=8, T=4.0, n_samples=100, random_state=0)
    >>> X.shape, X.dtype.name
    ((100, 8, 8), 'int8')
    """
    shape = check_lattice_size(L)
    T = check_temperature(T)
    n_samples = check_count(n_samples, "n_samples", 1)
    n_equilibration = check_count(n_equilibration, "n_equilibration", 0)
    thin = check_count(thin, "thin", 1)
    n_chains = min(n_samples, 64) if n_chains is None else check_count(n_chains, "n_chains", 1)
    if init not in ("random", "ordered"):
        raise ValueError(f"init must be 'random' or 'ordered', got {init!r}.")
    rng = check_random_state(random_state)
    if init == "random":
        configs = model.sites.random(n_chains, shape, rng)
    else:
        configs = np.repeat(model.sites.ordered(shape)[None], n_chains, axis=0)
    per_chain = -(-n_samples // n_chains)
    run = sample_model(model, configs, T, n_equilibration=n_equilibration, n_records=per_chain,
                       thin=thin, store_snapshots=True, random_state=rng, moves=moves)
    snapshots = run.snapshots.reshape((-1,) + shape)
    return snapshots[rng.permutation(len(snapshots))[:n_samples]]


def make_protocol_test_set(model, L, n_per_temperature, *, temperatures=PROTOCOL_TEMPERATURES,
                           include_random=True, moves="auto", random_state=None):
    """Test configurations of the shared energy-accuracy protocol.

    Exact Monte Carlo at each of ``temperatures`` (T = 1, 1.5, 2, 2.5, 3, 4, 6 by default) plus
    uniformly random configurations, equal numbers of each.

    Parameters
    ----------
    model : energy model
        Exact model to sample from.
    L : int or tuple of two ints
        Lattice side or ``(Ly, Lx)``.
    n_per_temperature : int
        Configurations per source.
    temperatures : sequence of float, default=PROTOCOL_TEMPERATURES
    include_random : bool, default=True
        Add ``n_per_temperature`` uniformly random configurations (labelled ``inf``).
    moves : {"auto", "metropolis", "cluster"}, default="auto"
        Updates of the Monte Carlo sweeps, as in :func:`make_snapshots`.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of int8, shape (n, Ly, Lx)
    source_temperature : ndarray of float, shape (n,)
        Temperature each configuration was drawn at (``inf`` for random ones).
    """
    rng = check_random_state(random_state)
    parts, labels = [], []
    for T in temperatures:
        init = "ordered" if T < 2.5 else "random"
        parts.append(make_snapshots(model, L, T, n_per_temperature, thin=20, init=init,
                                    moves=moves, random_state=rng))
        labels.append(np.full(n_per_temperature, float(T)))
    if include_random:
        parts.append(model.sites.random(n_per_temperature, check_lattice_size(L), rng))
        labels.append(np.full(n_per_temperature, np.inf))
    return np.concatenate(parts), np.concatenate(labels)
