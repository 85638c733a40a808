"""Keras layers of the EDNN: the tile network, the training-time tile-grid shift, the model.

Site values enter the network through :meth:`SiteVariables.encode
<skdcl.sites.SiteVariables.encode>`: a two-state site (Ising spins stored as +-1 or 0/1, two
Potts labels) is one feature ``2 * state - 1``, a site with more states is one-hot.
"""

import numpy as np

from .._keras import keras
from ..sites import SiteVariables

__all__ = ["TileNetwork", "RandomShift", "build_model", "per_tile_dense", "window_features"]

ops = keras.ops
_register = keras.saving.register_keras_serializable(package="skdcl")


def _wrap(x, width, axis):
    """Periodic padding of ``width`` sites on both sides of ``axis`` (any lattice size)."""
    if width == 0:
        return x
    size = ops.shape(x)[axis]
    index = ops.mod(ops.arange(-width, size + width), size)
    return ops.take(x, index, axis=axis)


def _sites_from_config(sites):
    if isinstance(sites, SiteVariables):
        return sites
    return SiteVariables(sites["kind"], sites["n_states"], values=sites["values"])


@_register
class TileNetwork(keras.layers.Layer):
    """Tile outputs ``(n, Ty, Tx)`` of configurations ``(n, Ly, Lx)``.

    Windows are cut by a strided convolution with a fixed identity kernel over the periodically
    padded, encoded lattice, so that each window is a feature vector in row-major cell order with
    the channel last; the tile network then acts on those vectors.

    Parameters
    ----------
    focus, context : int
        Tile side, and rings of neighbouring sites each window adds around its tile.
    hidden : list of int
        Widths of the hidden layers.
    activation : str
        Activation of the hidden layers (a Keras name).
    sites : SiteVariables or dict
        The site variables (a dict ``{"kind", "n_states", "values"}`` in saved configs).
    tiles : list of int, optional
        ``[Ty, Tx]``: one set of weights per tile position. None: one network for all tiles.
    """

    def __init__(self, focus, context, hidden, activation, sites, tiles=None, **kwargs):
        super().__init__(**kwargs)
        self.focus = int(focus)
        self.context = int(context)
        self.hidden = [int(h) for h in hidden]
        self.activation = activation
        self.sites = _sites_from_config(sites)
        self.n_states = self.sites.n_states
        self.tiles = None if tiles is None else [int(t) for t in tiles]
        self.window = self.focus + 2 * self.context
        self.channels = self.sites.n_channels
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
        x = _wrap(_wrap(self.sites.encode(X), self.context, 1), self.context, 2)
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
                h = per_tile_dense(h, kernel, bias)
            if k < last:
                h = keras.activations.get(self.activation)(h)
        return h[..., 0]

    def call(self, X):
        return self.network(self.windows(X))

    def tabulate(self):
        """Output of every window state: ``(n_tables, n_states ** window_sites)`` float64.

        State codes are ``sum_k state_k * n_states ** k`` over the window's cells in row-major
        order, with state indices of :class:`~skdcl.sites.SiteVariables` (whatever the stored
        values).
        """
        n_cells = self.window**2
        n_codes = self.n_states**n_cells
        rows = []
        for start in range(0, n_codes, 2**16):
            codes = np.arange(start, min(n_codes, start + 2**16))
            features = window_features(codes, n_cells, self.n_states)
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
        sites = {"kind": self.sites.kind, "n_states": self.sites.n_states,
                 "values": self.sites.encoding}
        config.update(focus=self.focus, context=self.context, hidden=self.hidden,
                      activation=self.activation, sites=sites, tiles=self.tiles)
        return config


@_register
class RandomShift(keras.layers.Layer):
    """Training-time augmentation: translate each batch by a random offset smaller than a tile.

    A translation-invariant energy is the same for every placement of the tile grid; showing
    the network all placements of each labelled configuration keeps it from fitting label noise
    through one particular placement.

    Parameters
    ----------
    focus : int
        Tile side; offsets are drawn from ``0 .. focus - 1`` per axis (1: the identity).
    seed : int
        Seed of the offsets.
    """

    def __init__(self, focus, seed, **kwargs):
        super().__init__(**kwargs)
        self.focus = int(focus)
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, X, training=None):
        if not training or self.focus == 1:
            return X
        shift = keras.random.randint((2,), 0, self.focus, seed=self.seed_generator)
        return ops.roll(ops.roll(X, shift[0], axis=1), shift[1], axis=2)

    def get_config(self):
        config = super().get_config()
        config.update(focus=self.focus, seed=self.seed)
        return config


def per_tile_dense(h, kernel, bias):
    """``h (n, Ty, Tx, ..., n_in) @ kernel (Ty, Tx, n_in, n_out) + bias`` tile by tile.

    Parameters
    ----------
    h : tensor of shape (n, Ty, Tx, ..., n_in)
    kernel : tensor of shape (Ty, Tx, n_in, n_out)
    bias : tensor of shape (Ty, Tx, n_out)

    Returns
    -------
    out : tensor of shape (n, Ty, Tx, ..., n_out)
    """
    shape = ops.shape(h)
    flat = ops.reshape(h, (shape[0], shape[1], shape[2], -1, shape[-1]))
    out = ops.einsum("nyxei,yxio->nyxeo", flat, kernel) + bias[:, :, None, :]
    return ops.reshape(out, tuple(shape[:-1]) + (kernel.shape[-1],))


def window_features(codes, n_cells, n_states):
    """Network inputs of window state codes (the layout of :meth:`TileNetwork.windows`).

    Parameters
    ----------
    codes : ndarray of int, shape (n,)
        ``sum_cell state_cell * n_states ** cell``.
    n_cells : int
        Cells per window.
    n_states : int

    Returns
    -------
    features : ndarray of float32, shape (n, n_cells * channels)
        Two states: ``2 * state - 1`` per cell (as :meth:`SiteVariables.encode
        <skdcl.sites.SiteVariables.encode>`); more: one-hot states.
    """
    states = (codes[:, None] // n_states ** np.arange(n_cells)) % n_states
    if n_states == 2:
        return (2 * states - 1).astype(np.float32)
    return np.eye(n_states, dtype=np.float32)[states].reshape(len(codes), -1)


def build_model(architecture):
    """Configurations ``(n, Ly, Lx)`` of any size -> the sum of the tile outputs ``(n,)``.

    Parameters
    ----------
    architecture : dict
        ``focus``, ``context``, ``hidden``, ``activation``, ``sites`` and ``tiles``, the
        arguments of :class:`TileNetwork`.

    Returns
    -------
    model : keras.Model
        Its tile network is the layer named ``"tiles"``.
    """
    inputs = keras.Input((None, None))
    tiles = TileNetwork(architecture["focus"], architecture["context"],
                        architecture["hidden"], architecture["activation"],
                        architecture["sites"], architecture["tiles"], name="tiles")(inputs)
    return keras.Model(inputs, ops.sum(tiles, axis=(1, 2)))
