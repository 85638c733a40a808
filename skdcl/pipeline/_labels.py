"""The sequence stage of DCLPipeline: fit the sequence model, then build and label a set.

Snapshots typical at ``T_obs`` cover only the energies typical at ``T_obs``, and uniformly random
configurations all sit near zero energy. The label set mixes three sources: observed snapshots,
samples of the sequence model with tempered conditionals at several temperatures, and uniformly
random configurations.
"""

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["label_set", "fit_sequence_stage"]


def label_set(rnn, X, n_labels, mix, temperatures, random_state=None, log=None):
    """Configurations covering every energy a simulation will visit, labelled by a model.

    Parameters
    ----------
    rnn : RNNEnergyModel
        Fitted sequence model: it draws the tempered samples and gives the labels
        ``-T_obs log P``.
    X : ndarray of int8, shape (n_samples, Ly, Lx)
        Observed snapshots.
    n_labels : int
        Size of the set (the observed part is at most ``len(X)``).
    mix : ndarray of shape (3,)
        Fractions of observed, tempered and random configurations (summing to one).
    temperatures : sequence of float
        Temperatures of the tempered samples, in units of J.
    random_state : int, RandomState instance or None, default=None
    log : callable, optional
        Receives one progress line per sampling temperature.

    Returns
    -------
    labels : dict
        ``{"X": configurations, "energy": their labels, "source": origin of each}``.
    """
    rng = check_random_state(random_state)
    counts = np.floor(np.asarray(mix) * n_labels).astype(int)
    counts[0] = min(counts[0], len(X))
    parts, sources = [X[rng.permutation(len(X))[:counts[0]]]], ["observed"] * counts[0]
    per_T = np.array_split(np.arange(counts[1]), max(len(temperatures), 1))
    for T, chunk in zip(temperatures, per_T):
        if len(chunk):
            if log is not None:
                log(f"sampling {len(chunk)} configurations at T = {T:.3g}")
            parts.append(rnn.sample(len(chunk), temperature=T, random_state=rng))
            sources += [f"T={T:.3g}"] * len(chunk)
    parts.append(rnn.sites.random(counts[2], X.shape[1:], rng))
    sources += ["random"] * counts[2]
    configs = np.concatenate(parts)
    return {"X": configs, "energy": rnn.predict(configs), "source": np.array(sources)}


def fit_sequence_stage(rnn, X, T_obs, n_labels, mix, temperatures, seed, log=None):
    """Fit a sequence model on snapshots and label a set with it.

    The unit a ``DCLPipeline(memory=...)`` caches: its arguments decide its result (``log``
    aside), so pipelines that differ only in EDNN parameters share it.

    Parameters
    ----------
    rnn : RNNEnergyModel
        Unfitted sequence model (fitted in place).
    X : ndarray of int8, shape (n_samples, Ly, Lx)
    T_obs : float
    n_labels, mix, temperatures
        As in :func:`label_set` (``temperatures`` in units of J).
    seed : int or None
        Seed of the label set (None: NumPy's global generator).
    log : callable, optional

    Returns
    -------
    rnn : RNNEnergyModel
        The fitted sequence model.
    labels : dict
        The label set (:func:`label_set`).
    """
    if log is not None:
        log(f"training the sequence model on {len(X)} snapshots")
    rnn.fit(X, T_obs)
    labels = label_set(rnn, X, n_labels, mix, temperatures, check_random_state(seed), log)
    return rnn, labels
