"""The DCLPipeline estimator."""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, check_memory

from .._compat import HasMethods, Interval, StrOptions, fit_context
from .._energy_model import LearnedEnergyMixin
from .._fitting import transactional
from .._logging import progress
from ..ednn import EDNNEnergyModel
from ..interactions import LocalInteractionModel, window_fits
from ..lattice import check_lattice_size, check_observation_temperature, check_snapshots
from ..metrics import pseudo_log_likelihood
from ..rnn import RNNEnergyModel
from ..simulator import MetropolisSimulator
from ._labels import fit_sequence_stage

__all__ = ["DCLPipeline"]

#: The class of each sub-model, built with its defaults where the parameter is None.
_SUB_MODELS = {"rnn": RNNEnergyModel, "ednn": EDNNEnergyModel}


def _site_parameters(sites):
    """``kind`` and ``q`` that make a sub-model read snapshots as ``sites``."""
    return {"kind": sites.kind, "q": sites.n_states if sites.kind == "potts" else None}


def _seeded(estimator, seed):
    """A clone of ``estimator``, given ``seed`` unless it has a ``random_state`` of its own."""
    estimator = clone(estimator)
    if seed is not None and estimator.get_params().get("random_state", 0) is None:
        estimator.set_params(random_state=seed)
    return estimator


class DCLPipeline(LearnedEnergyMixin, BaseEstimator):
    """Distribution-consistent learning: sequence model, energy labels, extensive model.

    ``fit(X, T_obs)`` trains the sequence model ``rnn`` on the snapshots (which also decides
    the symmetry group, ``symmetry_``), builds a label set that covers every energy a simulation
    will visit, labels it, and trains the extensive model ``ednn`` on it. The labels come from
    the snapshots' pseudo-likelihood at ``T_obs`` (label-free), in one of two ways:

    * ``refine="interactions"`` (the default for Ising spins and Potts labels with q <= 4 of
      a translation-invariant system): every interaction within 3x3 windows is fitted to the
      snapshots by convex pseudo-likelihood
      (:class:`~skdcl.interactions.LocalInteractionModel`, tied by the detected symmetries,
      many-spin terms and distant pairs kept only where the held-out snapshots demand them)
      and labels the set; the sequence model's own energies stay in ``labels_`` for
      comparison;
    * otherwise the sequence model's energies ``-T_obs log P`` label the set and the EDNN is
      refined afterwards on the snapshots (``"scale"``, ``"output"`` or ``"all"``).

    **The label set.** Snapshots typical at ``T_obs`` cover only the energies typical at
    ``T_obs``, and uniformly random spins all sit near zero energy. The label set mixes three
    sources, in the proportions ``label_mix = (observed, tempered, random)``:

    * observed snapshots (what the sequence model knows best);
    * samples of the sequence model with tempered conditionals (log-probabilities scaled by
      ``T_obs / T``) at each temperature of ``label_temperatures`` (multiples of ``T_obs``):
      colder ones reach down to the ground states, hotter ones up to disorder;
    * uniformly random configurations.

    ``benchmarks/bench_pipeline.py mix`` compares mixes on the Ising model: tempered samples
    alone or observed snapshots alone do worse than either mix that includes random
    configurations.

    Parameters
    ----------
    rnn : RNNEnergyModel, default=None
        Sequence model (cloned in ``fit``); None: ``RNNEnergyModel()``. Its parameters are
        exposed as ``rnn__*`` either way (``get_params(deep=True)``, ``set_params``, grid
        searches); setting one on a None sub-model first builds its own default instance.
    ednn : EDNNEnergyModel, default=None
        Extensive model (cloned in ``fit``); None: ``EDNNEnergyModel()``, exposed as
        ``ednn__*`` in the same way.
    n_labels : int, default=30000
        Size of the label set.
    label_mix : tuple of three floats, default=(0.3, 0.5, 0.2)
        Fractions of observed, tempered and random configurations in the label set.
    label_temperatures : tuple of float, default=(0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.5)
        Temperatures of the tempered samples, as multiples of ``T_obs``.
    refine : {"auto", "interactions", "scale", "output", "all"} or None, default="auto"
        How the snapshots' pseudo-likelihood shapes the energy. ``"interactions"``: labels from
        the window interactions fitted to the snapshots (Ising spins or Potts labels with
        q <= 4, one-site translation symmetry; on the Ising model, in a field or with unequal
        couplings it matches or beats the pairwise pseudo-likelihood baseline, see
        ``benchmarks/bench_generality.py``).
        Otherwise labels from the sequence model, then a refinement of the EDNN (see
        :meth:`EDNNEnergyModel.refine_pseudo_likelihood`): one factor on every energy
        (``"scale"``, found exactly; it corrects the sequence model's over- or
        under-confidence), the output layer, or every weight; None skips it. ``"auto"``:
        ``"interactions"`` where it applies, ``"scale"`` elsewhere (Potts labels with q > 4,
        laws that change from site to site). For a spin glass
        (``EDNNEnergyModel(shared=False)``, labels far from the couplings) fit every weight:
        ``refine="all", refine_learning_rate=1e-2``.
    refine_epochs : int, default=10
        Epochs of the refinement of ``"output"`` or ``"all"``.
    refine_learning_rate : float, default=5e-5
        Initial learning rate of the refinement of ``"output"`` or ``"all"``. Larger rates
        (about 1e-2) suit an EDNN with ``shared=False``, whose per-tile weights the labels
        constrain less.
    memory : str, joblib.Memory or None, default=None
        Where to cache the fitted sequence model and its label set (as scikit-learn's
        ``Pipeline(memory=...)``): a directory or a :class:`joblib.Memory`. Pipelines that
        differ only in EDNN or refinement parameters (grid-search candidates) then train the
        sequence model once per data split. None caches nothing.
    random_state : int, RandomState instance or None, default=None
        Seed of the label set and the refinement, and of the sub-models that have no
        ``random_state`` of their own.
    verbose : int, default=0
        Report the progress of each stage when > 0; the sub-models whose own ``verbose`` is 0
        report with the pipeline's, one line per training epoch with its loss and the time
        left. Messages go to the ``skdcl`` logger at INFO level and are printed to standard
        output unless that logger has a handler of its own.

    Attributes
    ----------
    rnn_ : RNNEnergyModel
        Fitted sequence model.
    refine_ : str or None
        ``refine`` resolved.
    interactions_ : LocalInteractionModel
        With ``refine_ == "interactions"``: the window interactions that labelled the set.
    symmetry_ : skdcl.symmetry.SymmetryGroup
        The sequence model's symmetry group (``rnn_.symmetry_``; detected from the snapshots
        with the default ``RNNEnergyModel(symmetrize="auto")``). The EDNN follows it: with
        ``shared="auto"`` and ``augment="auto"`` its tiles share weights only when
        translations by ``focus`` are symmetries, and its tile grid is moved during training
        only when one-site translations are; the label set's samples are drawn through the
        group's images.
    ednn_ : EDNNEnergyModel
        Fitted extensive model.
    T_obs_ : float
        Observation temperature.
    lattice_shape_ : tuple of int
        Shape of the observed lattices.
    n_snapshots_ : int
        Number of snapshots the pipeline was fitted on.
    labels_ : dict
        ``{"X": configurations, "energy": their labels, "source": origin of each}``, and
        ``"sequence_energy"`` (the sequence model's energies) when the interactions labelled
        them.
    sites_ : SiteVariables
        What each site holds (:class:`skdcl.sites.SiteVariables`), as the sequence model
        found it.
    timings_ : dict of float
        Seconds spent in each stage.
    """

    _parameter_constraints = {
        "rnn": [RNNEnergyModel, None],
        "ednn": [EDNNEnergyModel, None],
        "n_labels": [Interval(Integral, 10, None, closed="left")],
        "label_mix": [tuple, list],
        "label_temperatures": [tuple, list],
        "refine": [StrOptions({"auto", "interactions", "scale", "output", "all"}), None],
        "refine_epochs": [Interval(Integral, 1, None, closed="left")],
        "refine_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "memory": [None, str, HasMethods(["cache"])],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, rnn=None, ednn=None, n_labels=30000,
                 label_mix=(0.3, 0.5, 0.2),
                 label_temperatures=(0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.5), refine="auto",
                 refine_epochs=10, refine_learning_rate=5e-5, memory=None, random_state=None,
                 verbose=0):
        self.rnn = rnn
        self.ednn = ednn
        self.n_labels = n_labels
        self.label_mix = label_mix
        self.label_temperatures = label_temperatures
        self.refine = refine
        self.refine_epochs = refine_epochs
        self.refine_learning_rate = refine_learning_rate
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    def _sub_model(self, name):
        """The sub-model ``name``, or a new default one where the parameter is None."""
        model = getattr(self, name)
        return _SUB_MODELS[name]() if model is None else model

    def get_params(self, deep=True):
        """Parameters, with those of the sub-models as ``rnn__*`` and ``ednn__*`` when deep.

        Parameters
        ----------
        deep : bool, default=True
            Include the sub-models' parameters (those of their defaults when None).

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=False)
        if deep:
            for name in _SUB_MODELS:
                model = self._sub_model(name)
                if hasattr(model, "get_params") and not isinstance(model, type):
                    for key, value in model.get_params(deep=True).items():
                        params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set parameters, including those of the sub-models (``rnn__units``, ``ednn__focus``).

        A sub-model left to None is first replaced by a default instance of its own, so no
        two pipelines ever share one.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : DCLPipeline
        """
        own = {key: value for key, value in params.items() if "__" not in key}
        super().set_params(**own)
        for name in _SUB_MODELS:
            nested = {key.split("__", 1)[1]: value for key, value in params.items()
                      if key.startswith(name + "__")}
            if nested:
                setattr(self, name, self._sub_model(name).set_params(**nested))
        unknown = {key.split("__", 1)[0] for key in params if "__" in key} - set(_SUB_MODELS)
        if unknown:
            raise ValueError(f"Invalid parameter {sorted(unknown)[0]!r} for estimator {self}. "
                             "Valid parameters are: "
                             f"{sorted(self.get_params(deep=False))!r}.")
        return self

    @fit_context(prefer_skip_nested_validation=False)
    @transactional
    def fit(self, X, y):
        """Learn the energy function from snapshots observed at temperature ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Equilibrium snapshots (Ising spins or Potts labels).
        y : float or array-like of shape (n_samples,)
            Observation temperature ``T_obs``.

        Returns
        -------
        self
        """
        mix = self._check_mix()
        X = self._check_X(X)
        self.T_obs_ = check_observation_temperature(y, len(X), name="T_obs")
        self.lattice_shape_ = X.shape[1:]
        self.n_snapshots_ = len(X)
        rng = check_random_state(self.random_state)
        self.timings_ = {}
        start = time.perf_counter()
        self.rnn_, self.labels_ = self._sequence_stage(X, mix, rng)
        self.sites_ = self.rnn_.sites_
        self.symmetry_ = self.rnn_.symmetry_
        self._log(self.symmetry_.describe())
        self.timings_["sequence model and labels"] = time.perf_counter() - start
        self.refine_ = self._resolved_refine()
        if self.refine_ == "interactions":
            self._relabel_by_interactions(X, rng)
        start = time.perf_counter()
        ednn = self._following_symmetry(
            self._speaking(_seeded(self._sub_model("ednn"), self._seed(rng))), self.symmetry_)
        self._log(f"training the EDNN (shared={ednn.shared}, augment={ednn.augment}) on "
                  f"{len(self.labels_['X'])} labelled configurations")
        self.ednn_ = ednn.fit(self.labels_["X"], self.labels_["energy"])
        self.timings_["ednn"] = time.perf_counter() - start
        if self.refine_ in ("scale", "output", "all"):
            start = time.perf_counter()
            self._log("refining the EDNN by pseudo-likelihood on the snapshots")
            self.ednn_.refine_pseudo_likelihood(X, self.T_obs_, parameters=self.refine_,
                                                epochs=self.refine_epochs,
                                                learning_rate=self.refine_learning_rate,
                                                random_state=self._seed(rng))
            self.timings_["refinement"] = time.perf_counter() - start
        return self

    def _interactions_apply(self):
        return (window_fits(self.sites_.n_states, self.lattice_shape_)
                and self.symmetry_.translation_period == 1)

    def _resolved_refine(self):
        if self.refine == "auto":
            return "interactions" if self._interactions_apply() else "scale"
        if self.refine == "interactions" and not self._interactions_apply():
            raise ValueError(
                "refine='interactions' needs Ising spins or Potts labels with q <= 4, of a "
                "system invariant under one-site translations, on lattices with sides of at "
                "least 3; use refine='scale', 'output' or 'all'.")
        return self.refine

    def _relabel_by_interactions(self, X, rng):
        """Fit the window interactions to the snapshots and label the label set with them."""
        start = time.perf_counter()
        self._log("fitting every interaction within 3x3 windows by pseudo-likelihood")
        self.interactions_ = LocalInteractionModel(
            symmetry=self.symmetry_.generators, random_state=self._seed(rng),
            **_site_parameters(self.sites_)).fit(X, self.T_obs_)
        self._log("penalty on interactions of 3 or more spins and on pairs beyond nearest "
                  f"neighbours: {self.interactions_.penalty_:g}")
        self.labels_ = dict(self.labels_, sequence_energy=self.labels_["energy"],
                            energy=self.interactions_.predict(self.labels_["X"]))
        self.timings_["interactions"] = time.perf_counter() - start

    def _following_symmetry(self, ednn, symmetry):
        """The EDNN with ``shared`` and ``augment`` left to ``"auto"`` set from the symmetry
        group: weights shared by every tile only when translations by ``focus`` are symmetries,
        the tile grid moved by one site only when one-site translations are; with ``kind`` left
        to ``"auto"``, the site variables the sequence model found."""
        period = symmetry.translation_period
        params = _site_parameters(self.sites_) if ednn.kind == "auto" else {}
        if ednn.shared == "auto":
            params["shared"] = period is not None and ednn.focus % period == 0
        if ednn.augment == "auto":
            params["augment"] = period == 1
        return ednn.set_params(**params)

    def _seed(self, rng):
        """A seed for a sub-model drawn from ``rng``; None without a ``random_state``, so that
        unseeded fits stay unseeded."""
        seed = int(rng.randint(0, 2**31 - 1))
        return None if self.random_state is None else seed

    def _check_X(self, X, name="X"):
        """Snapshots of the fitted site variables, or (before fit) of those their values say."""
        if hasattr(self, "ednn_"):
            return check_snapshots(X, self.sites_, name=name, flat_shape=self.lattice_shape_)
        return check_snapshots(X, self._infer_sites(X), name=name)

    def _check_mix(self):
        mix = np.asarray(self.label_mix, dtype=float)
        if mix.shape != (3,) or np.any(mix < 0) or mix.sum() <= 0:
            raise ValueError(
                f"label_mix must be three non-negative fractions (observed, tempered, random), "
                f"got {self.label_mix!r}.")
        temperatures = np.asarray(self.label_temperatures, dtype=float)
        if (temperatures.ndim != 1 or np.any(~np.isfinite(temperatures))
                or np.any(temperatures <= 0)):
            raise ValueError(
                f"label_temperatures must be positive multiples of T_obs, got "
                f"{self.label_temperatures!r}.")
        if mix[1] > 0 and temperatures.size == 0:
            raise ValueError(
                "label_temperatures is empty, but label_mix asks for tempered samples "
                f"(fraction {mix[1] / mix.sum():g}); give temperatures or set that fraction to 0.")
        return mix / mix.sum()

    def _sequence_stage(self, X, mix, rng):
        """Fit the sequence model and label a set of configurations (cached with ``memory``)."""
        seed = self._seed(rng)
        stage = check_memory(self.memory).cache(fit_sequence_stage, ignore=["log"])
        args = (self._speaking(_seeded(self._sub_model("rnn"), seed)), X, self.T_obs_,
                self.n_labels, mix,
                np.asarray(self.label_temperatures, float) * self.T_obs_, seed)
        if self.memory is not None and stage.check_call_in_cache(*args):
            self._log("sequence model and labels taken from the cache")
        return stage(*args, log=self._log if self.verbose else None)

    def predict(self, X):
        """Energies in units of J (relative), from the EDNN, for lattices of any size.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            ``Ly`` and ``Lx`` must be multiples of the EDNN's ``focus``.

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.ednn_.predict(X)

    def local_kernel(self, shape=None):
        """The fitted EDNN's numba kernel (energy-model protocol)."""
        check_is_fitted(self)
        return self.ednn_.local_kernel(shape)

    def score(self, X, y):
        """Mean log pseudo-likelihood per site of snapshots at ``T_obs`` (label-free).

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
        y : float or array-like of shape (n_samples,)
            Temperature of the snapshots.

        Returns
        -------
        score : float
            Higher is better, so that GridSearchCV can select EDNN locality with no labels.
        """
        check_is_fitted(self)
        X = self._check_X(X)
        T = check_observation_temperature(y, len(X), name="T_obs")
        return pseudo_log_likelihood(self.ednn_, X, T)

    def simulate(self, temperatures, L, *, energy="ednn", n_jobs=None, **kwargs):
        """Thermodynamics table under the learned energy.

        Parameters
        ----------
        temperatures : array-like of float
        L : int or tuple of two ints
            Lattice side or ``(Ly, Lx)``. With ``energy="ednn"``, any size whose sides are
            multiples of the EDNN's ``focus`` (its fitted size when ``shared=False``); with
            ``energy="rnn"``, the observed size.
        energy : {"ednn", "rnn"}, default="ednn"
            Simulate under the extensive model (fast compiled kernel, any size) or directly under
            the sequence model's energy ``-T_obs log P`` (observed size only; slower).
        n_jobs : int, default=None
            Temperatures run in parallel (joblib).
        **kwargs
            ``n_chains``, ``n_sweeps``, ``n_equilibration``, ``thin``, ``init``,
            ``max_sweeps``, ``target_ess``, ``random_state`` of
            :meth:`MetropolisSimulator.thermodynamics`.

        Returns
        -------
        table : pandas.DataFrame
            One row per temperature: observables per spin with standard errors and
            convergence diagnostics (see :meth:`MetropolisSimulator.thermodynamics`).
        """
        check_is_fitted(self)
        check_lattice_size(L)
        if energy not in ("ednn", "rnn"):
            raise ValueError(f"energy must be 'ednn' or 'rnn', got {energy!r}.")
        kwargs.setdefault("random_state", self.random_state)
        model = self.ednn_ if energy == "ednn" else self.rnn_
        simulator = MetropolisSimulator(model, n_jobs=n_jobs, verbose=self.verbose)
        return simulator.thermodynamics(temperatures, L, **kwargs)

    def _speaking(self, model):
        """The sub-model, given the pipeline's verbosity unless it has its own."""
        if self.verbose and not model.verbose:
            model.set_params(verbose=self.verbose)
        return model

    def _log(self, message):
        progress("pipeline", f"[DCLPipeline] {message}", self.verbose)
