"""MetropolisSimulator: Monte Carlo with any energy model, as a scikit-learn transformer."""

from numbers import Integral

import numba
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state

from ._compat import Interval, fit_context
from ._fitting import transactional
from ._logging import progress
from .hamiltonians import IsingModel
from .lattice import check_lattice_size, check_snapshots, check_temperature
from .montecarlo import ChainState, run_model, sample_model, seed_streams
from .montecarlo.statistics import thermodynamic_observables

__all__ = ["MetropolisSimulator", "THERMODYNAMICS_COLUMNS"]

#: Observables of :meth:`MetropolisSimulator.thermodynamics`, each with a ``_err`` column.
THERMODYNAMICS_COLUMNS = ("energy", "specific_heat", "abs_magnetization", "susceptibility",
                          "binder", "acceptance")


class MetropolisSimulator(TransformerMixin, BaseEstimator):
    """Metropolis Monte Carlo under an exact or learned energy model.

    As a transformer it is a Markov kernel: :meth:`transform` takes configurations and returns each
    after ``n_sweeps`` Metropolis sweeps at ``temperature`` (so it composes in Pipelines, for
    instance to equilibrate data). Successive calls continue one random stream, started from
    ``random_state`` by the first call (and again by :meth:`fit`), so that a loop of
    ``transform`` calls is one Markov chain and a fresh simulator with the same int seed repeats
    it exactly. :meth:`thermodynamics` measures observables over a range of
    temperatures, in parallel through joblib.

    Models with a numba ``local_kernel`` (exact Hamiltonians, fitted EDNNs) run in compiled
    checkerboard sweeps over many chains; other models (a fitted sequence model) are simulated
    through batched calls of their ``energy``.

    Parameters
    ----------
    energy_model : energy model, default=None
        Any object of the energy-model protocol (``sites``, ``energy``, optional
        ``local_kernel``). None means ``IsingModel()``. To keep a fitted model inside a Pipeline
        that is cloned (GridSearchCV), wrap it in :class:`sklearn.frozen.FrozenEstimator`.
    temperature : float, default=2.0
        Temperature of :meth:`transform`, in units of J.
    n_sweeps : int, default=10
        Sweeps per :meth:`transform` call (one sweep is one attempted move per site).
    n_jobs : int, default=None
        Temperatures run in parallel in :meth:`thermodynamics` (joblib semantics; works with
        any joblib backend, including Dask's).
    random_state : int, RandomState instance or None, default=None
        Seed of the Markov chains.
    verbose : int, default=0
        Print progress of :meth:`thermodynamics` when > 0.

    Attributes
    ----------
    lattice_shape_ : tuple of int
        Lattice shape seen in :meth:`fit` (the shape of flat rows given to :meth:`transform`).

    Examples
    --------
    >>> import numpy as np
    >>> from skdcl import IsingModel, MetropolisSimulator
    >>> sim = MetropolisSimulator(IsingModel(), temperature=1.0, n_sweeps=5, random_state=0)
    >>> X = np.ones((3, 8, 8), dtype=np.int8)
    >>> sim.fit_transform(X).shape
    (3, 8, 8)
    """

    _parameter_constraints = {
        "energy_model": "no_validation",
        # checked by check_temperature, which also refuses times and other non-reals that
        # scikit-learn's Interval(Real) lets through
        "temperature": "no_validation",
        "n_sweeps": [Interval(Integral, 0, None, closed="left")],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, energy_model=None, temperature=2.0, n_sweeps=10, n_jobs=None,
                 random_state=None, verbose=0):
        self.energy_model = energy_model
        self.temperature = temperature
        self.n_sweeps = n_sweeps
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _model(self):
        return IsingModel() if self.energy_model is None else self.energy_model

    def _check_configurations(self, X, name="X", shape=None):
        return check_snapshots(X, self._model().sites, shape=shape, name=name,
                               flat_shape=getattr(self, "lattice_shape_", None))

    @fit_context(prefer_skip_nested_validation=True)
    @transactional
    def fit(self, X, y=None):
        """Check the configurations and remember their lattice shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
        y : ignored

        Returns
        -------
        self
        """
        check_temperature(self.temperature, "temperature")
        self.lattice_shape_ = self._check_configurations(X).shape[1:]
        self._start_stream()
        return self

    def _start_stream(self):
        self._stream = (self.random_state, check_random_state(self.random_state))
        return self._stream[1]

    def _transform_stream(self):
        """The generator of :meth:`transform`, started afresh when ``random_state`` changed."""
        stream = self.__dict__.get("_stream")
        if stream is None or stream[0] is not self.random_state:
            return self._start_stream()
        return stream[1]

    def transform(self, X):
        """Run ``n_sweeps`` sweeps from each configuration and return the results.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)

        Returns
        -------
        X_new : ndarray of int8, same shape as ``X``
        """
        self._validate_params()
        configs = self._check_configurations(X).copy()
        flat = np.ndim(X) == 2
        check_temperature(self.temperature, "temperature")
        model = self._model()
        state = ChainState(configs, model.energy(configs),
                           seed_streams(len(configs), self._transform_stream()))
        run_model(model, state, self.temperature, self.n_sweeps)
        return state.configs.reshape(len(configs), -1) if flat else state.configs

    def thermodynamics(self, temperatures, L, *, n_chains=16, n_sweeps=2000, n_equilibration=500,
                       thin=1, init="ordered", random_state=None):
        """Observables per spin at each temperature, with standard errors.

        Parameters
        ----------
        temperatures : array-like of float
            Temperatures in units of J.
        L : int or tuple of two ints
            Lattice side or ``(Ly, Lx)``.
        n_chains : int, default=16
            Independent chains per temperature.
        n_sweeps : int, default=2000
            Measured sweeps per chain.
        n_equilibration : int, default=500
            Discarded sweeps per chain before measuring.
        thin : int, default=1
            Measure every ``thin`` sweeps.
        init : {"ordered", "random"}, default="ordered"
            Start every chain from the fully ordered configuration (fast equilibration below the
            transition for ferromagnets) or from random spins.
        random_state : int, RandomState instance or None, default=None
            Seed; None uses the estimator's ``random_state``.

        Returns
        -------
        table : pandas.DataFrame
            One row per temperature: ``T``, ``L``, then for each of ``energy``,
            ``specific_heat``, ``abs_magnetization`` (Potts: order parameter),
            ``susceptibility``, ``binder``, ``acceptance`` the value and its standard error
            ``<name>_err``. Errors come from a jackknife over independent chains (split into
            blocks when there are fewer than 32), so they account for autocorrelation.
        """
        shape = check_lattice_size(L)
        temperatures = np.atleast_1d(np.asarray(temperatures, dtype=float))
        if temperatures.ndim != 1 or temperatures.size == 0:
            raise ValueError("temperatures must be a non-empty 1-d array of floats.")
        for T in temperatures:
            check_temperature(T, "temperatures")
        for name, value, low in (("n_chains", n_chains, 1), ("n_sweeps", n_sweeps, 1),
                                 ("n_equilibration", n_equilibration, 0), ("thin", thin, 1)):
            if not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
        if init not in ("ordered", "random"):
            raise ValueError(f"init must be 'ordered' or 'random', got {init!r}.")
        if n_sweeps // thin < 2:
            raise ValueError("n_sweeps // thin must be at least 2 measurements per chain.")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        seeds = rng.randint(0, 2**31 - 1, size=len(temperatures))
        n_jobs = self.n_jobs
        threads = max(1, numba.config.NUMBA_NUM_THREADS // max(1, abs(n_jobs or 1)))
        rows = Parallel(n_jobs=n_jobs)(
            delayed(_measure)(self._model(), shape, T, n_chains, n_sweeps, n_equilibration, thin,
                              init, seed, threads, self.verbose)
            for T, seed in zip(temperatures, seeds))
        table = pd.DataFrame(rows)
        table.insert(1, "L", shape[0] if shape[0] == shape[1] else str(shape))
        return table

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = []
        return tags


def _measure(model, shape, T, n_chains, n_sweeps, n_equilibration, thin, init, seed, threads,
             verbose):
    """One row of the thermodynamics table."""
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        rng = check_random_state(seed)
        if init == "ordered":
            configs = np.repeat(model.sites.ordered(shape)[None], n_chains, axis=0)
        else:
            configs = model.sites.random(n_chains, shape, rng)
        run = sample_model(model, configs, T, n_equilibration=n_equilibration,
                           n_records=n_sweeps // thin, thin=thin, random_state=rng)
    finally:
        numba.set_num_threads(previous)
    row = {"T": T, **thermodynamic_observables(run, T, shape[0] * shape[1])}
    progress("simulator", f"[MetropolisSimulator] T={T:.4g} L={shape}: "
             f"e={row['energy']:.5f}+-{row['energy_err']:.5f} c={row['specific_heat']:.4f}",
             verbose)
    return row
