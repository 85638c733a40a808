"""Keras layers of the sequence model: the two cores, augmentation and the observed log-prob.

A core maps sequences of site values ``(n, N)`` (in the model's ordering) to the logits of every
conditional ``P(s_t | s_<t)``: one logit per position for two-state sites (``P(state 1)`` through
a sigmoid), ``n_states`` for more (a softmax). It also steps through the sequence one position
at a time for sampling (``initial_state`` and ``step``). Site values are read through the
model's :class:`~skdcl.sites.SiteVariables`: two states as one feature ``2 * state - 1``
whichever way they are stored, more one-hot.
"""

import numpy as np

from .._keras import keras
from ..lattice import ordering_permutation
from ..sites import SiteVariables
from ._geometry import dependency_tables, window_tables

__all__ = ["MaskedConvCore", "GRUCore", "RandomImage", "ObservedLogProb", "build_model",
           "draw_values"]

ops = keras.ops
_register = keras.saving.register_keras_serializable(package="skdcl")


def _sites_config(sites):
    """A SiteVariables as a JSON-friendly dict for layer configs."""
    return {"kind": sites.kind, "n_states": sites.n_states, "values": sites.encoding}


def _as_sites(value):
    """A SiteVariables from itself or from its config dict."""
    return value if isinstance(value, SiteVariables) else SiteVariables(**value)


def _states(values, sites):
    """State indices (int32 tensor) of a tensor of stored site values."""
    return (ops.cast(values, "int32") - sites.offset) // (1 << sites.shift)


@_register
class MaskedConvCore(keras.layers.Layer):
    """Conditionals from masked periodic windows through a shared residual network.

    Parameters
    ----------
    lattice_shape : tuple of int
        ``(Ly, Lx)``.
    ordering : str
        Sequence ordering (:func:`skdcl.lattice.ordering_permutation`).
    radius : int
        Half side of the window each conditional reads.
    units, layers : int
        Width and number of the hidden layers (the first reads the window, the others are
        residual).
    sites : SiteVariables or dict
        The site variables (or their config).
    odd : bool
        No biases: the logits of two-state sites flip sign with every input (exact global
        flip symmetry).
    shared : bool, default=True
        One network for every position; False adds first-layer weights of each position.
    """

    def __init__(self, lattice_shape, ordering, radius, units, layers, sites, odd,
                 shared=True, **kwargs):
        super().__init__(**kwargs)
        self.shared = bool(shared)
        self.lattice_shape = tuple(lattice_shape)
        self.ordering = ordering
        self.radius = radius
        self.units = units
        self.n_layers = layers
        self.sites = _as_sites(sites)
        self.n_states = self.sites.n_states
        self.odd = bool(odd)
        self.window_index, self.window_mask = window_tables(
            self.lattice_shape, ordering_permutation(self.lattice_shape, ordering), radius)
        # Without biases a tanh network is odd: its logits flip sign with the spins.
        self.hidden = [keras.layers.Dense(units, activation="tanh", use_bias=not self.odd,
                                          name=f"hidden_{k}") for k in range(layers)]
        self.head = keras.layers.Dense(1 if self.sites.two_state else self.n_states,
                                       use_bias=not self.odd, name="head")

    def build(self, input_shape):
        width = self.window_index.shape[1] * self.sites.n_channels
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

    def _logits(self, features, t=None):
        h = self._first_layer(features, t)
        for layer in self.hidden[1:]:
            h = h + layer(h)
        logits = self.head(h)
        return logits[..., 0] if self.sites.two_state else logits

    def _features(self, sequences, index, mask):
        window = ops.take(self.sites.encode(sequences), index, axis=1)
        window = window * ops.convert_to_tensor(mask[..., None], dtype=window.dtype)
        shape = ops.shape(window)
        return ops.reshape(window, (-1,) + tuple(index.shape)[:-1]
                           + (index.shape[-1] * shape[-1],))

    def call(self, sequences):
        return self._logits(self._features(sequences, self.window_index,
                                           self.window_mask.astype(np.float32)))

    def initial_state(self, n):
        """State carried between sampling steps (none: the windows read the sequence)."""
        return None

    def step(self, sequences, t, state):
        """Logits of position ``t`` from the values drawn before it, and the next state."""
        features = self._features(sequences, self.window_index[t],
                                  self.window_mask[t].astype(np.float32))
        return ops.convert_to_numpy(self._logits(features, t)), state

    def dependency_tables(self, site_permutations):
        """Which conditionals read each site, in every image of a group (for the local kernel).

        Parameters
        ----------
        site_permutations : ndarray of int, shape (G, Ly * Lx)
            The group's site permutations.

        Returns
        -------
        sites, deps, n_deps : ndarray
            See :func:`dependency_tables` of ``skdcl.rnn._geometry``.
        """
        perm = ordering_permutation(self.lattice_shape, self.ordering)
        sequence_sites = np.ascontiguousarray(site_permutations[:, perm])
        return dependency_tables(self.window_index, self.window_mask, sequence_sites)

    def numpy_weights(self):
        """Weights as float64 arrays for the compiled kernel (zero biases when bias-free).

        Returns
        -------
        weights : tuple of ndarray
            ``(w0, b0, hidden_w, hidden_b, head_w, head_b)``; ``w0`` and ``b0`` have a leading
            axis over positions (of one when shared).
        """
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
                      sites=_sites_config(self.sites), odd=self.odd, shared=self.shared)
        return config


@_register
class GRUCore(keras.layers.Layer):
    """Conditionals from stacked GRU layers reading the sequence shifted by one site.

    Parameters
    ----------
    units, layers : int
        Width and number of the GRU layers.
    sites : SiteVariables or dict
        The site variables (or their config).
    dropout : float, default=0.0
        Dropout on the inputs of each GRU layer.
    """

    def __init__(self, units, layers, sites, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.n_layers = layers
        self.sites = _as_sites(sites)
        self.n_states = self.sites.n_states
        self.dropout = dropout
        self.grus = [keras.layers.GRU(units, return_sequences=True, dropout=dropout,
                                      name=f"gru_{k}") for k in range(layers)]
        self.head = keras.layers.Dense(1 if self.sites.two_state else self.n_states,
                                       name="head")

    def build(self, input_shape):
        self.grus[0].build((None, input_shape[1], self.sites.n_channels))
        for layer in self.grus[1:]:
            layer.build((None, input_shape[1], self.units))
        self.head.build((None, self.units))

    def call(self, sequences, training=None):
        x = self.sites.encode(sequences)
        x = ops.pad(x[:, :-1], [[0, 0], [1, 0], [0, 0]])
        for layer in self.grus:
            x = layer(x, training=training)
        logits = self.head(x)
        return logits[..., 0] if self.sites.two_state else logits

    def initial_state(self, n):
        """Hidden states of the GRU layers before the first position (zeros)."""
        return [np.zeros((n, self.units), dtype=np.float32) for _ in self.grus]

    def step(self, sequences, t, state):
        """Logits of position ``t`` from the value drawn at ``t - 1``, and the next state."""
        x = (self.sites.encode(sequences[:, t - 1:t])[:, 0] if t > 0
             else np.zeros((len(sequences), self.sites.n_channels), dtype=np.float32))
        new_state = []
        for layer, h in zip(self.grus, state):
            x, _ = layer.cell(x, h)
            new_state.append(x)
        logits = ops.convert_to_numpy(self.head(x))
        return (logits[:, 0] if self.sites.two_state else logits), new_state

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, layers=self.n_layers, sites=_sites_config(self.sites),
                      dropout=self.dropout)
        return config


@_register
class RandomImage(keras.layers.Layer):
    """Training-time augmentation: a random image of each snapshot under a group.

    Parameters
    ----------
    site_permutations : ndarray of int, shape (n_geometric, N)
        The group's site permutations (:class:`skdcl.symmetry.SymmetryGroup`).
    value_tables : ndarray of int, shape (n_internal, n_states)
        The group's maps of state indices.
    sites : SiteVariables or dict
        The site variables (or their config).
    seed : int or None
        Seed of the draws.
    """

    def __init__(self, site_permutations, value_tables, sites, seed, **kwargs):
        super().__init__(**kwargs)
        self.sites = _as_sites(sites)
        self.site_permutations = np.asarray(site_permutations).astype(np.int32)
        self.state_tables = np.asarray(value_tables, dtype=np.int64)
        # the image of each state, as a stored value
        self.value_tables = self.sites.from_states(self.state_tables).astype(np.float32)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, X, training=None):
        if not training:
            return X
        n = ops.shape(X)[0]
        g = keras.random.randint((n,), 0, len(self.site_permutations),
                                 seed=self.seed_generator)
        v = keras.random.randint((n,), 0, len(self.value_tables), seed=self.seed_generator)
        X = ops.take_along_axis(X, ops.take(self.site_permutations, g, axis=0), axis=1)
        return ops.take_along_axis(ops.take(self.value_tables, v, axis=0),
                                   _states(X, self.sites), axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(site_permutations=self.site_permutations.tolist(),
                      value_tables=self.state_tables.tolist(), sites=_sites_config(self.sites),
                      seed=self.seed)
        return config


@_register
class ObservedLogProb(keras.layers.Layer):
    """``log P(s_t | s_<t)`` of the observed values from the logits (summed if ``total``).

    Called on ``[sequences, logits]``. Two states: ``log_sigmoid((2 * state - 1) * logit)``;
    more: the log-softmax of the observed state.

    Parameters
    ----------
    sites : SiteVariables or dict
        The site variables (or their config).
    total : bool
        Sum over the sequence (``log P`` of each configuration) rather than per position.
    """

    def __init__(self, sites, total, **kwargs):
        super().__init__(**kwargs)
        self.sites = _as_sites(sites)
        self.total = total

    def call(self, inputs):
        sequences, logits = inputs
        states = _states(sequences, self.sites)
        if self.sites.two_state:
            log_prob = ops.log_sigmoid(ops.cast(2 * states - 1, logits.dtype) * logits)
        else:
            log_prob = ops.take_along_axis(ops.log_softmax(logits, axis=-1),
                                           ops.expand_dims(states, -1), axis=-1)[..., 0]
        return ops.sum(log_prob, axis=1) if self.total else log_prob

    def get_config(self):
        config = super().get_config()
        config.update(sites=_sites_config(self.sites), total=self.total)
        return config


def build_model(architecture):
    """The network: sequences of site values ``(n, N)`` to the logits of every conditional.

    Parameters
    ----------
    architecture : dict
        ``cell`` ("masked_conv" or "gru"), ``lattice_shape``, ``ordering``, ``units``,
        ``layers``, ``radius``, ``dropout``, ``sites`` (a SiteVariables), ``odd``, ``shared``.

    Returns
    -------
    model : keras.Model
        Its last layer is the core (:class:`MaskedConvCore` or :class:`GRUCore`).
    """
    shape = architecture["lattice_shape"]
    n_sites = shape[0] * shape[1]
    if architecture["cell"] == "gru":
        core = GRUCore(architecture["units"], architecture["layers"], architecture["sites"],
                       architecture["dropout"], name="core")
    else:
        core = MaskedConvCore(shape, architecture["ordering"], architecture["radius"],
                              architecture["units"], architecture["layers"],
                              architecture["sites"], architecture["odd"],
                              architecture["shared"], name="core")
    inputs = keras.Input((n_sites,))
    return keras.Model(inputs, core(inputs))


def draw_values(logits, sites, rng):
    """One site value per row from (tempered) logits.

    Parameters
    ----------
    logits : ndarray of float64, shape (n,) for two states or (n, n_states)
    sites : SiteVariables
    rng : RandomState

    Returns
    -------
    values : ndarray of float64, shape (n,)
        Stored values of the drawn states.

    Examples
    --------
    >>> rng = np.random.RandomState(0)
    >>> draw_values(np.array([50.0, -50.0]), SiteVariables("ising", 2, "labels"), rng).tolist()
    [1.0, 0.0]
    """
    if sites.two_state:
        p_up = 0.5 * (1.0 + np.tanh(0.5 * logits))
        states = (rng.random_sample(len(logits)) < p_up).astype(np.int64)
    else:
        logits = logits - logits.max(axis=1, keepdims=True)
        cumulative = np.cumsum(np.exp(logits), axis=1)
        u = rng.random_sample(len(logits)) * cumulative[:, -1]
        states = (u[:, None] >= cumulative[:, :-1]).sum(axis=1)
    return sites.from_states(states).astype(np.float64)
