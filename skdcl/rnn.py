"""RNNEnergyModel: an autoregressive sequence model of snapshots, energies from log-probabilities.

A snapshot ``sigma`` is unwrapped into a sequence (snake, raster or spiral order) and modelled as
``log P(sigma) = sum_t log P(s_t | s_<t)``. Boltzmann statistics at the observation temperature
then give energies up to a constant, ``E(sigma) = -T_obs log P(sigma) + const``.

Two architectures compute the conditionals, both trained by maximum likelihood on the whole
sequence in one pass (teacher forcing):

``"masked_conv"`` (default)
    A masked convolution over the periodic lattice. Each site reads a ``kernel_size x
    kernel_size`` window around itself (with periodic wrap), masked to the sites that come
    earlier in the ordering, through a small residual network shared by all sites. It is parallel
    along the sequence, local like the physics, and its conditionals are exactly odd under a
    global spin flip when the symmetry group includes it. Because a flip only changes the
    conditionals whose window holds the flipped site, it also offers a compiled local kernel to
    :class:`~skdcl.simulator.MetropolisSimulator`.
``"gru"``
    The reference model of Sprague et al. (2021): gated recurrent layers over the sequence.
"""

import warnings
from numbers import Integral, Real

import numba
import numpy as np
from sklearn.base import BaseEstimator, DensityMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions, _fit_context
from ._energy_model import LearnedEnergyMixin
from ._keras import KerasStateMixin, keras, mean_output_loss, seed_keras, train
from .hamiltonians import LocalKernel
from .lattice import (check_observation_temperature, check_snapshots, check_temperature,
                      infer_spin_kind, ordering_permutation, rewrap, unwrap)
from .symmetry import SymmetryGroup, detect_symmetry

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


class RNNEnergyModel(LearnedEnergyMixin, KerasStateMixin, DensityMixin, BaseEstimator):
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
        otherwise.
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
        ``"full"``: those times the global spin flip (Ising; then the masked convolution's
        conditionals are exactly odd and the flip costs nothing) or the Potts label
        permutations; ``"translations"``: ``"full"`` times every lattice translation. ``"none"``
        assumes no symmetry. A tuple lists generators of :mod:`skdcl.symmetry` (for instance
        ``("mirror_x", "mirror_y", "shift_x", "shift_y")`` for unequal couplings along x and y).
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

    Attributes
    ----------
    model_ : keras.Model
        The fitted network: a sequence ``(n, Ly * Lx)`` in ``ordering`` to the logits of every
        conditional.
    spin_kind_ : str
        ``"ising"`` or ``"potts"``.
    n_states_ : int
        2 for Ising spins, q for Potts labels.
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

    _keras_attributes = ("model_",)
    _transient_attributes = ("_cache",)

    _parameter_constraints = {
        "cell": [StrOptions({"masked_conv", "gru"})],
        "units": [Interval(Integral, 1, None, closed="left")],
        "layers": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 2, None, closed="left")],
        "shared": ["boolean", StrOptions({"auto"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "ordering": [StrOptions({"snake", "raster", "spiral"})],
        "kind": [StrOptions({"auto", "ising", "potts"})],
        "q": [None, Interval(Integral, 2, None, closed="left")],
        "symmetrize": [StrOptions(set(_SYMMETRIES)), tuple, list],
        "symmetry_threshold": [Interval(Real, 0, None, closed="neither")],
        "augment": ["boolean"],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, cell="masked_conv", units=64, layers=2, kernel_size=7, shared="auto",
                 dropout=0.0, ordering="snake", kind="auto", q=None, symmetrize="auto",
                 symmetry_threshold=4.0, augment=True, epochs=10, batch_size=256,
                 learning_rate=2e-3, validation_fraction=0.1, early_stopping=True,
                 n_iter_no_change=3, random_state=None, verbose=0):
        self.cell = cell
        self.units = units
        self.layers = layers
        self.kernel_size = kernel_size
        self.shared = shared
        self.dropout = dropout
        self.ordering = ordering
        self.kind = kind
        self.q = q
        self.symmetrize = symmetrize
        self.symmetry_threshold = symmetry_threshold
        self.augment = augment
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------------------- fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the sequence model to snapshots observed at temperature ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
            Snapshots: Ising spins -1/+1 or Potts labels ``0 .. q-1``.
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
        kind, q = infer_spin_kind(X, self.kind, self.q)
        X = check_snapshots(X, kind=kind, q=q if kind == "potts" else None)
        self.T_obs_ = check_observation_temperature(y, X.shape[0], "y (T_obs)")
        self.spin_kind_, self.n_states_ = kind, (2 if kind == "ising" else q)
        self.lattice_shape_ = X.shape[1:]
        self.n_features_in_ = X.shape[1] * X.shape[2]
        self.__dict__.pop("_cache", None)
        rng = check_random_state(self.random_state)
        self.symmetry_ = self._fit_symmetry(X, rng)
        self.shared_ = (self.symmetry_.translation_period == 1 if self.shared == "auto"
                        else bool(self.shared))
        if self.verbose:
            print(f"[{type(self).__name__}] {self.symmetry_.describe()}", flush=True)
        seed_keras(rng if self.random_state is not None else None)
        self.model_ = _build_model(self._architecture())
        trainer = self._trainer(int(rng.randint(0, 2**31 - 1)))
        train_set, valid_set = self._split(X, rng)
        zeros = np.zeros(len(train_set), dtype=np.float32)
        valid = None if valid_set is None else (
            _as_float(valid_set), np.zeros(len(valid_set), dtype=np.float32))
        self.history_ = train(
            trainer, mean_output_loss, _as_float(train_set), zeros, valid=valid,
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            early_stopping=self.early_stopping, patience=self.n_iter_no_change,
            verbose=self.verbose, name=type(self).__name__)
        self.n_epochs_ = len(self.history_["loss"])
        self.offset_ = 0.0
        self.offset_ = float(np.mean(self.predict(X[::-(-len(X) // _OFFSET_SAMPLES)])))
        return self

    def _fit_symmetry(self, X, rng):
        """The symmetry group to train with: named, listed, or detected from the snapshots."""
        shape, kind, q = self.lattice_shape_, self.spin_kind_, self.n_states_
        if not isinstance(self.symmetrize, str):
            return SymmetryGroup(shape, kind, q, tuple(self.symmetrize))
        if self.symmetrize != "auto":
            return SymmetryGroup.named(self.symmetrize, shape, kind, q)
        if len(X) < _MIN_DETECTION_SAMPLES:
            warnings.warn(
                f"symmetrize='auto' needs at least {_MIN_DETECTION_SAMPLES} snapshots to decide "
                f"which symmetries they have, got {len(X)}: keeping none but translations "
                "(pass symmetrize= explicitly to assume some).", UserWarning, stacklevel=3)
            # weights shared across positions, the premise of any model that changes size
            return SymmetryGroup(shape, kind, q, ("shift_x", "shift_y"))
        n_held_out = min(_DETECTION_HELD_OUT, len(X) // 4)
        order = rng.permutation(len(X))
        held_out = X[order[:n_held_out]]
        train_set = X[order[n_held_out:n_held_out + _DETECTION_TRAIN]]
        # a model assuming no symmetry at all: weights of its own at every position, no images
        detector = clone(self).set_params(
            symmetrize="none", augment=False, shared=False, validation_fraction=0.0,
            early_stopping=False, epochs=min(self.epochs, _DETECTION_EPOCHS), verbose=0,
            random_state=int(rng.randint(0, 2**31 - 1)) if self.random_state is not None
            else None)
        detector.fit(train_set, self.T_obs_)
        return detect_symmetry(detector._log_prob, held_out, kind, q, self.symmetry_threshold)

    def _architecture(self):
        Ly, Lx = self.lattice_shape_
        radius = min(self.kernel_size // 2, min(Ly, Lx) // 2)
        return {
            "cell": self.cell, "lattice_shape": [Ly, Lx], "ordering": self.ordering,
            "units": self.units, "layers": self.layers, "radius": radius,
            "dropout": float(self.dropout), "n_states": self.n_states_,
            "odd": self.spin_kind_ == "ising" and self.symmetry_.has_internal,
            "shared": self.shared_,
        }

    def _split(self, X, rng):
        n_valid = int(round(self.validation_fraction * len(X)))
        if n_valid == 0 or n_valid >= len(X):
            return X, None
        order = rng.permutation(len(X))
        return X[order[n_valid:]], X[order[:n_valid]]

    def _trainer(self, seed):
        group = self._group() if self.augment else SymmetryGroup(
            self.lattice_shape_, self.spin_kind_, self.n_states_)
        inputs = keras.Input((self.n_features_in_,))
        images = _RandomImage(group.site_permutations, group.value_tables, self.spin_kind_,
                              seed)(inputs)
        sequence = keras.ops.take(images, self._permutation(), axis=1)
        logits = self.model_(sequence)
        log_prob = _ObservedLogProb(self.spin_kind_, total=False)([sequence, logits])
        return keras.Model(inputs, ops.negative(log_prob))  # per-site negative log-likelihood

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
        without the spin flip for evaluation when the network is odd (it costs nothing)."""
        if self.symmetrize == "auto":
            group = self.symmetry_
        elif isinstance(self.symmetrize, str):
            group = SymmetryGroup.named(self.symmetrize, self.lattice_shape_, self.spin_kind_,
                                        self.n_states_)
        else:
            group = SymmetryGroup(self.lattice_shape_, self.spin_kind_, self.n_states_,
                                  tuple(self.symmetrize))
        if for_evaluation and getattr(self.model_.layers[-1], "odd", False):
            group = group.without_internal()
        return group

    def _log_prob(self, X):
        """``log P`` of int8 lattices ``(n, Ly, Lx)`` through the compiled network."""
        evaluate = self._cached("log_prob", self._log_prob_model)
        sequences = _as_float(unwrap(X, self._permutation()))
        parts = [np.asarray(evaluate.predict_on_batch(sequences[start:start + _EVAL_BATCH]))
                 for start in range(0, len(sequences), _EVAL_BATCH)]
        return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)

    def _log_prob_model(self):
        inputs = keras.Input((self.n_features_in_,))
        log_prob = _ObservedLogProb(self.spin_kind_, total=True)([inputs, self.model_(inputs)])
        return keras.Model(inputs, log_prob)

    def _cached(self, key, build):
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

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
            Snapshots: Ising spins or Potts labels.
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
            sequences[:, t] = _draw(ratio * np.asarray(logits, dtype=np.float64),
                                    self.spin_kind_, rng)
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
        kernel : skdcl.hamiltonians.LocalKernel
        """
        check_is_fitted(self)
        if shape is not None and tuple(shape) != tuple(self.lattice_shape_):
            raise ValueError(
                f"shape {tuple(shape)} differs from the fitted lattice {self.lattice_shape_}: a "
                "sequence model is tied to the lattice size it was fitted on.")
        key = self.symmetrize if isinstance(self.symmetrize, str) else tuple(self.symmetrize)
        return self._cached(("local_kernel", key), self._build_local_kernel)

    def _build_local_kernel(self):
        core = self.model_.layers[-1]
        group = self._group(for_evaluation=True)
        sites, deps, n_deps = core.dependency_tables(group.site_permutations)
        weights = core.numpy_weights()
        # a flat tuple: numba's parallel sweep cannot take nested tuples of arrays
        params = (sites, group.value_tables, deps, n_deps, core.window_index.astype(np.int64),
                  core.window_mask.astype(np.bool_), *weights, float(self.T_obs_))
        return LocalKernel(_masked_conv_delta, params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags


def _as_float(X):
    return np.asarray(X, dtype=np.float32).reshape(len(X), -1)


def _draw(logits, kind, rng):
    """One value per row from tempered logits: Ising +-1, Potts labels."""
    if kind == "ising":
        p_up = 0.5 * (1.0 + np.tanh(0.5 * logits))
        return np.where(rng.random_sample(len(logits)) < p_up, 1.0, -1.0)
    logits = logits - logits.max(axis=1, keepdims=True)
    cumulative = np.cumsum(np.exp(logits), axis=1)
    u = rng.random_sample(len(logits)) * cumulative[:, -1]
    return (u[:, None] >= cumulative[:, :-1]).sum(axis=1).astype(np.float64)


# --------------------------------------------------------------------------- Keras layers

ops = keras.ops
_register = keras.saving.register_keras_serializable(package="skdcl")


def _encode(sequences, n_states):
    """Ising: ``(n, N, 1)`` spins; Potts: ``(n, N, q)`` one-hot labels."""
    if n_states == 2:
        return ops.expand_dims(sequences, -1)
    return ops.one_hot(ops.cast(sequences, "int32"), n_states)

@_register
class _MaskedConvCore(keras.layers.Layer):
    """Conditionals from masked periodic windows through a shared residual network."""

    def __init__(self, lattice_shape, ordering, radius, units, layers, n_states, odd,
                 shared=True, **kwargs):
        super().__init__(**kwargs)
        self.shared = bool(shared)
        self.lattice_shape = tuple(lattice_shape)
        self.ordering = ordering
        self.radius = radius
        self.units = units
        self.n_layers = layers
        self.n_states = n_states
        self.odd = bool(odd)
        self.window_index, self.window_mask = _window_tables(
            self.lattice_shape, ordering_permutation(self.lattice_shape, ordering), radius)
        # Without biases a tanh network is odd: its logits flip sign with the spins.
        self.hidden = [keras.layers.Dense(units, activation="tanh", use_bias=not self.odd,
                                          name=f"hidden_{k}") for k in range(layers)]
        self.head = keras.layers.Dense(1 if n_states == 2 else n_states, use_bias=not self.odd,
                                       name="head")

    def build(self, input_shape):
        width = self.window_index.shape[1] * (1 if self.n_states == 2 else self.n_states)
        self.hidden[0].build((None, width))
        if not self.shared:  # a first layer of its own at every sequence position
            n = len(self.window_index)
            self.position_kernel = self.add_weight(
                shape=(n, width, self.units), initializer="zeros", name="position_kernel")
            if not self.odd:
                self.position_bias = self.add_weight(shape=(n, self.units),
                                                     initializer="zeros", name="position_bias")
        for layer in self.hidden[1:]:
            layer.build((None, self.units))
        self.head.build((None, self.units))

    def _first_layer(self, features, t):
        """``features`` of every position ``(n, N, F)`` (``t`` None) or of position ``t``."""
        layer = self.hidden[0]
        if self.shared:
            return layer(features)
        kernel = layer.kernel + (self.position_kernel if t is None else self.position_kernel[t])
        h = (ops.einsum("ntf,tfu->ntu", features, kernel) if t is None
             else ops.matmul(features, kernel))
        if not self.odd:
            h = h + layer.bias + (self.position_bias if t is None else self.position_bias[t])
        return layer.activation(h)

    def _network(self, features, t=None):
        h = self._first_layer(features, t)
        for layer in self.hidden[1:]:
            h = h + layer(h)
        return self.head(h)

    def _logits(self, features, t=None):
        logits = self._network(features, t)
        return logits[..., 0] if self.n_states == 2 else logits

    def _features(self, sequences, index, mask):
        window = ops.take(_encode(sequences, self.n_states), index, axis=1)
        window = window * ops.convert_to_tensor(mask[..., None], dtype=window.dtype)
        shape = ops.shape(window)
        return ops.reshape(window, (-1,) + tuple(index.shape)[:-1]
                           + (index.shape[-1] * shape[-1],))

    def call(self, sequences):
        return self._logits(self._features(sequences, self.window_index,
                                           self.window_mask.astype(np.float32)))

    def initial_state(self, n):
        return None

    def step(self, sequences, t, state):
        features = self._features(sequences, self.window_index[t],
                                  self.window_mask[t].astype(np.float32))
        return ops.convert_to_numpy(self._logits(features, t)), state

    def dependency_tables(self, site_permutations):
        return _dependency_tables(self.window_index, self.window_mask,
                                  self._sequence_sites(site_permutations))

    def _sequence_sites(self, site_permutations):
        perm = ordering_permutation(self.lattice_shape, self.ordering)
        return np.ascontiguousarray(site_permutations[:, perm])

    def numpy_weights(self):
        """Weights as float64 arrays for the compiled kernel (zero biases when bias-free)."""
        def weights(layer, n_out):
            values = [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
            return values[0], values[1] if len(values) > 1 else np.zeros(n_out)

        w0, b0 = weights(self.hidden[0], self.units)
        # per position (a leading axis of one when shared)
        w0, b0 = w0[None], b0[None]
        if not self.shared:
            w0 = w0 + np.asarray(self.position_kernel, dtype=np.float64)
            if not self.odd:
                b0 = b0 + np.asarray(self.position_bias, dtype=np.float64)
            b0 = np.broadcast_to(b0, (len(w0), self.units)).copy()
        pairs = [weights(layer, self.units) for layer in self.hidden[1:]]
        hidden_w = np.stack([w for w, _ in pairs]) if pairs else np.zeros((0, self.units,
                                                                           self.units))
        hidden_b = np.stack([b for _, b in pairs]) if pairs else np.zeros((0, self.units))
        head_w, head_b = weights(self.head, self.head.units)
        return (w0, b0, hidden_w, hidden_b, head_w, head_b)

    def get_config(self):
        config = super().get_config()
        config.update(lattice_shape=list(self.lattice_shape), ordering=self.ordering,
                      radius=self.radius, units=self.units, layers=self.n_layers,
                      n_states=self.n_states, odd=self.odd, shared=self.shared)
        return config

@_register
class _GRUCore(keras.layers.Layer):
    """Conditionals from stacked GRU layers reading the sequence shifted by one site."""

    def __init__(self, units, layers, n_states, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.n_layers = layers
        self.n_states = n_states
        self.dropout = dropout
        self.grus = [keras.layers.GRU(units, return_sequences=True, dropout=dropout,
                                      name=f"gru_{k}") for k in range(layers)]
        self.head = keras.layers.Dense(1 if n_states == 2 else n_states, name="head")

    def build(self, input_shape):
        width = 1 if self.n_states == 2 else self.n_states
        self.grus[0].build((None, input_shape[1], width))
        for layer in self.grus[1:]:
            layer.build((None, input_shape[1], self.units))
        self.head.build((None, self.units))

    def call(self, sequences, training=None):
        x = _encode(sequences, self.n_states)
        x = ops.pad(x[:, :-1], [[0, 0], [1, 0], [0, 0]])
        for layer in self.grus:
            x = layer(x, training=training)
        logits = self.head(x)
        return logits[..., 0] if self.n_states == 2 else logits

    def initial_state(self, n):
        return [np.zeros((n, self.units), dtype=np.float32) for _ in self.grus]

    def step(self, sequences, t, state):
        width = 1 if self.n_states == 2 else self.n_states
        x = (_encode(sequences[:, t - 1:t], self.n_states)[:, 0] if t > 0
             else np.zeros((len(sequences), width), dtype=np.float32))
        new_state = []
        for layer, h in zip(self.grus, state):
            x, _ = layer.cell(x, h)
            new_state.append(x)
        logits = ops.convert_to_numpy(self.head(x))
        return (logits[:, 0] if self.n_states == 2 else logits), new_state

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, layers=self.n_layers, n_states=self.n_states,
                      dropout=self.dropout)
        return config

class _RandomImage(keras.layers.Layer):
    """Training-time augmentation: a random image of each snapshot under a group."""

    def __init__(self, site_permutations, value_tables, kind, seed, **kwargs):
        super().__init__(**kwargs)
        self.site_permutations = site_permutations.astype(np.int32)
        self.value_tables = value_tables.astype(np.float32)
        if kind == "ising":
            self.value_tables = 2 * self.value_tables - 1
        self.kind = kind
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, X, training=None):
        if not training:
            return X
        n = ops.shape(X)[0]
        g = keras.random.randint((n,), 0, len(self.site_permutations),
                                 seed=self.seed_generator)
        v = keras.random.randint((n,), 0, len(self.value_tables), seed=self.seed_generator)
        X = ops.take_along_axis(X, ops.take(self.site_permutations, g, axis=0), axis=1)
        states = ops.cast((X + 1) / 2 if self.kind == "ising" else X, "int32")
        return ops.take_along_axis(ops.take(self.value_tables, v, axis=0), states, axis=1)

class _ObservedLogProb(keras.layers.Layer):
    """``log P(s_t | s_<t)`` of the observed values from the logits (summed if ``total``)."""

    def __init__(self, kind, total, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        self.total = total

    def call(self, inputs):
        sequences, logits = inputs
        if self.kind == "ising":
            log_prob = ops.log_sigmoid(sequences * logits)
        else:
            labels = ops.expand_dims(ops.cast(sequences, "int32"), -1)
            log_prob = ops.take_along_axis(ops.log_softmax(logits, axis=-1), labels,
                                           axis=-1)[..., 0]
        return ops.sum(log_prob, axis=1) if self.total else log_prob


def _build_model(architecture):
    """The network: sequences ``(n, N)`` to the logits of every conditional."""
    shape = architecture["lattice_shape"]
    n_sites = shape[0] * shape[1]
    if architecture["cell"] == "gru":
        core = _GRUCore(architecture["units"], architecture["layers"],
                        architecture["n_states"], architecture["dropout"], name="core")
    else:
        core = _MaskedConvCore(shape, architecture["ordering"], architecture["radius"],
                               architecture["units"], architecture["layers"],
                               architecture["n_states"], architecture["odd"],
                               architecture["shared"], name="core")
    inputs = keras.Input((n_sites,))
    return keras.Model(inputs, core(inputs))


def _window_tables(shape, permutation, radius):
    """Sequence positions of each site's periodic window and which of them come earlier.

    Returns ``index`` (N, K) and ``mask`` (N, K) with ``K = (2 radius + 1)^2``: window cell ``k``
    of sequence position ``t`` is position ``index[t, k]``, readable when ``mask[t, k]``.
    """
    Ly, Lx = shape
    position = np.empty(Ly * Lx, dtype=np.int64)
    position[permutation] = np.arange(Ly * Lx)
    y, x = np.divmod(permutation, Lx)
    offsets = np.arange(-radius, radius + 1)
    dy, dx = np.meshgrid(offsets, offsets, indexing="ij")
    neighbours = ((y[:, None] + dy.ravel()) % Ly) * Lx + (x[:, None] + dx.ravel()) % Lx
    index = position[neighbours]
    mask = index < np.arange(Ly * Lx)[:, None]
    # A window wider than the lattice would see one site twice; keep its first cell only.
    for t in range(len(index)):
        _, first = np.unique(index[t], return_index=True)
        duplicate = np.ones(index.shape[1], dtype=bool)
        duplicate[first] = False
        mask[t, duplicate] = False
    return index, mask


def _dependency_tables(index, mask, sequence_sites):
    """For the local kernel: which conditionals each site enters, in every image.

    Returns ``sites`` (G, N): the lattice site read at each sequence position of image ``g``;
    ``deps`` (G, N_sites, D): for each lattice site, the sequence positions whose conditional
    reads it (its own position first); ``n_deps`` (G, N_sites).
    """
    n_images, n_positions = sequence_sites.shape
    readers = [[t] for t in range(n_positions)]
    for t in range(n_positions):
        for k in np.flatnonzero(mask[t]):
            readers[index[t, k]].append(t)
    width = max(len(r) for r in readers)
    deps = np.zeros((n_images, n_positions, width), dtype=np.int64)
    n_deps = np.zeros((n_images, n_positions), dtype=np.int64)
    for g in range(n_images):
        for u, reading in enumerate(readers):
            site = sequence_sites[g, u]
            deps[g, site, :len(reading)] = reading
            n_deps[g, site] = len(reading)
    return np.ascontiguousarray(sequence_sites.astype(np.int64)), deps, n_deps


# ------------------------------------------------------------------ compiled local kernel


@numba.njit(cache=True)
def _network(features_index, features_value, n_features, w0, b0, hidden_w, hidden_b, head_w,
             head_b, h, out):
    """Residual network on sparse inputs: ``sum_f value_f * w0[index_f]``; logits into out."""
    units = b0.shape[0]
    for u in range(units):
        h[u] = b0[u]
    for f in range(n_features):
        row = features_index[f]
        value = features_value[f]
        for u in range(units):
            h[u] += value * w0[row, u]
    for u in range(units):
        h[u] = np.tanh(h[u])
    for layer in range(hidden_w.shape[0]):
        for u in range(units):
            acc = hidden_b[layer, u]
            for v in range(units):
                acc += h[v] * hidden_w[layer, v, u]
            out[u] = np.tanh(acc)
        for u in range(units):
            h[u] += out[u]
    for c in range(head_b.shape[0]):
        acc = head_b[c]
        for u in range(units):
            acc += h[u] * head_w[u, c]
        out[c] = acc


@numba.njit(cache=True)
def _conditional_log_prob(config_flat, sites, value_table, t, index, mask, changed, new_state,
                          weights, n_states, scratch):
    """``log P`` of the value at sequence position ``t`` of one image of one configuration.

    ``changed`` is the lattice site whose state reads as ``new_state`` (-1 for none).
    """
    w0, b0, hidden_w, hidden_b, head_w, head_b = weights
    features_index, features_value, h, out = scratch
    n = 0
    for k in range(index.shape[1]):
        if mask[t, k]:
            site = sites[index[t, k]]
            state = new_state if site == changed else _state(config_flat[site], n_states)
            state = value_table[state]
            if n_states == 2:
                features_index[n] = k
                features_value[n] = 2.0 * state - 1.0
            else:
                features_index[n] = k * n_states + state
                features_value[n] = 1.0
            n += 1
    site = sites[t]
    own = value_table[new_state if site == changed else _state(config_flat[site], n_states)]
    p = t if w0.shape[0] > 1 else 0  # weights of this position, or the shared ones
    _network(features_index, features_value, n, w0[p], b0[p], hidden_w, hidden_b, head_w,
             head_b, h, out)
    if n_states == 2:
        z = out[0] if own == 1 else -out[0]
        return -np.log1p(np.exp(-z)) if z > 0 else z - np.log1p(np.exp(z))
    top = out[0]
    for c in range(1, n_states):
        top = max(top, out[c])
    total = 0.0
    for c in range(n_states):
        total += np.exp(out[c] - top)
    return out[own] - top - np.log(total)


@numba.njit(cache=True, inline="always")
def _state(value, n_states):
    return (value + 1) // 2 if n_states == 2 else value


@numba.njit(cache=True, inline="always")
def _masked_conv_delta(config, i, j, new_value, params):
    """Energy change of setting site (i, j): only the conditionals that read it are redone."""
    sites, value_tables, deps, n_deps, index, mask = params[:6]
    weights = params[6:12]
    T_obs = params[12]
    Ly, Lx = config.shape
    head_b = weights[5]
    n_states = 2 if head_b.shape[0] == 1 else head_b.shape[0]
    units = weights[1].shape[1]
    scratch = (np.empty(index.shape[1], dtype=np.int64), np.empty(index.shape[1]),
               np.empty(units), np.empty(max(units, head_b.shape[0])))
    flat = config.reshape(Ly * Lx)
    site = i * Lx + j
    new_state = _state(new_value, n_states)
    delta = 0.0
    for g in range(sites.shape[0]):
        for v in range(value_tables.shape[0]):
            for d in range(n_deps[g, site]):
                t = deps[g, site, d]
                delta += _conditional_log_prob(flat, sites[g], value_tables[v], t, index, mask,
                                               site, new_state, weights, n_states, scratch)
                delta -= _conditional_log_prob(flat, sites[g], value_tables[v], t, index, mask,
                                               -1, 0, weights, n_states, scratch)
    return -T_obs * delta / (sites.shape[0] * value_tables.shape[0])
