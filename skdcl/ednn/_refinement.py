"""Pseudo-likelihood refinement of a fitted EDNN on snapshots: exact scale fit and fine-tuning.

``log P(s_i | rest) = -log sum_k exp(-(E(s_i = k) - E(s)) / T)`` needs only the energy changes
of single-site moves, which the tiles give cheaply; it needs no energy labels.
"""

import numpy as np
from scipy.optimize import minimize_scalar

from .._keras import keras, mean_output_loss, train, validation_split
from ..metrics import log_pseudo_likelihood
from ..montecarlo import local_energy_changes
from ._geometry import site_moves, tile_geometry

__all__ = ["PseudoLikelihoodLoss", "best_scale_factor", "fine_tune"]

ops = keras.ops


@keras.saving.register_keras_serializable(package="skdcl")
class PseudoLikelihoodLoss(keras.layers.Layer):
    """Negative log pseudo-likelihood per site of each snapshot under a tile network.

    For every tile and every distinct site of its window, the window is re-evaluated with that
    site set to each other value; the changes of the tile outputs, summed per site, are the
    energy changes of single-site moves (in units of the network, times ``beta_scale``). A
    training-time layer: it is not saved with the model.

    Parameters
    ----------
    core : TileNetwork
        The tile network being refined.
    shape : tuple of int
        ``(Ly, Lx)`` of the snapshots.
    beta_scale : float
        ``energy_scale / T``: the reduced energy of one unit of network output.
    """

    def __init__(self, core, shape, beta_scale, **kwargs):
        super().__init__(**kwargs)
        self.core = core
        self.beta_scale = float(beta_scale)
        geometry = tile_geometry(shape, core.focus, core.context, core.n_states)
        masks, scatter = site_moves(geometry["window_sites"], shape[0] * shape[1])
        tiles = (shape[0] // core.focus, shape[1] // core.focus)
        self.masks = masks.reshape(tiles + masks.shape[1:])  # (Ty, Tx, U, cells)
        self.scatter = scatter  # (Ty * Tx * U, n_sites)

    def call(self, X):
        core = self.core
        features = core.windows(X)  # (n, Ty, Tx, F)
        base = core.network(features)  # (n, Ty, Tx)
        mask = ops.convert_to_tensor(np.repeat(self.masks, core.channels, axis=-1))
        windows = ops.expand_dims(features, 3)  # (n, Ty, Tx, 1, F)
        if core.sites.two_state:
            moved = windows * (1.0 - 2.0 * mask)  # the +-1 features of the site change sign
            delta = core.network(moved) - ops.expand_dims(base, -1)  # (n, Ty, Tx, U)
            dE = self._per_site(delta) * self.beta_scale  # (n, n_sites)
            return ops.mean(ops.softplus(-dE), axis=-1)
        q = core.n_states
        labels = np.eye(q, dtype=np.float32)
        # cells of the site set to state k: (n, Ty, Tx, U, q, F)
        kept = ops.expand_dims(windows * (1.0 - mask), 4)
        target = np.einsum("yxuc,kq->yxukcq", self.masks,
                           labels).reshape(self.masks.shape[:3] + (q, -1)).astype(np.float32)
        delta = core.network(kept + target) - base[:, :, :, None, None]  # (n, Ty, Tx, U, q)
        dE = ops.stack([self._per_site(delta[..., k]) for k in range(q)], axis=-1)
        own = ops.reshape(core.sites.encode(X), (ops.shape(X)[0], -1, q))  # one-hot states
        energies = -self.beta_scale * dE  # log weight of each state relative to the current one
        log_norm = ops.logsumexp(energies, axis=-1)
        return ops.mean(log_norm - ops.sum(own * energies, axis=-1), axis=-1)

    def _per_site(self, delta):
        flat = ops.reshape(delta, (ops.shape(delta)[0], -1))
        return ops.matmul(flat, ops.convert_to_tensor(self.scatter))


def best_scale_factor(kernel, X, T_obs, sites):
    """The factor on every energy that maximises the pseudo-likelihood of snapshots.

    The log pseudo-likelihood is concave in the factor, so a bounded scalar search finds it.

    Parameters
    ----------
    kernel : LocalKernel
        The model's kernel on the snapshots' lattice.
    X : ndarray of int8, shape (n, Ly, Lx)
        Snapshots at ``T_obs``.
    T_obs : float
    sites : SiteVariables

    Returns
    -------
    factor : float
        In ``[0.1, 10]``.
    """
    changes = local_energy_changes(kernel, X, sites) / T_obs
    result = minimize_scalar(lambda factor: -log_pseudo_likelihood(factor * changes),
                             bounds=(0.1, 10.0), method="bounded", options={"xatol": 1e-7})
    return float(result.x)


def fine_tune(core, X, T_obs, energy_scale, shift, *, output_only, epochs, batch_size,
              learning_rate, validation_fraction, rng, verbose=0, name="EDNNEnergyModel",
              callbacks=None):
    """Adam on the negative log pseudo-likelihood of snapshots, updating a tile network in place.

    Parameters
    ----------
    core : TileNetwork
    X : ndarray of int8, shape (n, Ly, Lx)
        Snapshots at ``T_obs``.
    T_obs : float
    energy_scale : float
        Energy of one unit of network output.
    shift : keras.layers.Layer
        Training-time augmentation applied to the snapshots (:class:`RandomShift`).
    output_only : bool
        Train the output layer only (the other weights are frozen meanwhile).
    epochs, batch_size : int
    learning_rate : float
        Initial learning rate, decayed along a cosine.
    validation_fraction : float
        Snapshots held out for early stopping (the best epoch is kept).
    rng : RandomState
        Draws the split (Keras is seeded by the caller).
    verbose : int, default=0
    name : str, default="EDNNEnergyModel"
        Prefix of the progress lines.
    callbacks : list of keras.callbacks.Callback, default=None
        Further callbacks of the Keras ``fit``.

    Returns
    -------
    history : dict of list of float
    """
    frozen = core.kernels[:-1] + core.biases if output_only else []
    for weight in frozen:
        weight.trainable = False
    try:
        inputs = keras.Input(X.shape[1:])
        loss = PseudoLikelihoodLoss(core, X.shape[1:], energy_scale / T_obs)(shift(inputs))
        trainer = keras.Model(inputs, loss)
        train_idx, valid_idx = validation_split(len(X), validation_fraction, rng)
        zeros = np.zeros(len(X), dtype=np.float32)
        valid = None if valid_idx is None else (X[valid_idx].astype(np.float32),
                                                 zeros[valid_idx])
        return train(trainer, mean_output_loss, X[train_idx].astype(np.float32),
                     zeros[train_idx], valid=valid, epochs=epochs, batch_size=batch_size,
                     learning_rate=learning_rate, patience=max(2, epochs // 4),
                     verbose=verbose, name=f"{name} refinement", callbacks=callbacks)
    finally:
        for weight in frozen:
            weight.trainable = True
