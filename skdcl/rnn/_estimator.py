"""The estimator: fitting, symmetry choice, scoring, prediction, sampling and the local kernel."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import DensityMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions, fit_context
from .._fitting import transactional
from .._keras import KerasEnergyModel, keras, mean_output_loss, predict_in_batches, validation_split
from .._logging import progress
from ..lattice import (
    check_observation_temperature,
    check_snapshots,
    check_temperature,
    ordering_permutation,
    rewrap,
    unwrap,
)
from ..symmetry import SymmetryGroup, detect_symmetry
from ._kernel import masked_conv_kernel
from ._layers import ObservedLogProb, RandomImage, build_model, draw_values

__all__ = ["RNNEnergyModel"]

_EVAL_BATCH = 1024
#: Largest number of (evenly strided) training snapshots the energy offset is averaged over.
_OFFSET_SAMPLES = 2000
_SYMMETRIES = ("auto", "none", "dihedral", "full", "translations")
#: Symmetry detection: fewest snapshots to decide from, and the detector's data and epochs.
_MIN_DETECTION_SAMPLES = 2000
_DETECTION_HELD_OUT = 20000
_DETECTION_TRAIN = 40000
_DETECTION_EPOCHS = 4


class RNNEnergyModel(DensityMixin, KerasEnergyModel):
    """Autoregressive model of lattice snapshots whose log-likelihood defines an energy.

    Fitted on equilibrium snapshots observed at one temperature ``T_obs``, the model gives
    ``log P(sigma)`` of any configuration of the same lattice, energies
    ``E = -T_obs log P + const`` (:meth:`predict`) and new snapshots (:meth:`sample`).

    Parameters
    ----------
    cell : {"masked_conv", "gru"}, default="masked_conv"
        Architecture of the conditionals: a masked convolution over the lattice (parallel along
        the sequence) or the paper's GRU (recurrent).
    units : int, default=64
        Width of the hidden layers (masked convolution) or of each GRU layer.
    layers : int, default=2
        Hidden layers (masked convolution: the first reads the window, the others are residual)
        or stacked GRU layers.
    kernel_size : int, default=7
        Side of the window each conditional of ``"masked_conv"`` reads (an even size is rounded
        up to the next odd one); a window wider than the lattice covers it once. Ignored by
        ``"gru"``.
    shared : bool or "auto", default="auto"
        One network for every position of the sequence. With False the first layer of
        ``"masked_conv"`` also has weights of its own at every position (initially zero, added
        to the shared ones), for systems whose law changes from site to site, such as a spin
        glass with fixed couplings (with ``symmetrize="none"``). ``"auto"``: shared when
        one-site translations are in the symmetry group (detected, named, or listed as
        ``"shift_x"`` and ``"shift_y"``). Ignored by ``"gru"``.
    dropout : float, default=0.0
        Dropout on the inputs of each GRU layer. Ignored by ``"masked_conv"``.
    ordering : {"snake", "raster", "spiral"}, default="snake"
        Order in which sites are visited (see :func:`skdcl.lattice.ordering_permutation`).
    kind : {"auto", "ising", "potts"}, default="auto"
        Kind of site variable. ``"auto"``: Ising spins if the snapshots hold -1, Potts labels
        otherwise; ``"ising"`` with values 0 and 1: spins stored as 0/1
        (:meth:`skdcl.sites.SiteVariables.infer`). Two-state variables are modelled alike
        however they are stored.
    q : int, default=None
        Number of Potts states; None infers it as the largest label seen plus one.
    symmetrize : {"auto", "none", "dihedral", "full", "translations"} or tuple of str, \
default="auto"
        Symmetry group of the system, used to average ``log P`` over the images of each
        configuration at prediction time (it removes the ordering's arbitrary direction and cuts
        variance) and, with ``augment``, to train on random images. ``"auto"`` decides from the
        snapshots which symmetries they have (:func:`skdcl.symmetry.detect_symmetry`: a model
        assuming none is fitted on part of them and each generator is tested on the rest; the
        group kept is ``symmetry_``); with fewer than 2000 snapshots it warns and keeps none
        but one-site translations (weights shared across positions, as a model that applies
        to other sizes needs).
        ``"dihedral"``: the 8 rotations and reflections of the square (4 on rectangles);
        ``"full"``: those times the global spin flip (Ising) or the Potts label permutations
        (with two states, the masked convolution's conditionals are then exactly odd and the
        flip costs nothing); ``"translations"``: ``"full"`` times every lattice translation.
        ``"none"`` assumes no symmetry. A tuple lists generators of :mod:`skdcl.symmetry`
        (for instance ``("mirror_x", "mirror_y", "shift_x", "shift_y")`` for unequal couplings
        along x and y).
        Potts label permutations are averaged over all ``q!`` of them while ``q! <= 24``, over
        the ``2q`` symmetries of the q-gon beyond (a subgroup: exact invariance under it, at a
        bounded cost of at most ``8 * 2q`` evaluations per configuration).
    symmetry_threshold : float, default=4.0
        With ``symmetrize="auto"``, a generator is rejected when the absolute z statistic of
        its test exceeds this (see :func:`skdcl.symmetry.detect_symmetry`).
    augment : bool, default=True
        Train on a random image of each snapshot under the ``symmetrize`` group, drawn afresh
        for every batch.
    epochs : int, default=10
        Maximum number of passes over the training snapshots.
    batch_size : int, default=256
        Snapshots per gradient step.
    learning_rate : float, default=2e-3
        Initial learning rate of Adam, decayed to zero along a cosine over ``epochs``.
    validation_fraction : float, default=0.1
        Fraction of the snapshots held out to monitor the validation loss (0 disables it).
    early_stopping : bool, default=True
        Stop when the validation loss has not improved for ``n_iter_no_change`` epochs and keep
        the best weights. Needs ``validation_fraction > 0``.
    n_iter_no_change : int, default=3
        Patience of early stopping, in epochs.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation, the validation split, the augmentation and the batch order;
        an int gives reproducible fits (TensorFlow's op determinism is switched on).
    verbose : int, default=0
        Print one line per epoch when > 0.
    callbacks : list of keras.callbacks.Callback, default=None
        Passed to every Keras ``fit`` of the estimator (for instance
        ``[keras.callbacks.CSVLogger(path)]``, or ``[keras.callbacks.TensorBoard(log_dir)]``
        to follow training in TensorBoard, which is installed separately).

    Attributes
    ----------
    model_ : keras.Model
        The fitted network: a sequence of site values ``(n, Ly * Lx)`` in ``ordering`` to the
        logits of every conditional (one per site for two states, ``n_states`` for more).
    sites_ : skdcl.sites.SiteVariables
        The site variables of the training snapshots (also ``sites``, ``spin_kind`` and
        ``n_states``).
    symmetry_ : skdcl.symmetry.SymmetryGroup
        The symmetry group the model was trained with: detected (``symmetrize="auto"``; each
        tested generator's statistic in ``symmetry_.statistics``), named or listed.
    shared_ : bool
        Whether one network serves every sequence position (``shared`` resolved).
    lattice_shape_ : tuple of int
        ``(Ly, Lx)`` of the training snapshots; the model applies to this size only.
    n_features_in_ : int
        Number of sites, ``Ly * Lx``.
    T_obs_ : float
        Observation temperature.
    offset_ : float
        Mean of ``-T_obs * score_samples`` over the training snapshots (over 2000 of them,
        evenly strided, when there are more), subtracted by :meth:`predict`.
    history_ : dict of list
        Loss (mean negative log-likelihood per site, in nats) per epoch, and validation loss.
    n_epochs_ : int
        Epochs run.

    See Also
    --------
    skdcl.simulator.MetropolisSimulator : Monte Carlo with a fitted model as energy.

    Notes
    -----
    Energies follow the convention of Sprague et al. (2021): ``predict(X) = -T_obs *
    score_samples(X)`` minus its mean over the training snapshots, in units of J.

    Examples
    --------
    >>> from skdcl import IsingModel
    >>> from skdcl.datasets import make_snapshots
    >>> X = make_snapshots(IsingModel(), L=4, T=3.0, n_samples=200, random_state=0)
    >>> model = RNNEnergyModel(units=8, epochs=1, random_state=0).fit(X, 3.0)
    >>> model.predict(X[:3]).shape
    (3,)
    >>> model.sample(2, random_state=0).shape
    (2, 4, 4)
    """

    _parameter_constraints = {
        **KerasEnergyModel._shared_constraints,
        "cell": [StrOptions({"masked_conv", "gru"})],
        "units": [Interval(Integral, 1, None, closed="left")],
        "layers": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 2, None, closed="left")],
        "shared": ["boolean", StrOptions({"auto"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "ordering": [StrOptions({"snake", "raster", "spiral"})],
        "symmetrize": [StrOptions(set(_SYMMETRIES)), tuple, list],
        "symmetry_threshold": [Interval(Real, 0, None, closed="neither")],
        "augment": ["boolean"],
    }

    def __init__(self, cell="masked_conv", units=64, layers=2, kernel_size=7, shared="auto",
                 dropout=0.0, ordering="snake", kind="auto", q=None, symmetrize="auto",
                 symmetry_threshold=4.0, augment=True, epochs=10, batch_size=256,
                 learning_rate=2e-3, validation_fraction=0.1, early_stopping=True,
                 n_iter_no_change=3, random_state=None, verbose=0, callbacks=None):
        self.cell = cell
        self.units = units
        self.layers = layers
        self.kernel_size = kernel_size
        self.shared = shared
        self.dropout = dropout
        self.ordering = ordering
        self.symmetrize = symmetrize
        self.symmetry_threshold = symmetry_threshold
        self.augment = augment
        super().__init__(kind=kind, q=q, epochs=epochs, batch_size=batch_size,
                         learning_rate=learning_rate, validation_fraction=validation_fraction,
                         early_stopping=early_stopping, n_iter_no_change=n_iter_no_change,
                         random_state=random_state, verbose=verbose, callbacks=callbacks)

    # ------------------------------------------------------------------------------- fitting

    @fit_context(prefer_skip_nested_validation=True)
    @transactional
    def fit(self, X, y=None):
        """Fit the sequence model to snapshots observed at temperature ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
            Snapshots: Ising spins (-1/+1, or 0/1 with ``kind="ising"``) or Potts labels
            ``0 .. q-1``.
        y : float or array-like of shape (n_samples,)
            Observation temperature ``T_obs`` in units of J, a positive scalar or one value
            repeated per snapshot.

        Returns
        -------
        self : RNNEnergyModel
            The fitted model.
        """
        if y is None:
            check_observation_temperature(y, 0, "y (T_obs)")  # raises its standard message
        sites = self._infer_sites(X)
        X = check_snapshots(X, sites)
        self.T_obs_ = check_observation_temperature(y, X.shape[0], "y (T_obs)")
        self.sites_ = sites
        self.lattice_shape_ = X.shape[1:]
        self.n_features_in_ = X.shape[1] * X.shape[2]
        self._clear_cache()
        rng = check_random_state(self.random_state)
        self.symmetry_ = self._fit_symmetry(X, rng)
        self.shared_ = (self.symmetry_.translation_period == 1 if self.shared == "auto"
                        else bool(self.shared))
        progress("rnn", f"[{type(self).__name__}] {self.symmetry_.describe()}", self.verbose)
        self._seed_keras(rng)
        self.model_ = build_model(self._architecture())
        trainer = self._trainer(int(rng.randint(0, 2**31 - 1)))
        train_index, valid_index = validation_split(len(X), self.validation_fraction, rng)
        # without a validation set, the snapshots in their given order (Keras shuffles them)
        train_set = X if valid_index is None else X[train_index]
        valid = None if valid_index is None else (
            _as_float(X[valid_index]), np.zeros(len(valid_index), dtype=np.float32))
        self.history_ = self._train(trainer, mean_output_loss, _as_float(train_set),
                                    np.zeros(len(train_set), dtype=np.float32), valid)
        self._check_finite(self.history_["loss"],
                           "training losses (training diverged); lower learning_rate")
        self.n_epochs_ = len(self.history_["loss"])
        self.offset_ = 0.0
        self.offset_ = float(np.mean(self.predict(X[::-(-len(X) // _OFFSET_SAMPLES)])))
        self._check_finite(self.offset_, f"energies -T_obs log P: T_obs = {self.T_obs_:g} is "
                           "too large for float64")
        return self

    def _fit_symmetry(self, X, rng):
        """The symmetry group to train with: named, listed, or detected from the snapshots."""
        shape, sites = self.lattice_shape_, self.sites_
        if not isinstance(self.symmetrize, str):
            return SymmetryGroup(shape, sites, tuple(self.symmetrize))
        if self.symmetrize != "auto":
            return SymmetryGroup.named(self.symmetrize, shape, sites)
        if len(X) < _MIN_DETECTION_SAMPLES:
            warnings.warn(
                f"symmetrize='auto' needs at least {_MIN_DETECTION_SAMPLES} snapshots to decide "
                f"which symmetries they have, got {len(X)}: keeping none but translations "
                "(pass symmetrize= explicitly to assume some).", UserWarning, stacklevel=3)
            # weights shared across positions, the premise of any model that changes size
            return SymmetryGroup(shape, sites, ("shift_x", "shift_y"))
        n_held_out = min(_DETECTION_HELD_OUT, len(X) // 4)
        order = rng.permutation(len(X))
        held_out = X[order[:n_held_out]]
        train_set = X[order[n_held_out:n_held_out + _DETECTION_TRAIN]]
        # a model assuming no symmetry at all: weights of its own at every position, no images
        settings = self.get_params(deep=False)
        settings.update(
            symmetrize="none", augment=False, shared=False, validation_fraction=0.0,
            early_stopping=False, epochs=min(self.epochs, _DETECTION_EPOCHS), verbose=0,
            callbacks=None, random_state=int(rng.randint(0, 2**31 - 1))
            if self.random_state is not None else None)
        detector = clone(type(self)(**settings))
        detector.fit(train_set, self.T_obs_)
        return detect_symmetry(detector._log_prob, held_out, sites, self.symmetry_threshold)

    def _architecture(self):
        Ly, Lx = self.lattice_shape_
        radius = min(self.kernel_size // 2, min(Ly, Lx) // 2)
        return {
            "cell": self.cell, "lattice_shape": [Ly, Lx], "ordering": self.ordering,
            "units": self.units, "layers": self.layers, "radius": radius,
            "dropout": float(self.dropout), "sites": self.sites_,
            # the +-1 input of two states makes a bias-free network exactly flip-odd
            "odd": self.sites_.two_state and self.symmetry_.has_internal,
            "shared": self.shared_,
        }

    def _trainer(self, seed):
        group = self._group() if self.augment else SymmetryGroup(self.lattice_shape_,
                                                                 self.sites_)
        inputs = keras.Input((self.n_features_in_,))
        images = RandomImage(group.site_permutations, group.value_tables, self.sites_,
                             seed)(inputs)
        sequence = keras.ops.take(images, self._permutation(), axis=1)
        logits = self.model_(sequence)
        log_prob = ObservedLogProb(self.sites_, total=False)([sequence, logits])
        # per-site negative log-likelihood
        return keras.Model(inputs, keras.ops.negative(log_prob))

    # ---------------------------------------------------------------------------- evaluation

    def score_samples(self, X):
        """Natural logarithm of the model probability of each snapshot.

        With ``symmetrize`` other than ``"none"`` this is the mean of ``log P`` over the images
        of each snapshot under the symmetry group.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
            Snapshots of the fitted lattice size.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            ``log P(sigma)`` in nats.
        """
        X = self._check_X(X)
        group = self._group(for_evaluation=True)
        total = np.zeros(len(X))
        for image in group.images(X):
            total += self._log_prob(image)
        return total / group.size

    def score(self, X, y=None):
        """Mean log-likelihood of snapshots (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
            Snapshots of the fitted lattice size.
        y : ignored
            Present for API consistency (the temperature is not needed).

        Returns
        -------
        score : float
            Mean of :meth:`score_samples` in nats.
        """
        return float(np.mean(self.score_samples(X)))

    def predict(self, X):
        """Energies ``-T_obs log P(sigma)``, relative to their mean over the training snapshots.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
            Configurations of the fitted lattice size.

        Returns
        -------
        energies : ndarray of shape (n_samples,)
            Total energies in units of J.
        """
        check_is_fitted(self)
        return -self.T_obs_ * self.score_samples(X) - self.offset_

    def _check_X(self, X, name="X"):
        check_is_fitted(self)
        if np.ndim(X) == 3 and tuple(np.shape(X)[1:]) != tuple(self.lattice_shape_):
            raise ValueError(
                f"{name} holds {np.shape(X)[1]}x{np.shape(X)[2]} lattices, but this "
                f"RNNEnergyModel was fitted on {self.lattice_shape_[0]}x"
                f"{self.lattice_shape_[1]}: a sequence model is tied to the lattice size it was "
                "fitted on (use an EDNN to change sizes).")
        if np.ndim(X) == 2 and np.shape(X)[1] != self.n_features_in_:
            raise ValueError(
                f"{name} has {np.shape(X)[1]} sites per row, but this RNNEnergyModel was fitted "
                f"on {self.n_features_in_}: a sequence model is tied to the lattice size it was "
                "fitted on.")
        return self._check_fitted_snapshots(X, name, shape=self.lattice_shape_)

    def _permutation(self):
        return ordering_permutation(self.lattice_shape_, self.ordering)

    def _group(self, for_evaluation=False):
        """The fitted group, or the one ``symmetrize`` names or lists if it was changed since;
        without the internal maps for evaluation when the network is odd (they cost nothing)."""
        if self.symmetrize == "auto":
            group = self.symmetry_
        elif isinstance(self.symmetrize, str):
            group = SymmetryGroup.named(self.symmetrize, self.lattice_shape_, self.sites_)
        else:
            group = SymmetryGroup(self.lattice_shape_, self.sites_, tuple(self.symmetrize))
        if for_evaluation and getattr(self.model_.layers[-1], "odd", False):
            group = group.without_internal()
        return group

    def _log_prob(self, X):
        """``log P`` of int8 lattices ``(n, Ly, Lx)`` through the compiled network."""
        evaluate = self._cached("log_prob", self._log_prob_model)
        return predict_in_batches(evaluate, _as_float(unwrap(X, self._permutation())),
                                  _EVAL_BATCH)

    def _log_prob_model(self):
        inputs = keras.Input((self.n_features_in_,))
        log_prob = ObservedLogProb(self.sites_, total=True)([inputs, self.model_(inputs)])
        return keras.Model(inputs, log_prob)

    # ------------------------------------------------------------------------------ sampling

    def sample(self, n_samples=1, temperature=None, random_state=None):
        """Draw snapshots from the model, one site at a time, all samples in one batch.

        With ``symmetrize`` other than ``"none"``, each draw is mapped through a random element
        of the symmetry group, which samples the symmetrised model exactly.

        Parameters
        ----------
        n_samples : int, default=1
            Number of snapshots.
        temperature : float, default=None
            Temper every conditional, ``P_t(s) ~ P(s)^(T_obs / temperature)``, to reach lower
            (colder) or higher energies; None samples the model at ``T_obs``.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws.

        Returns
        -------
        X : ndarray of int8, shape (n_samples, Ly, Lx)
            Snapshots, stored as the training snapshots were (``sites_``).
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be an int >= 1, got {n_samples!r}.")
        ratio = 1.0
        if temperature is not None:
            ratio = self.T_obs_ / check_temperature(temperature, "temperature")
        rng = check_random_state(random_state)
        core = self.model_.layers[-1]
        sequences = np.zeros((n_samples, self.n_features_in_), dtype=np.float32)
        state = core.initial_state(n_samples)
        for t in range(self.n_features_in_):
            logits, state = core.step(sequences, t, state)
            sequences[:, t] = draw_values(ratio * np.asarray(logits, dtype=np.float64),
                                          self.sites_, rng)
        X = rewrap(sequences.astype(np.int8), self._permutation(), self.lattice_shape_)
        return self._group().random_images(X, rng)

    # --------------------------------------------------------------------------- Monte Carlo

    def _has_local_kernel(self):
        return getattr(self, "cell", None) == "masked_conv"

    @available_if(_has_local_kernel)
    def local_kernel(self, shape=None):
        """Compiled energy-change kernel for :mod:`skdcl.montecarlo` (masked convolution only).

        Setting one site changes only the conditionals whose window holds it; the kernel
        recomputes those, for every image of the ``symmetrize`` group, so Monte Carlo runs in
        compiled multi-chain sweeps.

        Parameters
        ----------
        shape : tuple of int, optional
            Lattice shape to simulate; must be the fitted one.

        Returns
        -------
        kernel : skdcl.montecarlo.LocalKernel
        """
        check_is_fitted(self)
        if shape is not None and tuple(shape) != tuple(self.lattice_shape_):
            raise ValueError(
                f"shape {tuple(shape)} differs from the fitted lattice {self.lattice_shape_}: a "
                "sequence model is tied to the lattice size it was fitted on.")
        key = self.symmetrize if isinstance(self.symmetrize, str) else tuple(self.symmetrize)
        return self._cached(("local_kernel", key), lambda: masked_conv_kernel(
            self.model_.layers[-1], self._group(for_evaluation=True), self.T_obs_,
            self.sites_))


def _as_float(X):
    return np.asarray(X, dtype=np.float32).reshape(len(X), -1)
