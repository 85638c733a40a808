"""EDNNEnergyModel: an extensive network of lattice tiles, with a compiled Monte Carlo kernel.

The lattice is cut into ``focus x focus`` tiles. Each tile, with ``context`` rings of
surrounding sites (periodic wrap), is read by one small network and the outputs of all tiles are
summed (Mills et al., Chem. Sci. 10, 4129 (2019)). The sum is extensive by construction: a model
fitted on 8x8 lattices predicts 256x256 ones, and setting one site changes only the tiles whose
window holds it.

Monte Carlo never calls Keras. When a window has few enough states (``n_states ** window_sites``
at most ``2 ** 20``: Ising windows of up to 20 sites), every window's energy is tabulated once and
each chain keeps the code of each of its tiles, so a proposal costs a few table lookups;
otherwise the small network is evaluated in numba for the tiles a move touches.
"""

import warnings
from numbers import Integral, Real

import numba
import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions, _fit_context
from ._energy_model import LearnedEnergyMixin
from ._keras import KerasStateMixin, keras, mean_output_loss, seed_keras, train
from .hamiltonians import LocalKernel
from .lattice import (check_observation_temperature, check_snapshots, check_lattice_size,
                      infer_spin_kind)
from .metrics import log_pseudo_likelihood
from .montecarlo import _TWO_TO_MINUS_32, _accept, local_energy_changes

__all__ = ["EDNNEnergyModel"]

#: Largest number of window states tabulated for Monte Carlo (per table).
MAX_TABLE_STATES = 2**20
_PREDICT_BATCH = 2048
_ACTIVATIONS = ("relu", "tanh", "softplus")

ops = keras.ops
_register = keras.saving.register_keras_serializable(package="skdcl")


class EDNNEnergyModel(LearnedEnergyMixin, KerasStateMixin, RegressorMixin, BaseEstimator):
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
        labels otherwise. Ising spins enter the network as +-1, Potts labels one-hot.
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

    Attributes
    ----------
    model_ : keras.Model
        Network from configurations ``(n, Ly, Lx)`` to the sum of the tile outputs.
    spin_kind_ : str
        ``"ising"`` or ``"potts"``.
    n_states_ : int
        2 for Ising spins, q for Potts labels.
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

    _keras_attributes = ("model_",)
    _transient_attributes = ("_cache",)

    _parameter_constraints = {
        "focus": [Interval(Integral, 1, None, closed="left")],
        "context": [Interval(Integral, 0, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "shared": ["boolean", StrOptions({"auto"})],
        "augment": ["boolean", StrOptions({"auto"})],
        "kind": [StrOptions({"auto", "ising", "potts"})],
        "q": [None, Interval(Integral, 2, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, focus=2, context=1, hidden_layer_sizes=(32, 64), activation="relu",
                 shared="auto", augment="auto", kind="auto", q=None, epochs=100, batch_size=64,
                 learning_rate=5e-3, validation_fraction=0.1, early_stopping=False,
                 n_iter_no_change=10, random_state=None, verbose=0):
        self.focus = focus
        self.context = context
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.shared = shared
        self.augment = augment
        self.kind = kind
        self.q = q
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
    def fit(self, X, y):
        """Fit the tile network to the energies of configurations.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx) or (n_samples, Ly * Lx)
            Configurations (Ising spins -1/+1 or Potts labels ``0 .. q-1``) of one lattice size
            whose sides are multiples of ``focus``.
        y : array-like of shape (n_samples,)
            Total energies in units of J (any constant offset).

        Returns
        -------
        self : EDNNEnergyModel
            The fitted model.
        """
        hidden = self._check_hidden_layer_sizes()
        kind, n_states = infer_spin_kind(X, self.kind, self.q)
        X = check_snapshots(X, kind=kind, q=n_states if kind == "potts" else None)
        y = _check_energies(y, len(X))
        self._check_divisible(X.shape[1:], "X")
        self.spin_kind_, self.n_states_ = kind, n_states
        self.lattice_shape_ = X.shape[1:]
        self.n_features_in_ = X.shape[1] * X.shape[2]
        self.shared_ = True if self.shared == "auto" else bool(self.shared)
        self.augment_ = True if self.augment == "auto" else bool(self.augment)
        self.__dict__.pop("_cache", None)
        n_sites = self.n_features_in_
        self.energy_per_site_ = float(y.mean() / n_sites)
        self.energy_scale_ = float(y.std()) or 1.0
        target = ((y - y.mean()) / self.energy_scale_).astype(np.float32)
        rng = check_random_state(self.random_state)
        seed_keras(rng if self.random_state is not None else None)
        self.model_ = _build_model(self._architecture(hidden))
        train_idx, valid_idx = _split(len(X), self.validation_fraction, rng)
        valid = None if valid_idx is None else (X[valid_idx].astype(np.float32),
                                                 target[valid_idx])
        inputs = keras.Input((None, None))
        trainer = keras.Model(inputs, self.model_(self._augmentation(rng)(inputs)))
        self.history_ = train(
            trainer, "mse", X[train_idx].astype(np.float32), target[train_idx],
            valid=valid, epochs=self.epochs, batch_size=self.batch_size,
            learning_rate=self.learning_rate, early_stopping=self.early_stopping,
            patience=self.n_iter_no_change, verbose=self.verbose, name=type(self).__name__)
        self.n_epochs_ = len(self.history_["loss"])
        return self

    def _augmentation(self, rng):
        """The training-time translation of the tile grid (identity when it does not apply)."""
        focus = self.focus if self.augment_ and self.shared_ else 1
        return _RandomShift(focus, int(rng.randint(2**31 - 1)))

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
                "activation": self.activation, "n_states": self.n_states_,
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
        model = self.model_
        parts = [np.asarray(model.predict_on_batch(X[start:start + _PREDICT_BATCH]
                                                   .astype(np.float32))).reshape(-1)
                 for start in range(0, len(X), _PREDICT_BATCH)]
        raw = np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)
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
            self._fit_scale(X[::stride], T_obs)
        else:
            self._fine_tune(X, T_obs, parameters == "output", epochs=epochs,
                            batch_size=batch_size, learning_rate=learning_rate,
                            validation_fraction=validation_fraction, random_state=random_state)
        self.__dict__.pop("_cache", None)
        self.energy_per_site_ -= float(self.predict(X).mean()) / (X.shape[1] * X.shape[2])
        return self

    def _fit_scale(self, X, T_obs):
        """Multiply every energy by the factor of highest pseudo-likelihood."""
        q = 0 if self.spin_kind_ == "ising" else self.n_states_
        changes = local_energy_changes(self.local_kernel(X.shape[1:]), X, q) / T_obs
        result = minimize_scalar(lambda factor: -log_pseudo_likelihood(factor * changes, q),
                                 bounds=(0.1, 10.0), method="bounded",
                                 options={"xatol": 1e-7})
        self.scale_factor_ = float(result.x)
        self.energy_scale_ *= self.scale_factor_
        self.energy_per_site_ *= self.scale_factor_

    def _fine_tune(self, X, T_obs, output_only, *, epochs, batch_size, learning_rate,
                   validation_fraction, random_state):
        """Adam on the negative log pseudo-likelihood of the snapshots."""
        rng = check_random_state(random_state)
        seed_keras(rng if random_state is not None else None)
        core = self.model_.get_layer("tiles")
        frozen = core.kernels[:-1] + core.biases if output_only else []
        for weight in frozen:
            weight.trainable = False
        try:
            inputs = keras.Input(X.shape[1:])
            shifted = self._augmentation(rng)(inputs)
            loss = _PseudoLikelihoodLoss(core, X.shape[1:], self.energy_scale_ / T_obs)(shifted)
            trainer = keras.Model(inputs, loss)
            train_idx, valid_idx = _split(len(X), validation_fraction, rng)
            zeros = np.zeros(len(X), dtype=np.float32)
            valid = None if valid_idx is None else (X[valid_idx].astype(np.float32),
                                                     zeros[valid_idx])
            self.refinement_history_ = train(
                trainer, mean_output_loss, X[train_idx].astype(np.float32), zeros[train_idx],
                valid=valid, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                patience=max(2, epochs // 4), verbose=self.verbose,
                name=f"{type(self).__name__} refinement")
        finally:
            for weight in frozen:
                weight.trainable = True

    # --------------------------------------------------------------------------- Monte Carlo

    def local_kernel(self, shape):
        """Compiled energy-change kernel for :mod:`skdcl.montecarlo`.

        Tabulated windows when ``n_states ** window_sites <= 2 ** 20`` (each chain then keeps
        the code of each of its tiles and a move costs a few table lookups), the tile network
        evaluated in numba otherwise.

        Parameters
        ----------
        shape : tuple of int
            Lattice shape ``(Ly, Lx)`` to simulate (sides multiples of ``focus``).

        Returns
        -------
        kernel : skdcl.hamiltonians.LocalKernel
        """
        check_is_fitted(self)
        shape = check_lattice_size(shape, "shape")
        self._check_shape(shape, "shape")
        cache = self.__dict__.setdefault("_cache", {})
        if shape not in cache:
            cache[shape] = self._build_local_kernel(shape)
        return cache[shape]

    @property
    def tabulated(self):
        """Whether Monte Carlo uses tabulated window energies (see :meth:`local_kernel`)."""
        check_is_fitted(self)
        n_codes = self.n_states_ ** ((self.focus + 2 * self.context) ** 2)
        n_tables = 1 if self.shared_ else np.prod(self.lattice_shape_) // self.focus**2
        return n_codes <= MAX_TABLE_STATES and n_tables * n_codes <= 16 * MAX_TABLE_STATES

    def _build_local_kernel(self, shape):
        if self.tabulated:
            return self._table_kernel(shape)
        window = (self.focus + 2 * self.context) ** 2
        warnings.warn(
            f"windows of {window} sites with {self.n_states_} states each are too many to "
            "tabulate: Monte Carlo evaluates the tile network for every move, thousands of "
            "times slower. Smaller windows (focus + 2 * context) keep it fast (Ising: up to 20 "
            f"sites; {self.n_states_} states: up to "
            f"{int(np.log(MAX_TABLE_STATES) / np.log(self.n_states_))}).", stacklevel=3)
        return self._network_kernel(shape)

    def _tile_sets(self, n_tiles):
        """Which table or weight set each tile uses: all the same one when shared."""
        return (np.zeros(n_tiles, dtype=np.int64) if self.shared_
                else np.arange(n_tiles, dtype=np.int64))

    def _table_kernel(self, shape):
        geometry = _tile_geometry(shape, self.focus, self.context, self.n_states_)
        windows = geometry["window_sites"]
        tables = self.energy_scale_ * self.model_.get_layer("tiles").tabulate()
        params = (np.ascontiguousarray(tables.ravel()),
                  _packed_site_tiles(geometry, self._tile_sets(len(windows)), tables.shape[1]),
                  windows, self.n_states_)
        return LocalKernel(_table_delta, params, _table_update,
                           random_bits=32 if self.spin_kind_ == "ising" else 64,
                           init_aux=_TileCodes(windows, self.n_states_))

    def _network_kernel(self, shape):
        geometry = _tile_geometry(shape, self.focus, self.context, self.n_states_)
        windows = geometry["window_sites"]
        weights, layout = self.model_.get_layer("tiles").flat_weights()
        params = (weights, layout, _ACTIVATIONS.index(self.activation),
                  self._tile_sets(len(windows)), windows, geometry["site_tiles"],
                  geometry["site_counts"], self.n_states_, self.energy_scale_)
        return LocalKernel(_network_delta, params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags


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


class _RandomShift(keras.layers.Layer):
    """Training-time augmentation: translate each batch by a random offset smaller than a tile.

    A translation-invariant energy is the same for every placement of the tile grid; showing
    the network all placements of each labelled configuration keeps it from fitting label noise
    through one particular placement.
    """

    def __init__(self, focus, seed, **kwargs):
        super().__init__(**kwargs)
        self.focus = focus
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, X, training=None):
        if not training or self.focus == 1:
            return X
        shift = keras.random.randint((2,), 0, self.focus, seed=self.seed_generator)
        return ops.roll(ops.roll(X, shift[0], axis=1), shift[1], axis=2)


def _split(n, fraction, rng):
    """Train and validation indices (validation None when ``fraction`` gives no sample)."""
    n_valid = int(round(fraction * n))
    order = rng.permutation(n)
    if n_valid == 0 or n_valid >= n:
        return order, None
    return order[n_valid:], order[:n_valid]


# --------------------------------------------------------------------------- Keras layers


def _encode(X, n_states):
    """Ising: ``(n, Ly, Lx, 1)`` spins +-1; Potts: ``(n, Ly, Lx, q)`` one-hot labels."""
    if n_states == 2:
        return ops.expand_dims(ops.cast(X, "float32"), -1)
    return ops.one_hot(ops.cast(X, "int32"), n_states)


def _wrap(x, width, axis):
    """Periodic padding of ``width`` sites on both sides of ``axis`` (any lattice size)."""
    if width == 0:
        return x
    size = ops.shape(x)[axis]
    index = ops.mod(ops.arange(-width, size + width), size)
    return ops.take(x, index, axis=axis)


@_register
class _TileNetwork(keras.layers.Layer):
    """Tile outputs ``(n, Ty, Tx)`` of configurations ``(n, Ly, Lx)``.

    Windows are cut by a strided convolution with a fixed identity kernel over the periodically
    padded, encoded lattice, so that each window is a feature vector in row-major cell order with
    the channel last; the tile network then acts on those vectors. With ``tiles`` set, each tile
    position has its own weights.
    """

    def __init__(self, focus, context, hidden, activation, n_states, tiles=None, **kwargs):
        super().__init__(**kwargs)
        self.focus = int(focus)
        self.context = int(context)
        self.hidden = [int(h) for h in hidden]
        self.activation = activation
        self.n_states = int(n_states)
        self.tiles = None if tiles is None else [int(t) for t in tiles]
        self.window = self.focus + 2 * self.context
        self.channels = 1 if self.n_states == 2 else self.n_states
        self.n_features = self.window**2 * self.channels
        self.sizes = [self.n_features] + self.hidden + [1]

    def build(self, input_shape):
        prefix = () if self.tiles is None else tuple(self.tiles)
        self.kernels, self.biases = [], []
        last = len(self.sizes) - 2
        for k, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            # a zero output layer starts every fit from the mean energy
            initializer = "zeros" if k == last else "glorot_uniform"
            self.kernels.append(self.add_weight(shape=prefix + (n_in, n_out),
                                                initializer=initializer, name=f"kernel_{k}"))
            self.biases.append(self.add_weight(shape=prefix + (n_out,), initializer="zeros",
                                               name=f"bias_{k}"))

    def windows(self, X):
        """Feature vectors of every tile's window: ``(n, Ty, Tx, n_features)``."""
        x = _wrap(_wrap(_encode(X, self.n_states), self.context, 1), self.context, 2)
        identity = np.eye(self.n_features, dtype=np.float32).reshape(
            self.window, self.window, self.channels, self.n_features)
        return ops.conv(x, identity, strides=self.focus, padding="valid")

    def network(self, features):
        """Tile outputs of feature vectors ``(n, Ty, Tx, ..., n_features)`` -> ``(n, Ty, Tx, ...)``.

        Shared weights accept any leading shape; per-tile weights need axes 1 and 2 to be the
        tiles.
        """
        h = features
        last = len(self.kernels) - 1
        for k, (kernel, bias) in enumerate(zip(self.kernels, self.biases)):
            if self.tiles is None:
                h = ops.matmul(h, kernel) + bias
            else:
                h = _per_tile_dense(h, kernel, bias)
            if k < last:
                h = keras.activations.get(self.activation)(h)
        return h[..., 0]

    def call(self, X):
        return self.network(self.windows(X))

    def tabulate(self):
        """Output of every window state: ``(n_tables, n_states ** window_sites)`` float64.

        State codes are ``sum_k state_k * n_states ** k`` over the window's cells in row-major
        order (Ising state ``(s + 1) / 2``).
        """
        n_cells = self.window**2
        n_codes = self.n_states**n_cells
        rows = []
        for start in range(0, n_codes, 2**16):
            codes = np.arange(start, min(n_codes, start + 2**16))
            features = _window_features(codes, n_cells, self.n_states)
            if self.tiles is None:
                rows.append(np.asarray(self.network(features)))
            else:
                shaped = np.broadcast_to(features[:, None, None], (len(codes),)
                                         + tuple(self.tiles) + features.shape[1:])
                rows.append(np.asarray(self.network(shaped)).reshape(len(codes), -1).T)
        return np.concatenate(rows, axis=-1).reshape(-1, n_codes).astype(np.float64)

    def flat_weights(self):
        """All weights of each tile network in one float64 row per network, and the layer sizes.

        Returns
        -------
        weights : ndarray of shape (n_networks, n_parameters)
            Per layer: the kernel ``(n_in, n_out)`` row-major, then the bias.
        layout : ndarray of int64
            Layer widths, input first.
        """
        parts = []
        for kernel, bias in zip(self.kernels, self.biases):
            k = np.asarray(kernel, dtype=np.float64)
            b = np.asarray(bias, dtype=np.float64)
            n_in, n_out = k.shape[-2:]
            parts.append(k.reshape(-1, n_in * n_out))
            parts.append(b.reshape(-1, n_out))
        return (np.ascontiguousarray(np.concatenate(parts, axis=1)),
                np.asarray(self.sizes, dtype=np.int64))

    def get_config(self):
        config = super().get_config()
        config.update(focus=self.focus, context=self.context, hidden=self.hidden,
                      activation=self.activation, n_states=self.n_states, tiles=self.tiles)
        return config


def _per_tile_dense(h, kernel, bias):
    """``h (n, Ty, Tx, ..., n_in) @ kernel (Ty, Tx, n_in, n_out) + bias`` tile by tile."""
    shape = ops.shape(h)
    flat = ops.reshape(h, (shape[0], shape[1], shape[2], -1, shape[-1]))
    out = ops.einsum("nyxei,yxio->nyxeo", flat, kernel) + bias[:, :, None, :]
    return ops.reshape(out, tuple(shape[:-1]) + (kernel.shape[-1],))


def _window_features(codes, n_cells, n_states):
    """Feature vectors of window state codes (the layout of :meth:`_TileNetwork.windows`)."""
    states = (codes[:, None] // n_states ** np.arange(n_cells)) % n_states
    if n_states == 2:
        return (2 * states - 1).astype(np.float32)
    return np.eye(n_states, dtype=np.float32)[states].reshape(len(codes), -1)


def _build_model(architecture):
    """Configurations ``(n, Ly, Lx)`` of any size -> the sum of the tile outputs ``(n,)``."""
    inputs = keras.Input((None, None))
    tiles = _TileNetwork(architecture["focus"], architecture["context"],
                         architecture["hidden"], architecture["activation"],
                         architecture["n_states"], architecture["tiles"], name="tiles")(inputs)
    return keras.Model(inputs, ops.sum(tiles, axis=(1, 2)))


class _PseudoLikelihoodLoss(keras.layers.Layer):
    """Negative log pseudo-likelihood per site of each snapshot under the tile network.

    For every tile and every distinct site of its window, the window is re-evaluated with that
    site set to each other value; the changes of the tile outputs, summed per site, are the
    energy changes of single-site moves (in units of the network, times ``beta_scale``).
    """

    def __init__(self, core, shape, beta_scale, **kwargs):
        super().__init__(**kwargs)
        self.core = core
        self.beta_scale = float(beta_scale)
        geometry = _tile_geometry(shape, core.focus, core.context, core.n_states)
        masks, scatter = _site_moves(geometry["window_sites"], shape[0] * shape[1])
        tiles = (shape[0] // core.focus, shape[1] // core.focus)
        self.masks = masks.reshape(tiles + masks.shape[1:])  # (Ty, Tx, U, cells)
        self.scatter = scatter  # (Ty * Tx * U, n_sites)

    def call(self, X):
        core = self.core
        features = core.windows(X)  # (n, Ty, Tx, F)
        base = core.network(features)  # (n, Ty, Tx)
        mask = ops.convert_to_tensor(np.repeat(self.masks, core.channels, axis=-1))
        windows = ops.expand_dims(features, 3)  # (n, Ty, Tx, 1, F)
        if core.n_states == 2:
            moved = windows * (1.0 - 2.0 * mask)  # flip the cells of the site
            delta = core.network(moved) - ops.expand_dims(base, -1)  # (n, Ty, Tx, U)
            dE = self._per_site(delta) * self.beta_scale  # (n, n_sites)
            return ops.mean(ops.softplus(-dE), axis=-1)
        q = core.n_states
        labels = np.eye(q, dtype=np.float32)
        # cells of the site set to label k: (n, Ty, Tx, U, q, F)
        kept = ops.expand_dims(windows * (1.0 - mask), 4)
        target = np.einsum("yxuc,kq->yxukcq", self.masks,
                           labels).reshape(self.masks.shape[:3] + (q, -1)).astype(np.float32)
        delta = core.network(kept + target) - base[:, :, :, None, None]  # (n, Ty, Tx, U, q)
        dE = ops.stack([self._per_site(delta[..., k]) for k in range(q)], axis=-1)
        own = ops.one_hot(ops.cast(ops.reshape(X, (ops.shape(X)[0], -1)), "int32"), q)
        energies = -self.beta_scale * dE  # log weight of each label relative to the current one
        log_norm = ops.logsumexp(energies, axis=-1)
        return ops.mean(log_norm - ops.sum(own * energies, axis=-1), axis=-1)

    def _per_site(self, delta):
        flat = ops.reshape(delta, (ops.shape(delta)[0], -1))
        return ops.matmul(flat, ops.convert_to_tensor(self.scatter))


def _site_moves(window_sites, n_sites):
    """Masks of the window cells holding each distinct site, and their scatter matrix to sites.

    Returns ``masks`` (n_tiles, U, cells) and ``scatter`` (n_tiles * U, n_sites), U the largest
    number of distinct sites in a window (padding rows are all zero).
    """
    n_tiles, n_cells = window_sites.shape
    distinct = [np.unique(row) for row in window_sites]
    width = max(len(d) for d in distinct)
    masks = np.zeros((n_tiles, width, n_cells), dtype=np.float32)
    scatter = np.zeros((n_tiles * width, n_sites), dtype=np.float32)
    for t, sites in enumerate(distinct):
        for u, site in enumerate(sites):
            masks[t, u] = window_sites[t] == site
            scatter[t * width + u, site] = 1.0
    return masks, scatter


# ------------------------------------------------------------------------ tile geometry


def _tile_geometry(shape, focus, context, n_states):
    """Index tables of the tiles of an ``(Ly, Lx)`` lattice.

    Returns a dict: ``window_sites`` (T, cells): the flat site read by each cell of each tile's
    window; ``site_tiles`` (N, M): the tiles whose window holds each site; ``site_weights``
    (N, M): for each of them, the change of the tile's state code per unit change of the site's
    state (``sum n_states ** cell`` over the cells that hold the site); ``site_counts`` (N,).
    """
    Ly, Lx = shape
    window = focus + 2 * context
    ty, tx = np.meshgrid(np.arange(Ly // focus), np.arange(Lx // focus), indexing="ij")
    offsets = np.arange(window) - context
    rows = (ty.reshape(-1, 1) * focus + offsets) % Ly  # (T, window)
    cols = (tx.reshape(-1, 1) * focus + offsets) % Lx
    window_sites = (rows[:, :, None] * Lx + cols[:, None, :]).reshape(len(rows), -1)
    n_sites = Ly * Lx
    place = n_states ** np.arange(window**2, dtype=np.int64)
    holders = [dict() for _ in range(n_sites)]
    for t, sites in enumerate(window_sites):
        for cell, site in enumerate(sites):
            holders[site][t] = holders[site].get(t, 0) + place[cell]
    width = max(len(h) for h in holders)
    site_tiles = np.zeros((n_sites, width), dtype=np.int64)
    site_weights = np.zeros((n_sites, width), dtype=np.int64)
    site_counts = np.zeros(n_sites, dtype=np.int64)
    for site, held in enumerate(holders):
        site_counts[site] = len(held)
        site_tiles[site, :len(held)] = list(held)
        site_weights[site, :len(held)] = list(held.values())
    return {"window_sites": np.ascontiguousarray(window_sites, dtype=np.int64),
            "site_tiles": site_tiles, "site_weights": site_weights, "site_counts": site_counts}


# --------------------------------------------------------------------- compiled kernels


@numba.njit(cache=True, inline="always")
def _state(value, q):
    """State index of a site value: Ising ``(s + 1) / 2``, Potts the label itself."""
    return (value + 1) >> 1 if q == 2 else value


@numba.njit(cache=True)
def _tile_code(flat, window_sites, t, n_states, changed, new_state):
    """State code of tile ``t``, with site ``changed`` read as ``new_state`` (-1: none)."""
    code = 0
    place = 1
    for cell in range(window_sites.shape[1]):
        site = window_sites[t, cell]
        state = new_state if site == changed else _state(flat[site], n_states)
        code += state * place
        place *= n_states
    return code


def _packed_site_tiles(geometry, tile_set, n_codes):
    """Per site, for each tile whose window holds it: (tile, start of its table, code step).

    Returns an int64 array ``(n_sites, 3 * M)``, M the largest number of such tiles; sites held
    by fewer tiles are padded with ``(0, 0, 0)``, a record that changes nothing. One small array
    read in site order keeps the compiled update lean (a few loads per tile).
    """
    tiles = geometry["site_tiles"]
    held = np.arange(tiles.shape[1]) < geometry["site_counts"][:, None]
    records = np.stack([tiles, tile_set[tiles] * n_codes, geometry["site_weights"]], axis=-1)
    records *= held[..., None]
    return np.ascontiguousarray(records.reshape(len(tiles), -1), dtype=np.int64)


@numba.njit(cache=True, inline="always")
def _table_delta(config, i, j, new_value, params):
    """Energy change of setting site (i, j), from the tabulated tiles that hold it."""
    tables, records, window_sites, n_states = params
    Lx = config.shape[1]
    flat = config.reshape(config.size)
    site = i * Lx + j
    step = _state(new_value, n_states) - _state(config[i, j], n_states)
    delta = 0.0
    for m in range(records.shape[1] // 3):
        code = _tile_code(flat, window_sites, records[site, 3 * m], n_states, -1, 0)
        index = records[site, 3 * m + 1] + code
        delta += tables[index + step * records[site, 3 * m + 2]] - tables[index]
    return delta


@numba.njit(cache=True, inline="always")
def _table_update(config, aux, i, j, params, q, beta, table, r):
    """Metropolis move with tile codes kept per chain in ``aux``: a few lookups per proposal."""
    tables = params[0]
    records = params[1]
    Lx = config.shape[1]
    site = i * Lx + j
    old = config[i, j]
    if q == 0:
        new = numba.int8(-old)
        step = (new - old) >> 1
    else:
        pick = numba.int64(((r >> numba.uint64(32)) * numba.uint64(q - 1)) >> 32)
        new = numba.int8((old + 1 + pick) % q)
        step = new - old
    n_held = records.shape[1] // 3
    dE = 0.0
    for m in range(n_held):
        index = records[site, 3 * m + 1] + aux[records[site, 3 * m]]
        dE += tables[index + step * records[site, 3 * m + 2]] - tables[index]
    u = (r & numba.uint64(0xFFFFFFFF)) * _TWO_TO_MINUS_32
    if _accept(beta * dE, u):
        config[i, j] = new
        for m in range(n_held):
            aux[records[site, 3 * m]] += step * records[site, 3 * m + 2]
        return 1, dE
    return 0, 0.0


class _TileCodes:
    """``init_aux`` of the tabulated kernel: the state code of every tile of every chain."""

    def __init__(self, window_sites, n_states):
        self.window_sites = window_sites
        self.n_states = n_states

    def __call__(self, configs):
        return _all_tile_codes(np.ascontiguousarray(configs, dtype=np.int8), self.window_sites,
                               self.n_states)


@numba.njit(cache=True, parallel=True)
def _all_tile_codes(configs, window_sites, n_states):
    n = configs.shape[0]
    codes = np.zeros((n, window_sites.shape[0]), dtype=np.int64)
    for c in numba.prange(n):
        flat = configs[c].reshape(configs.shape[1] * configs.shape[2])
        for t in range(window_sites.shape[0]):
            codes[c, t] = _tile_code(flat, window_sites, t, n_states, -1, 0)
    return codes


@numba.njit(cache=True)
def _tile_output(weights, layout, activation, flat, window_sites, t, n_states, changed,
                 new_state):
    """The tile network on tile ``t`` (site ``changed`` read as ``new_state``), in numba."""
    width = 0
    for k in range(layout.shape[0]):
        width = max(width, layout[k])
    h = np.zeros(width)
    out = np.zeros(width)
    n_cells = window_sites.shape[1]
    n_hidden = layout[1]
    bias0 = layout[0] * n_hidden
    for u in range(n_hidden):  # first layer from the sparse one-hot or +-1 inputs
        h[u] = weights[bias0 + u]
    for cell in range(n_cells):
        site = window_sites[t, cell]
        state = new_state if site == changed else _state(flat[site], n_states)
        if n_states == 2:
            row, sign = cell, 2.0 * state - 1.0
        else:
            row, sign = cell * n_states + state, 1.0
        for u in range(n_hidden):
            h[u] += sign * weights[row * n_hidden + u]
    offset = bias0 + n_hidden
    for layer in range(1, layout.shape[0] - 1):
        n_in, n_out = layout[layer], layout[layer + 1]
        _activate(h, n_in, activation)
        for o in range(n_out):
            acc = weights[offset + n_in * n_out + o]
            for v in range(n_in):
                acc += h[v] * weights[offset + v * n_out + o]
            out[o] = acc
        for o in range(n_out):
            h[o] = out[o]
        offset += n_in * n_out + n_out
    return h[0]


@numba.njit(cache=True, inline="always")
def _activate(h, n, activation):
    for u in range(n):
        if activation == 0:
            h[u] = max(h[u], 0.0)
        elif activation == 1:
            h[u] = np.tanh(h[u])
        else:
            h[u] = max(h[u], 0.0) + np.log1p(np.exp(-abs(h[u])))


@numba.njit(cache=True, inline="always")
def _network_delta(config, i, j, new_value, params):
    """Energy change of setting site (i, j), evaluating the tiles that hold it in numba."""
    (weights, layout, activation, tile_set, window_sites, site_tiles, site_counts, n_states,
     scale) = params
    Lx = config.shape[1]
    flat = config.reshape(config.size)
    site = i * Lx + j
    new_state = _state(new_value, n_states)
    delta = 0.0
    for m in range(site_counts[site]):
        t = site_tiles[site, m]
        w = weights[tile_set[t]]
        delta += _tile_output(w, layout, activation, flat, window_sites, t, n_states, site,
                              new_state)
        delta -= _tile_output(w, layout, activation, flat, window_sites, t, n_states, -1, 0)
    return scale * delta
