"""The EDNN estimator: fit, predict, score, the Monte Carlo kernel and the refinement."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions, fit_context
from .._fitting import transactional
from .._keras import KerasEnergyModel, keras, predict_in_batches, seed_keras, validation_split
from ..lattice import check_lattice_size, check_observation_temperature, check_snapshots
from ._kernel import ACTIVATIONS, MAX_TABLE_STATES, network_kernel, table_kernel
from ._layers import RandomShift, build_model
from ._refinement import best_scale_factor, fine_tune

__all__ = ["EDNNEnergyModel"]

_PREDICT_BATCH = 2048


class EDNNEnergyModel(RegressorMixin, KerasEnergyModel):
    """Extensive deep neural network: a sum of one small network over lattice tiles.

    Parameters
    ----------
    focus : int, default=2
        Side of the tiles the lattice is cut into; lattice sides must be multiples of it.
    context : int, default=1
        Rings of neighbouring sites each tile's network also reads (periodic wrap).
    hidden_layer_sizes : tuple of int, default=(32, 64)
        Widths of the hidden layers of the tile network.
    activation : {"relu", "tanh", "softplus"}, default="relu"
        Activation of the hidden layers.
    shared : bool or "auto", default="auto"
        One network for every tile (invariant under translations by ``focus``; applies to any
        lattice size). With False every tile position has its own network, for systems whose
        law changes from site to site (a spin glass with fixed couplings); the model then
        applies to the fitted lattice size only. ``"auto"``: True, unless
        :class:`~skdcl.pipeline.DCLPipeline` found from the snapshots that translations by
        ``focus`` are not symmetries of the system.
    augment : bool or "auto", default="auto"
        Train on random placements of the tile grid: every batch is translated by a random
        offset smaller than a tile (shared networks with ``focus > 1`` only). A translation
        invariant energy does not depend on where the grid starts; showing the network every
        placement keeps it from fitting label noise through one of them (on labels with 2 J
        of noise it cuts the error about threefold). It assumes that one-site translations are
        symmetries. ``"auto"``: True, unless :class:`~skdcl.pipeline.DCLPipeline` found from
        the snapshots that they are not (a standalone fit on energies has no way to tell).
    kind : {"auto", "ising", "potts"}, default="auto"
        Kind of site variable. ``"auto"``: Ising spins if the configurations hold -1, Potts
        labels otherwise; ``"ising"`` with 0/1 values: spins stored as 0/1 (see
        :meth:`SiteVariables.infer <skdcl.sites.SiteVariables.infer>`). A two-state site
        (either kind, either storage) enters the network as one +-1 feature, a site with more
        states one-hot.
    q : int, default=None
        Number of Potts states; None infers it as the largest label seen plus one.
    epochs : int, default=100
        Maximum number of passes over the training configurations.
    batch_size : int, default=64
        Configurations per gradient step.
    learning_rate : float, default=5e-3
        Initial learning rate of Adam, decayed to zero along a cosine over ``epochs``.
    validation_fraction : float, default=0.1
        Fraction of the configurations held out to monitor the validation loss (0 disables it).
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``n_iter_no_change`` epochs and keep
        the best weights. Needs ``validation_fraction > 0``. Off by default: the learning rate
        anneals over all ``epochs``, and stopping before it has cost accuracy.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation, the validation split and the batch order; an int gives
        reproducible fits.
    verbose : int, default=0
        Print one line per epoch when > 0.
    callbacks : list of keras.callbacks.Callback, default=None
        Passed to every Keras ``fit`` of the estimator (for instance
        ``[keras.callbacks.CSVLogger(path)]``, or ``[keras.callbacks.TensorBoard(log_dir)]``
        to follow training in TensorBoard, which is installed separately).

    Attributes
    ----------
    model_ : keras.Model
        Network from configurations ``(n, Ly, Lx)`` to the sum of the tile outputs.
    sites_ : SiteVariables
        The site variables of the training configurations (kind, number of states, stored
        values); also read through the properties ``sites``, ``spin_kind`` and ``n_states``.
    lattice_shape_ : tuple of int
        ``(Ly, Lx)`` of the training configurations.
    n_features_in_ : int
        Number of sites of the training lattices.
    shared_ : bool
        ``shared`` resolved: one network for every tile.
    augment_ : bool
        ``augment`` resolved: whether the tile grid was translated during training.
    energy_scale_ : float
        Standard deviation of the training energies; the network predicts energies in this unit.
    energy_per_site_ : float
        Constant energy per site added to the network's output (extensive, like the rest).
    history_ : dict of list
        Loss (mean squared error in units of ``energy_scale_`` squared) per epoch, and
        validation loss.
    n_epochs_ : int
        Epochs run.
    scale_factor_ : float
        Factor :meth:`refine_pseudo_likelihood` with ``parameters="scale"`` applied to every
        energy (set by it only).
    refinement_history_ : dict of list
        Loss per epoch of :meth:`refine_pseudo_likelihood` with ``parameters="output"`` or
        ``"all"`` (set by it only).

    See Also
    --------
    skdcl.pipeline.DCLPipeline : trains an EDNN on energies learned from snapshots.

    Examples
    --------
    >>> from skdcl import IsingModel, make_snapshots
    >>> X = make_snapshots(IsingModel(), L=4, T=3.0, n_samples=200, random_state=0)
    >>> model = EDNNEnergyModel(epochs=2, random_state=0).fit(X, IsingModel().energy(X))
    >>> model.predict(X[:3]).shape
    (3,)
    >>> X16 = make_snapshots(IsingModel(), L=16, T=3.0, n_samples=2, random_state=0)
    >>> model.predict(X16).shape  # any size whose sides are multiples of focus
    (2,)
    """

    _parameter_constraints = {
        **KerasEnergyModel._shared_constraints,
        "focus": [Interval(Integral, 1, None, closed="left")],
        "context": [Interval(Integral, 0, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "shared": ["boolean", StrOptions({"auto"})],
        "augment": ["boolean", StrOptions({"auto"})],
    }

    def __init__(self, focus=2, context=1, hidden_layer_sizes=(32, 64), activation="relu",
                 shared="auto", augment="auto", kind="auto", q=None, epochs=100, batch_size=64,
                 learning_rate=5e-3, validation_fraction=0.1, early_stopping=False,
                 n_iter_no_change=10, random_state=None, verbose=0, callbacks=None):
        self.focus = focus
        self.context = context
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.shared = shared
        self.augment = augment
        super().__init__(kind=kind, q=q, epochs=epochs, batch_size=batch_size,
                         learning_rate=learning_rate, validation_fraction=validation_fraction,
                         early_stopping=early_stopping, n_iter_no_change=n_iter_no_change,
                         random_state=random_state, verbose=verbose, callbacks=callbacks)

    # ------------------------------------------------------------------------------- fitting

    @fit_context(prefer_skip_nested_validation=True)
    @transactional
    def fit(self, X, y):
        """Fit the tile network to the energies of configurations.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
            Configurations (Ising spins -1/+1 or 0/1, or Potts labels ``0 .. q-1``) of one
            lattice size whose sides are multiples of ``focus``.
        y : array-like of shape (n_samples,)
            Total energies in units of J (any constant offset).

        Returns
        -------
        self : EDNNEnergyModel
            The fitted model.
        """
        hidden = self._check_hidden_layer_sizes()
        sites = self._infer_sites(X)
        X = check_snapshots(X, sites)
        y = _check_energies(y, len(X))
        self._check_divisible(X.shape[1:], "X")
        self.sites_ = sites
        self.lattice_shape_ = X.shape[1:]
        self.n_features_in_ = X.shape[1] * X.shape[2]
        self.shared_ = True if self.shared == "auto" else bool(self.shared)
        self.augment_ = True if self.augment == "auto" else bool(self.augment)
        self._clear_cache()
        n_sites = self.n_features_in_
        self.energy_per_site_ = float(y.mean() / n_sites)
        self.energy_scale_ = float(y.std()) or 1.0
        self._check_finite([self.energy_per_site_, self.energy_scale_],
                           "energy scales: y (energies) overflow float64; rescale them")
        target = ((y - y.mean()) / self.energy_scale_).astype(np.float32)
        rng = check_random_state(self.random_state)
        self._seed_keras(rng)
        self.model_ = build_model(self._architecture(hidden))
        train_idx, valid_idx = validation_split(len(X), self.validation_fraction, rng)
        valid = None if valid_idx is None else (X[valid_idx].astype(np.float32),
                                                 target[valid_idx])
        inputs = keras.Input((None, None))
        trainer = keras.Model(inputs, self.model_(self._augmentation(rng)(inputs)))
        self.history_ = self._train(trainer, "mse", X[train_idx].astype(np.float32),
                                    target[train_idx], valid)
        self._check_finite(self.history_["loss"],
                           "training losses (training diverged); lower learning_rate")
        self.n_epochs_ = len(self.history_["loss"])
        return self

    def _augmentation(self, rng):
        """The training-time translation of the tile grid (identity when it does not apply)."""
        focus = self.focus if self.augment_ and self.shared_ else 1
        return RandomShift(focus, int(rng.randint(2**31 - 1)))

    def _check_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
        if not sizes or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1
                                for s in sizes):
            raise ValueError("hidden_layer_sizes must be a non-empty sequence of positive ints, "
                             f"got {self.hidden_layer_sizes!r}.")
        return [int(s) for s in sizes]

    def _check_divisible(self, shape, name):
        if shape[0] % self.focus or shape[1] % self.focus:
            raise ValueError(
                f"{name} holds {shape[0]}x{shape[1]} lattices, whose sides are not multiples of "
                f"focus={self.focus}.")

    def _architecture(self, hidden):
        Ly, Lx = self.lattice_shape_
        return {"focus": int(self.focus), "context": int(self.context), "hidden": hidden,
                "activation": self.activation, "sites": self.sites_,
                "tiles": None if self.shared_ else [Ly // self.focus, Lx // self.focus]}

    # ---------------------------------------------------------------------------- prediction

    def predict(self, X):
        """Total energies of configurations, in units of J.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Configurations of any lattice size whose sides are multiples of ``focus`` (with
            ``shared=False``: the fitted size only).

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        raw = predict_in_batches(self.model_, X.astype(np.float32), _PREDICT_BATCH)
        return self.energy_scale_ * raw + self.energy_per_site_ * X.shape[1] * X.shape[2]

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 of the predicted energies.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Configurations.
        y : array-like of shape (n_samples,)
            Their true energies.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``1 - sum (y - predict(X))**2 / sum (y - mean(y))**2``; 1 is a perfect fit.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def _check_X(self, X, name="X"):
        X = self._check_fitted_snapshots(X, name)
        self._check_shape(X.shape[1:], name)
        return X

    def _check_shape(self, shape, name):
        self._check_divisible(shape, name)
        if not self.shared_ and tuple(shape) != tuple(self.lattice_shape_):
            raise ValueError(
                f"{name} holds {shape[0]}x{shape[1]} lattices, but this EDNNEnergyModel has one "
                f"network per tile of the fitted {self.lattice_shape_[0]}x"
                f"{self.lattice_shape_[1]} lattice (shared=False) and applies to that size only.")

    # ------------------------------------------------------------------------- refinement

    @transactional
    def refine_pseudo_likelihood(self, X, T_obs, *, parameters="scale", epochs=10,
                                 batch_size=256, learning_rate=5e-5, validation_fraction=0.1,
                                 max_samples=None, random_state=None):
        """Fit the model further to snapshots by maximising their pseudo-likelihood.

        ``log P(s_i | rest) = -log sum_k exp(-(E(s_i = k) - E(s)) / T_obs)`` needs only the
        energy changes of single-site moves, which the tiles give cheaply. It needs no energy
        labels and holds for any local Hamiltonian, pairwise or not. Afterwards energies are
        shifted so that their mean over ``X`` is zero.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Equilibrium snapshots at ``T_obs`` (sides multiples of ``focus``).
        T_obs : float or array-like of shape (n_samples,)
            Their temperature.
        parameters : {"scale", "output", "all"}, default="scale"
            What is fitted. ``"scale"``: one factor multiplying every energy, found exactly (the
            pseudo-likelihood is concave in it); it corrects the over- or under-confidence of
            the sequence model the labels came from, and cannot harm what the snapshots do not
            constrain. ``"output"``: the weights of the output layer (Adam). ``"all"``: every
            weight (Adam); snapshots at one temperature leave many directions of a flexible
            network unconstrained, so keep ``learning_rate`` small.
        epochs : int, default=10
            Passes over the snapshots (``"output"``, ``"all"``; the best epoch on the
            validation split is kept).
        batch_size : int, default=256
        learning_rate : float, default=5e-5
            Initial learning rate of Adam, decayed along a cosine.
        validation_fraction : float, default=0.1
            Fraction of snapshots held out for early stopping.
        max_samples : int, default=None
            Snapshots (evenly strided) the scale is fitted on; None uses all (the factor's
            statistical error, about 0.14% from 20000 8x8 snapshots at T_obs = 4, shifts every
            energy by as much, so more is better).
        random_state : int, RandomState instance or None, default=None
            Seed of the split and the batch order.

        Returns
        -------
        self : EDNNEnergyModel
        """
        X = self._check_X(X)
        T_obs = check_observation_temperature(T_obs, len(X), "T_obs")
        if parameters not in ("scale", "output", "all"):
            raise ValueError(
                f"parameters must be 'scale', 'output' or 'all', got {parameters!r}.")
        if parameters == "scale":
            stride = 1 if max_samples is None else -(-len(X) // max_samples)
            snapshots = X[::stride]
            factor = best_scale_factor(self.local_kernel(snapshots.shape[1:]), snapshots, T_obs,
                                       self.sites)
            self.scale_factor_ = factor
            self.energy_scale_ *= factor
            self.energy_per_site_ *= factor
        else:
            rng = check_random_state(random_state)
            seed_keras(rng if random_state is not None else None)
            self.refinement_history_ = fine_tune(
                self.model_.get_layer("tiles"), X, T_obs, self.energy_scale_,
                self._augmentation(rng), output_only=parameters == "output", epochs=epochs,
                batch_size=batch_size, learning_rate=learning_rate,
                validation_fraction=validation_fraction, rng=rng, verbose=self.verbose,
                name=type(self).__name__, callbacks=self._user_callbacks())
        self._clear_cache()
        self.energy_per_site_ -= float(self.predict(X).mean()) / (X.shape[1] * X.shape[2])
        return self

    # --------------------------------------------------------------------------- Monte Carlo

    def local_kernel(self, shape):
        """Compiled energy-change kernel for :mod:`skdcl.montecarlo`.

        Tabulated windows when ``n_states ** window_sites <= 2 ** 20`` (each chain then keeps
        the code of each of its tiles and a move costs a few table lookups), the tile network
        evaluated in numba otherwise. With one shared network and sides that are multiples of
        the colour period (4 for focus 2 with context 1), the tabulated kernel sweeps colour
        classes of sites with disjoint windows (``skdcl/ednn/_sweep.py``). Cached per shape
        (not pickled).

        Parameters
        ----------
        shape : tuple of int
            Lattice shape ``(Ly, Lx)`` to simulate (sides multiples of ``focus``).

        Returns
        -------
        kernel : skdcl.montecarlo.LocalKernel
        """
        check_is_fitted(self)
        shape = check_lattice_size(shape, "shape")
        self._check_shape(shape, "shape")
        return self._cached(("kernel", shape), lambda: self._build_local_kernel(shape))

    @property
    def tabulated(self):
        """Whether Monte Carlo uses tabulated window energies (see :meth:`local_kernel`)."""
        check_is_fitted(self)
        n_codes = self.n_states ** ((self.focus + 2 * self.context) ** 2)
        n_tables = 1 if self.shared_ else np.prod(self.lattice_shape_) // self.focus**2
        return n_codes <= MAX_TABLE_STATES and n_tables * n_codes <= 16 * MAX_TABLE_STATES

    def _build_local_kernel(self, shape):
        if self.tabulated:
            return self._table_kernel(shape)
        window = (self.focus + 2 * self.context) ** 2
        n_states = self.n_states
        warnings.warn(
            f"windows of {window} sites with {n_states} states each are too many to "
            "tabulate: Monte Carlo evaluates the tile network for every move, thousands of "
            "times slower. Smaller windows (focus + 2 * context) keep it fast (Ising: up to 20 "
            f"sites; {n_states} states: up to "
            f"{int(np.log(MAX_TABLE_STATES) / np.log(n_states))}).", stacklevel=5)
        return self._network_kernel(shape)

    def _table_kernel(self, shape):
        return table_kernel(self.model_.get_layer("tiles"), shape, self.energy_scale_)

    def _network_kernel(self, shape):
        return network_kernel(self.model_.get_layer("tiles"), shape, self.energy_scale_)


def _check_energies(y, n_samples):
    if y is None:
        raise ValueError("y (energies) is required: this estimator requires y to be passed, "
                         "but the target y is None.")
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("y (energies) must be an array of real numbers.") from None
    if values.shape != (n_samples,):
        raise ValueError(f"y (energies) must have shape ({n_samples},), one energy per "
                         f"configuration, got shape {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise ValueError("y (energies) contains NaN or infinite values.")
    return values


