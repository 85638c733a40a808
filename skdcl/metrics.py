"""Accuracy measures of the shared protocol."""

import numpy as np
from scipy.special import logsumexp

from .lattice import check_snapshots, check_temperature
from .montecarlo import local_energy_changes

__all__ = ["energy_rmse", "energy_offset", "pseudo_log_likelihood", "log_pseudo_likelihood"]


def energy_rmse(energies_true, energies_pred):
    """RMSE of energies after removing each side's mean (energies are defined up to a constant).

    Parameters
    ----------
    energies_true, energies_pred : array-like of shape (n_samples,)

    Returns
    -------
    rmse : float

    Examples
    --------
    >>> energy_rmse([0.0, 1.0, 2.0], [10.0, 11.0, 12.0])
    0.0
    """
    a = np.asarray(energies_true, dtype=float)
    b = np.asarray(energies_pred, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"energies_true and energies_pred must be 1-d of equal length, got {a.shape} and "
            f"{b.shape}.")
    return float(np.sqrt(np.mean(((a - a.mean()) - (b - b.mean())) ** 2)))


def energy_offset(reference, model, X):
    """Energy per site that aligns a learned energy with a reference one over snapshots.

    Learned energies are defined up to a constant (skdcl's are relative to their mean over the
    observed snapshots). Adding this constant to a learned energy per spin, for instance to the
    ``energy`` column of a thermodynamics table, makes its mean over ``X`` agree with the
    reference, so that curves can be compared with exact ones. Being per site, it carries over
    to other lattice sizes.

    Parameters
    ----------
    reference : energy model
        Exact model with ``energy(X)``.
    model : energy model
        Learned model with ``energy(X)``.
    X : array-like of shape (n_samples, Ly, Lx)
        Snapshots, typically the observed ones.

    Returns
    -------
    offset : float
        ``(mean reference energy - mean learned energy) / n_sites``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdcl import IsingModel
    >>> class Shifted:
    ...     def energy(self, X):
    ...         return IsingModel().energy(X) + 8.0
    >>> energy_offset(IsingModel(), Shifted(), np.ones((2, 4, 4)))
    -0.5
    """
    X = np.asarray(X)
    difference = np.mean(reference.energy(X)) - np.mean(model.energy(X))
    return float(difference / (X.shape[1] * X.shape[2]))


def pseudo_log_likelihood(model, X, temperature):
    """Mean log pseudo-likelihood per site of configurations under an energy model.

    ``log P(s_i | rest)`` needs only the energy changes of single-site moves, which the model's
    local kernel gives cheaply: for Ising spins ``-log(1 + exp(-dE_i / T))``, for Potts labels
    ``-log sum_k exp(-dE_ik / T)``. It needs no energy labels, so it scores a learned energy
    against held-out snapshots (higher is better).

    Parameters
    ----------
    model : energy model with ``local_kernel``
    X : array-like of shape (n_samples, Ly, Lx)
    temperature : float

    Returns
    -------
    score : float
        Mean over snapshots and sites.

    Examples
    --------
    >>> import numpy as np
    >>> from skdcl import IsingModel
    >>> X = np.ones((1, 4, 4), dtype=np.int8)
    >>> round(pseudo_log_likelihood(IsingModel(), X, 1.0), 6)  # -log(1 + e^-8)
    -0.000335
    """
    temperature = check_temperature(temperature, "temperature")
    X = check_snapshots(X, model.sites)
    changes = local_energy_changes(model.local_kernel(X.shape[1:]), X, model.sites)
    return log_pseudo_likelihood(changes / temperature)


def log_pseudo_likelihood(changes):
    """Mean ``log P(s_i | rest)`` from reduced energy changes of single-site moves.

    Parameters
    ----------
    changes : ndarray of shape (n, Ly, Lx, m)
        ``beta * dE`` of every move, as returned by
        :func:`skdcl.montecarlo.local_energy_changes` divided by the temperature: two-state
        sites ``m = 1`` (the move to the other state), more states ``m = n_states`` (zero for
        a site's own state).

    Returns
    -------
    score : float
        Mean over configurations and sites.

    Examples
    --------
    >>> import numpy as np
    >>> round(log_pseudo_likelihood(np.zeros((1, 2, 2, 1))), 6)  # a free spin: log 1/2
    -0.693147
    """
    if changes.shape[-1] == 1:
        return float(-np.mean(np.logaddexp(0.0, -changes[..., 0])))
    return float(-np.mean(logsumexp(-changes, axis=-1)))
