"""Observables of Monte Carlo runs, their error bars and convergence diagnostics."""

import numba
import numpy as np

from .diagnostics import check_convergence, integrated_time, split_rhat

__all__ = ["order_parameter", "jackknife", "bin_means", "thermodynamic_observables",
           "observable_series", "series_statistics", "OBSERVABLES", "MIN_BINS"]

#: Fewest bins of :func:`bin_means`: chains are cut into blocks when there are fewer.
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


#: Observables of :func:`thermodynamic_observables` with diagnostics, and the series (records
#: of ``e, e^2, |m|, m^2, m^4`` per spin) their estimators are functions of.
OBSERVABLES = ("energy", "specific_heat", "abs_magnetization", "susceptibility", "binder")


def _estimators(T, n_sites):
    """Each observable as (function of the means of the series, its gradient)."""
    c, x = n_sites / T**2, n_sites / T
    return {
        "energy": (lambda mu: mu[0], lambda mu: [1.0, 0, 0, 0, 0]),
        "specific_heat": (lambda mu: c * (mu[1] - mu[0] ** 2),
                          lambda mu: [-2 * c * mu[0], c, 0, 0, 0]),
        "abs_magnetization": (lambda mu: mu[2], lambda mu: [0, 0, 1.0, 0, 0]),
        "susceptibility": (lambda mu: x * (mu[3] - mu[2] ** 2),
                           lambda mu: [0, 0, -2 * x * mu[2], x, 0]),
        "binder": (lambda mu: 1 - mu[4] / (3 * mu[3] ** 2),
                   lambda mu: [0, 0, 0, 2 * mu[4] / (3 * mu[3] ** 3), -1 / (3 * mu[3] ** 2)]),
    }


def observable_series(run, n_sites):
    """Records of ``e``, ``e^2``, ``|m|``, ``m^2`` and ``m^4`` per spin.

    Parameters
    ----------
    run : MetropolisRun
    n_sites : int

    Returns
    -------
    series : ndarray of shape (n_chains, n_records, 5)
    """
    e = run.energies / n_sites
    m = np.abs(run.magnetizations) / n_sites
    return np.stack([e, e**2, m, m**2, m**4], axis=-1)


def series_statistics(y, thin=1):
    """Standard error of the mean of a series, with its convergence diagnostics.

    The error is ``std / sqrt(ess)``, with the effective sample size from the integrated
    autocorrelation time (:func:`~skdcl.montecarlo.diagnostics.integrated_time`, Wolff's Gamma
    method).

    Parameters
    ----------
    y : ndarray of shape (n_chains, n_records)
    thin : int, default=1
        Sweeps between records, so that ``tau`` is reported in sweeps.

    Returns
    -------
    stats : dict
        ``err``, ``tau`` (in sweeps), ``ess`` and ``rhat`` (rank-normalised split R-hat; NaN,
        which no convergence check passes, when there are fewer than 4 records per chain).
        All NaN when ``y`` is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).normal(size=(4, 2500))
    >>> out = series_statistics(y)
    >>> bool(abs(out["err"] - 0.01) < 0.001), bool(out["rhat"] < 1.01)
    (True, True)
    """
    if not np.all(np.isfinite(y)):
        return dict.fromkeys(("err", "tau", "ess", "rhat"), float("nan"))
    tau = integrated_time(y)
    ess = y.size / tau
    spread = y.std(ddof=1) if y.size > 1 else 0.0
    return {"err": float(spread / np.sqrt(ess)), "tau": float(tau * thin), "ess": float(ess),
            "rhat": split_rhat(y) if y.shape[1] >= 4 else float("nan")}


def thermodynamic_observables(run, T, n_sites, thin=1):
    """Energy, specific heat, order parameter, susceptibility, Binder cumulant and acceptance.

    Each observable is a function ``f`` of the means of the recorded series ``x_t`` (``e``,
    ``e^2``, ``|m|``, ``m^2``, ``m^4`` per spin). Its standard error and diagnostics are those of
    the linearised series ``y_t = grad f(mean) . x_t`` (Wolff's Gamma method): for the energy
    and the order parameter the series ``e`` and ``|m|`` themselves, for the specific heat
    ``N (e - <e>)^2 / T^2``, for the susceptibility ``N (|m| - <|m|>)^2 / T``, and for the
    Binder cumulant a combination of ``m^2`` and ``m^4``, all up to constants. The error is
    ``std(y) / sqrt(ess)``, with the effective sample size from the integrated autocorrelation
    time of ``y`` pooled over chains, which stays honest with few chains.

    Parameters
    ----------
    run : MetropolisRun
        Recorded energies and magnetisations of many chains at temperature ``T``.
    T : float
    n_sites : int
    thin : int, default=1
        Sweeps between records (autocorrelation times are reported in sweeps).

    Returns
    -------
    row : dict
        For each name of :data:`OBSERVABLES`, its value per spin and ``<name>_err`` (standard
        error), ``<name>_tau`` (integrated autocorrelation time in sweeps), ``<name>_ess``
        (effective sample size) and ``<name>_rhat`` (split R-hat across chains); then
        ``acceptance`` and ``acceptance_err`` (spread of the chains' rates), and ``converged``:
        whether every R-hat is at most
        :data:`~skdcl.montecarlo.diagnostics.RHAT_THRESHOLD` and every effective sample size at
        least :data:`~skdcl.montecarlo.diagnostics.MIN_ESS`, over the observables that are
        defined (the Binder cumulant is NaN when the order parameter is always 0).
    """
    series = observable_series(run, n_sites)
    mu = series.mean(axis=(0, 1))
    row, diagnostics = {}, {}
    for name, (estimator, gradient) in _estimators(T, n_sites).items():
        with np.errstate(divide="ignore", invalid="ignore"):  # undefined: NaN
            y = series @ np.asarray(gradient(mu), dtype=float)
            row[name] = float(estimator(mu))
        stats = series_statistics(y, thin)
        row.update({f"{name}_{key}": value for key, value in stats.items()})
        if np.isfinite(row[name]):
            diagnostics[name] = (stats["rhat"], stats["ess"])
    rates = run.accepted / run.attempted
    row["acceptance"] = float(rates.mean())
    row["acceptance_err"] = (float(rates.std(ddof=1) / np.sqrt(len(rates))) if len(rates) > 1
                             else float("nan"))
    row["converged"] = check_convergence(diagnostics, warn=False)
    return row
