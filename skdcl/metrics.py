"""Accuracy measures of the shared protocol."""

import numpy as np

__all__ = ["energy_rmse"]


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
