"""Observables of Monte Carlo runs and their error bars."""

import numba
import numpy as np

__all__ = ["order_parameter", "jackknife", "bin_means", "thermodynamic_observables",
           "MIN_BINS"]

#: Fewest bins the error bars are computed from: chains are cut into blocks when there are fewer.
MIN_BINS = 32


@numba.njit(cache=True)
def order_parameter(config, sites):
    """Order parameter of one configuration (compiled).

    Two states (Ising spins in either encoding): the magnetisation ``(n_1 - n_0) / N``. More
    (Potts): ``(q * max_k n_k / N - 1) / (q - 1)``.

    Parameters
    ----------
    config : ndarray of int8, shape (Ly, Lx)
    sites : tuple (n_states, offset, shift)
        The site variables' encoding (:attr:`skdcl.sites.SiteVariables.kernel_values`).

    Returns
    -------
    m : float
    """
    n_states, offset, shift = sites
    Ly, Lx = config.shape
    counts = np.zeros(n_states, dtype=np.int64)
    for i in range(Ly):
        for j in range(Lx):
            counts[(config[i, j] - offset) >> shift] += 1
    n = Ly * Lx
    if n_states == 2:
        return (counts[1] - counts[0]) / n
    return (n_states * counts.max() / n - 1.0) / (n_states - 1.0)


def jackknife(bins, estimator):
    """Jackknife estimate and standard error of a function of means.

    Parameters
    ----------
    bins : ndarray of shape (n_bins, n_quantities)
        Mean of each quantity within each bin (bins must be of equal size and roughly
        independent: whole chains, or blocks much longer than the autocorrelation time).
    estimator : callable
        Maps a vector of ``n_quantities`` means to a number.

    Returns
    -------
    value, error : float

    Examples
    --------
    >>> import numpy as np
    >>> bins = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> value, error = jackknife(bins, lambda m: m[0])
    >>> round(value, 6), round(error, 6)
    (2.5, 0.645497)
    """
    n_bins = bins.shape[0]
    total = bins.sum(axis=0)
    full = estimator(total / n_bins)
    leave_one_out = np.array([estimator((total - b) / (n_bins - 1)) for b in bins])
    error = np.sqrt((n_bins - 1) / n_bins * np.sum((leave_one_out - leave_one_out.mean()) ** 2))
    return float(full), float(error)


def bin_means(series, min_bins=MIN_BINS):
    """Means over equal blocks: whole chains, each cut into blocks if there are few chains.

    Parameters
    ----------
    series : ndarray of shape (n_chains, n_records, n_quantities)
    min_bins : int, default=MIN_BINS

    Returns
    -------
    bins : ndarray of shape (n_bins, n_quantities)
    """
    n_chains, n_records, n_quantities = series.shape
    blocks = min(n_records, max(1, -(-min_bins // n_chains)))
    usable = n_records - n_records % blocks
    per_block = series[:, :usable].reshape(n_chains, blocks, usable // blocks, n_quantities)
    return per_block.mean(axis=2).reshape(n_chains * blocks, n_quantities)


def thermodynamic_observables(run, T, n_sites):
    """Energy, specific heat, order parameter, susceptibility, Binder cumulant and acceptance.

    Parameters
    ----------
    run : MetropolisRun
        Recorded energies and magnetisations of many chains at temperature ``T``.
    T : float
    n_sites : int

    Returns
    -------
    row : dict
        Each observable per spin and its jackknife standard error ``<name>_err``.
    """
    e = run.energies / n_sites
    m = np.abs(run.magnetizations) / n_sites
    series = np.stack([e, e**2, m, m**2, m**4], axis=-1)  # (chains, records, 5)
    bins = bin_means(series)
    estimators = {
        "energy": lambda mu: mu[0],
        "specific_heat": lambda mu: n_sites * (mu[1] - mu[0] ** 2) / T**2,
        "abs_magnetization": lambda mu: mu[2],
        "susceptibility": lambda mu: n_sites * (mu[3] - mu[2] ** 2) / T,
        "binder": lambda mu: 1 - mu[4] / (3 * mu[3] ** 2),
    }
    row = {}
    for name, estimator in estimators.items():
        row[name], row[name + "_err"] = jackknife(bins, estimator)
    rates = run.accepted / run.attempted
    row["acceptance"] = float(rates.mean())
    row["acceptance_err"] = (float(rates.std(ddof=1) / np.sqrt(len(rates))) if len(rates) > 1
                             else float("nan"))
    return row
