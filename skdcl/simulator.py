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
from .hamiltonians import IsingModel
from .lattice import check_lattice_size, check_snapshots, check_temperature
from .montecarlo import ChainState, run_model, seed_streams
from .montecarlo.tables import (
    DEFAULT_MAX_SWEEPS,
    DEFAULT_TARGET_ESS,
    check_run_settings,
    measure_ladder,
    measure_temperature,
    warn_unconverged,
)

__all__ = ["MetropolisSimulator", "THERMODYNAMICS_COLUMNS", "DIAGNOSTIC_SUFFIXES"]

#: Observables of :meth:`MetropolisSimulator.thermodynamics`, each with a ``_err`` column.
THERMODYNAMICS_COLUMNS = ("energy", "specific_heat", "abs_magnetization", "susceptibility",
                          "binder", "acceptance")

#: Diagnostic columns ``<name>_<suffix>`` of every observable but the acceptance.
DIAGNOSTIC_SUFFIXES = ("tau", "ess", "rhat")


class MetropolisSimulator(TransformerMixin, BaseEstimator):
    """Metropolis Monte Carlo under an exact or learned energy model.

    As a transformer it is a Markov kernel: :meth:`transform` takes configurations and returns each
    after ``n_sweeps`` Metropolis sweeps at ``temperature`` (so it composes in Pipelines, for
    instance to equilibrate data). Successive calls continue one random stream, started from
    ``random_state`` by the first call (and again by :meth:`fit`), so that a loop of
    ``transform`` calls is one Markov chain and a fresh simulator with the same int seed repeats
    it exactly. :meth:`thermodynamics` measures observables over a range of
    temperatures, in parallel through joblib, with error bars and convergence diagnostics, by
    default running each temperature until the diagnostics say it has converged.

    Models with a numba ``local_kernel`` (exact Hamiltonians, fitted EDNNs) run in compiled
    sweeps over many chains; other models (a fitted sequence model) are simulated through batched
    calls of their ``energy``. Tables of exact pairwise models add Swendsen-Wang cluster updates
    by default (``moves="auto"``), and any model can run replica exchange across the
    temperatures of a table (``replica_exchange=True``).

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

    def thermodynamics(self, temperatures, L, *, n_chains=4, n_sweeps="auto",
                       n_equilibration=None, thin=1, init="ordered", moves="auto",
                       replica_exchange=False, max_sweeps=DEFAULT_MAX_SWEEPS,
                       target_ess=DEFAULT_TARGET_ESS, random_state=None):
        """Observables per spin at each temperature, with standard errors and diagnostics.

        With ``n_sweeps="auto"`` (the default) the run length is chosen by the convergence
        diagnostics: the chains run in rounds that double the run, ``1024, 2048, 4096, ...``
        sweeps; each round is measured and everything before it is discarded as equilibration.
        The rounds stop when the row is converged (every split R-hat at most
        :data:`~skdcl.montecarlo.diagnostics.RHAT_THRESHOLD`, every effective sample size at
        least :data:`~skdcl.montecarlo.diagnostics.MIN_ESS`) and the energy and order parameter
        have ``target_ess`` effective samples, or when ``max_sweeps`` leaves room for no round
        longer than the last (a last round shorter than double uses up the budget). Since split
        R-hat compares the two halves of every chain, a drift that the discarded rounds did not
        remove keeps the rounds going. R-hat reaches 1.01 once each chain is about 100
        autocorrelation times long, whatever the number of chains, so the cost of an adaptive
        run grows with ``n_chains``.

        Parameters
        ----------
        temperatures : array-like of float
            Temperatures in units of J.
        L : int or tuple of two ints
            Lattice side or ``(Ly, Lx)``.
        n_chains : int, default=4
            Independent chains per temperature (4, as Stan and ArviZ use by default).
        n_sweeps : "auto" or int, default="auto"
            Measured sweeps per chain, or "auto" to let the diagnostics decide.
        n_equilibration : int, default=None
            Sweeps per chain discarded before measuring. None: 500 with an int ``n_sweeps``,
            1024 (one first round) with ``"auto"``, whose later rounds also discard every sweep
            before them.
        thin : int, default=1
            Measure every ``thin`` sweeps (with ``"auto"``, at most 256 and the least thinning:
            long rounds record at most 8192 times per chain).
        init : {"ordered", "random"}, default="ordered"
            Start every chain from the fully ordered configuration (fast equilibration below the
            transition for ferromagnets) or from random spins.
        max_sweeps : int, default=524288
            With ``"auto"``: most sweeps per chain, equilibration included (2**19); the first
            round always runs. Four chains of 256 x 256 Ising spins spend it in about a minute
            on two cores.
        target_ess : float, default=400
            With ``"auto"``: effective sample size to reach for the energy and the order
            parameter.
        moves : {"auto", "metropolis", "cluster"}, default="auto"
            Single-site Metropolis sweeps, or cluster updates where the model offers them
            (``"auto"`` mixes them with Metropolis sweeps, ``"cluster"`` uses them alone); see
            :func:`~skdcl.montecarlo.engine.run_model`. With ``replica_exchange``, "auto"
            means Metropolis.
        replica_exchange : bool, default=False
            Run all temperatures of the table together, each of ``n_chains`` ladders holding one
            replica per temperature, with swaps between neighbouring temperatures after every
            sweep (:class:`~skdcl.montecarlo.tempering.ReplicaLadders`). It is what spin glasses
            and first-order transitions need, for any energy model; the temperatures must be
            distinct and close enough for swaps to be accepted (see the ``swap_acceptance``
            column). ``n_jobs`` does not apply: the ladders run in one process.
        random_state : int, RandomState instance or None, default=None
            Seed; None uses the estimator's ``random_state``.

        Returns
        -------
        table : pandas.DataFrame
            One row per temperature: ``T``, ``L``, then for each of ``energy``,
            ``specific_heat``, ``abs_magnetization`` (Potts: order parameter),
            ``susceptibility`` and ``binder`` the value, its standard error ``<name>_err``, the
            integrated autocorrelation time in sweeps ``<name>_tau``, the effective sample size
            ``<name>_ess`` and the split R-hat across chains ``<name>_rhat``
            (:func:`~skdcl.montecarlo.thermodynamic_observables` says which series they are
            computed from); then ``acceptance`` and ``acceptance_err`` (accepted single-site moves
            per attempt; with cluster moves, sites a cluster update changed count as accepted
            and each update as ``Ly * Lx`` attempts), ``converged``, and the
            sweeps per chain that were measured (``n_sweeps``) and discarded
            (``n_equilibration``). Errors are ``std / sqrt(ess)`` of each observable's
            linearised series, so they account for autocorrelation and stay honest with few
            chains. With ``replica_exchange``, a last column ``swap_acceptance``: on the row of
            each temperature, the rate of accepted swaps with the next higher one (NaN on the
            highest).

        Warns
        -----
        ConvergenceWarning
            For every temperature whose row is not converged, naming the observables.
        """
        shape = check_lattice_size(L)
        temperatures = _check_temperatures(temperatures)
        settings = check_run_settings(n_chains, n_sweeps, n_equilibration, thin, init,
                                      max_sweeps, target_ess, moves, replica_exchange)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        if replica_exchange:
            rows = measure_ladder(self._model(), shape, temperatures, settings,
                                  rng.randint(0, 2**31 - 1), self.verbose)
        else:
            rows = self._measure_in_parallel(shape, temperatures, settings, rng)
        table = pd.DataFrame(rows)
        table.insert(1, "L", shape[0] if shape[0] == shape[1] else str(shape))
        warn_unconverged(table, shape)
        return table

    def _measure_in_parallel(self, shape, temperatures, settings, rng):
        """One row per temperature, the temperatures in parallel through joblib."""
        seeds = rng.randint(0, 2**31 - 1, size=len(temperatures))
        n_jobs = self.n_jobs
        threads = max(1, numba.config.NUMBA_NUM_THREADS // max(1, abs(n_jobs or 1)))
        return Parallel(n_jobs=n_jobs)(
            delayed(measure_temperature)(self._model(), shape, T, settings, seed, threads,
                                         self.verbose)
            for T, seed in zip(temperatures, seeds))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = []
        return tags


def _check_temperatures(temperatures):
    temperatures = np.atleast_1d(np.asarray(temperatures, dtype=float))
    if temperatures.ndim != 1 or temperatures.size == 0:
        raise ValueError("temperatures must be a non-empty 1-d array of floats.")
    for T in temperatures:
        check_temperature(T, "temperatures")
    return temperatures
