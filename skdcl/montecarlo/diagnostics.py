"""Convergence diagnostics of Markov chains: autocorrelation time, effective sample size, R-hat.

Every function takes draws of shape ``(n_chains, n_draws)`` (a 1-d array is one chain):

* :func:`autocorrelation` -- the normalised autocorrelation function of the chains, computed
  by FFT about their common mean;
* :func:`integrated_time` -- the integrated autocorrelation time
  :math:`\\tau = 1 + 2 \\sum_{t \\ge 1} \\rho(t)` summed up to Sokal's automatic window, the
  smallest :math:`M` with :math:`M \\ge c\\, \\tau(M)` (as emcee's ``integrated_time``), with
  the bias correction of Wolff's Gamma method, so that it holds for chains only a few
  autocorrelation times long;
* :func:`effective_sample_size` -- ``n_chains * n_draws / tau``; the standard error of a mean
  is ``std / sqrt(ess)``;
* :func:`split_rhat` -- the rank-normalised split R-hat of Vehtari et al. (2021), as ArviZ's
  ``rhat(method="rank")``: each chain is cut in two halves, and the largest of the R-hat of the
  rank-normalised draws (bulk) and of their rank-normalised distance to the median (tails) is
  returned.

A chain is trusted when its R-hat is below :data:`RHAT_THRESHOLD` and its effective sample size
is at least :data:`MIN_ESS`; :func:`check_convergence` says which observables are not, with a
:class:`ConvergenceWarning`.
"""

import warnings
from numbers import Real

import numpy as np
from scipy import stats

__all__ = ["ConvergenceWarning", "RHAT_THRESHOLD", "MIN_ESS", "autocorrelation",
           "integrated_time", "effective_sample_size", "split_rhat", "check_convergence"]

#: R-hat above which chains are not considered converged (Vehtari et al. 2021).
RHAT_THRESHOLD = 1.01

#: Fewest effective samples an estimate is trusted from.
MIN_ESS = 100


class ConvergenceWarning(UserWarning):
    """Monte Carlo chains that have not converged: R-hat too high or too few effective samples."""


def _as_chains(x, name="x", min_draws=2):
    """Draws as a float array of shape (n_chains, n_draws), checked."""
    array = np.asarray(x, dtype=float)
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < min_draws:
        raise ValueError(f"{name} must be of shape (n_draws,) or (n_chains, n_draws) with "
                         f"n_draws >= {min_draws}, got shape {np.shape(x)}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers only.")
    return array


def autocorrelation(x):
    """Normalised autocorrelation function of chains that sample one distribution.

    The autocovariance of every chain is computed by FFT about the mean of all chains, summed
    over chains and divided by its value at lag 0. Centring on the common mean, rather than on
    each chain's own mean as emcee does, keeps the between-chain spread in the function, so that
    short chains (a few autocorrelation times) are not made to look independent, and chains
    that disagree show long correlations.

    Parameters
    ----------
    x : array-like of shape (n_draws,) or (n_chains, n_draws)

    Returns
    -------
    rho : ndarray of shape (n_draws,)
        ``rho[t]`` is the autocorrelation at lag ``t``; ``rho[0] == 1``, and ``rho`` is 1 at
        lag 0 and 0 elsewhere when every draw is equal.

    Examples
    --------
    >>> import numpy as np
    >>> rho = autocorrelation(np.random.default_rng(0).normal(size=(4, 1000)))
    >>> float(rho[0]), bool(abs(rho[1]) < 0.05)
    (1.0, True)
    """
    chains = _as_chains(x)
    n = chains.shape[1]
    size = 1 << int(2 * n - 1).bit_length()
    spectrum = np.fft.rfft(chains - chains.mean(), n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n].sum(axis=0)
    if acov[0] <= 0:
        rho = np.zeros(n)
        rho[0] = 1.0
        return rho
    return acov / acov[0]


def integrated_time(x, c=5.0):
    """Integrated autocorrelation time with Sokal's automatic window.

    :math:`\\tau(M) = 1 + 2 \\sum_{t=1}^{M} \\rho(t)` of the autocorrelation ``rho`` of all
    chains (:func:`autocorrelation`), at the smallest window ``M`` with ``M >= c * tau(M)``
    (Sokal's rule, as emcee's ``integrated_time``), corrected for the bias of the estimated mean
    as in Wolff's Gamma method (Comput. Phys. Commun. 156, 143 (2004)):
    ``tau * (1 + (2 M + 1) / N)`` with ``N`` draws in all. When no window qualifies (chains
    shorter than about ``c * tau``) the largest one is used, and the result underestimates
    ``tau``: the effective sample size and R-hat then flag the chains.

    Parameters
    ----------
    x : array-like of shape (n_draws,) or (n_chains, n_draws)
    c : float, default=5.0
        Window constant (Sokal and emcee use 5).

    Returns
    -------
    tau : float
        In units of draws: about 1 for independent draws, and exactly 1 when every draw is
        equal; at least ``1 / N`` so that the effective sample size stays finite.

    Examples
    --------
    An AR(1) process ``x[t] = phi x[t-1] + noise`` has ``tau = (1 + phi) / (1 - phi)``:

    >>> import numpy as np
    >>> from scipy.signal import lfilter
    >>> noise = np.random.default_rng(0).normal(size=(8, 20000))
    >>> x = lfilter([1.0], [1.0, -0.8], noise, axis=1)
    >>> bool(abs(integrated_time(x) - 9.0) < 0.5)
    True
    """
    if isinstance(c, bool) or not isinstance(c, Real) or not np.isfinite(c) or c <= 0:
        raise ValueError(f"c must be a positive float, got {c!r}.")
    chains = _as_chains(x)
    if np.ptp(chains) == 0:
        return 1.0
    taus = 2.0 * np.cumsum(autocorrelation(chains)) - 1.0
    window = np.arange(len(taus)) >= c * taus
    M = int(np.argmax(window)) if np.any(window) else len(taus) - 1
    tau = taus[M] * (1.0 + (2.0 * M + 1.0) / chains.size)
    return float(max(tau, 1.0 / chains.size))


def effective_sample_size(x, c=5.0):
    """Effective number of independent draws, ``n_chains * n_draws / tau``.

    Parameters
    ----------
    x : array-like of shape (n_draws,) or (n_chains, n_draws)
    c : float, default=5.0
        Window constant of :func:`integrated_time`.

    Returns
    -------
    ess : float

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(size=(4, 500))
    >>> bool(1500 < effective_sample_size(x) < 2500)
    True
    """
    chains = _as_chains(x)
    return float(chains.size / integrated_time(chains, c))


def _rhat(chains):
    """Gelman-Rubin R-hat of equally long chains (no splitting)."""
    n = chains.shape[1]
    within = chains.var(axis=1, ddof=1).mean()
    between = n * chains.mean(axis=1).var(ddof=1)
    if within == 0:
        return 1.0 if between == 0 else np.inf
    return float(np.sqrt(((n - 1) / n * within + between / n) / within))


#: Draws closer than this, relative to the largest magnitude, tie when ranked.
TIE_TOLERANCE = 1e-9


def _tied(chains):
    """Draws with the values that differ by rounding alone made equal (their group's index).

    A chain's energy is a running sum of energy changes, so two chains in the same state can
    carry energies that differ in their last bits; ranked as they are, those bits would order
    the chains and R-hat would see a difference that is not there. Sorted values closer than
    :data:`TIE_TOLERANCE` times the largest magnitude join one group.
    """
    flat = chains.ravel()
    order = np.argsort(flat, kind="stable")
    tolerance = TIE_TOLERANCE * np.max(np.abs(flat))
    groups = np.concatenate([[0], np.cumsum(np.diff(flat[order]) > tolerance)])
    tied = np.empty(flat.shape)
    tied[order] = groups
    return tied.reshape(chains.shape)


def _rank_normal(chains):
    """Draws replaced by normal scores of their ranks over all chains (Blom's offset), ties
    (up to rounding, :func:`_tied`) sharing their average rank."""
    ranks = stats.rankdata(_tied(chains), method="average").reshape(chains.shape)
    return stats.norm.ppf((ranks - 0.375) / (chains.size + 0.25))


def split_rhat(x, rank_normalize=True):
    """Split R-hat across chains.

    Each chain is cut into its first and second halves (the middle draw of an odd chain is
    dropped), and the Gelman-Rubin statistic of the ``2 * n_chains`` halves is computed. With
    ``rank_normalize`` (the default, as ArviZ's ``rhat``), it is the larger of the statistic of
    the rank-normalised draws (bulk) and of the rank-normalised absolute deviations from the
    median (tails), which makes it robust to heavy tails and sensitive to differences in spread.
    Values near 1 mean the halves agree; :data:`RHAT_THRESHOLD` (1.01) is the usual limit.
    Ranks treat draws that differ by rounding alone (relative :data:`TIE_TOLERANCE`) as ties:
    the running energy sums of chains in the same state differ in their last bits.

    Parameters
    ----------
    x : array-like of shape (n_draws,) or (n_chains, n_draws)
        At least 4 draws per chain.
    rank_normalize : bool, default=True
        Rank-normalised bulk and tail R-hat (True) or the plain split R-hat of the draws.

    Returns
    -------
    rhat : float
        1.0 when every draw is equal; ``inf`` when the halves are constant but differ.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> same = rng.normal(size=(4, 1000))
    >>> bool(split_rhat(same) < 1.01)
    True
    >>> shifted = same + np.arange(4)[:, None] * 0.5
    >>> bool(split_rhat(shifted) > 1.01)
    True
    """
    chains = _as_chains(x, min_draws=4)
    half = chains.shape[1] // 2
    split = np.concatenate([chains[:, :half], chains[:, -half:]])
    if not rank_normalize:
        return _rhat(split)
    if np.ptp(_tied(split)) == 0:
        return 1.0
    bulk = _rhat(_rank_normal(split))
    tail = _rhat(_rank_normal(np.abs(split - np.median(split))))
    return max(bulk, tail)


def check_convergence(diagnostics, where="", rhat_threshold=RHAT_THRESHOLD, min_ess=MIN_ESS,
                      warn=True, stacklevel=2):
    """Whether every observable meets its R-hat and effective-sample-size targets.

    Parameters
    ----------
    diagnostics : dict
        Maps an observable's name to a pair ``(rhat, ess)``.
    where : str, default=""
        Says where the chains ran (for instance ``"T=2.269, L=(16, 16)"``), for the message.
    rhat_threshold : float, default=RHAT_THRESHOLD
    min_ess : float, default=MIN_ESS
    warn : bool, default=True
        Issue a :class:`ConvergenceWarning` naming the observables that miss a target.
    stacklevel : int, default=2
        Of the warning, as in :func:`warnings.warn`, counted from the caller of this function.

    Returns
    -------
    converged : bool
        True when every observable meets both targets.

    Warns
    -----
    ConvergenceWarning
        When ``warn`` is set and an observable misses a target, naming it with its R-hat and
        effective sample size.

    Examples
    --------
    >>> check_convergence({"energy": (1.001, 2500.0)}, "T=2.0")
    True
    """
    failing = [f"{name} (R-hat {rhat:.4f}, ESS {ess:.0f})"
               for name, (rhat, ess) in diagnostics.items()
               if not (rhat <= rhat_threshold and ess >= min_ess)]
    if failing and warn:
        place = f" at {where}" if where else ""
        warnings.warn(f"Monte Carlo chains{place} have not converged: {', '.join(failing)}; "
                      f"targets are R-hat <= {rhat_threshold} and ESS >= {min_ess}. Run longer "
                      "or with more chains.", ConvergenceWarning, stacklevel=stacklevel + 1)
    return not failing
