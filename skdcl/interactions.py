"""LocalInteractionModel: a local energy fitted to snapshots by pseudo-likelihood, convex and exact.

The energy is a sum over sites of one function of the site's ``(2 r + 1) x (2 r + 1)`` window,

``E(sigma) = sum_sites w(window)``,  ``w(window) = sum_S theta_S prod_{i in S} s_i``,

expanded over every set ``S`` of window cells (pairs, triples, plaquettes, ... all of them: the
expansion is complete, so ``w`` is any function of the window). Coefficients of sets that a
symmetry of the system maps onto each other are tied; the spin flip removes odd sets.

Single-spin-flip energy changes are linear in ``theta``, so the negative log pseudo-likelihood
of the snapshots (Besag 1975; Aurell and Ekeberg 2012) is convex in it and is minimised exactly
(L-BFGS). Snapshots at one temperature pin down few-spin interactions well and many-spin ones
poorly, so a ridge penalty on the coefficients of three or more spins, chosen from a grid by the
held-out pseudo-likelihood (one-standard-error rule: the strongest penalty within one standard
error of the best), keeps the many-spin terms only where the snapshots demand them. It needs no
energy labels, like the pairwise baseline it generalises.
"""

from numbers import Integral, Real

import numba
import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, _fit_context
from ._energy_model import LearnedEnergyMixin
from .lattice import check_observation_temperature, check_snapshots
from .symmetry import POINT_GENERATORS, point_permutation

__all__ = ["LocalInteractionModel"]

#: Ridge penalties (per site) tried on the coefficients of three or more spins, strongest first.
DEFAULT_PENALTIES = (10.0, 1.0, 0.1, 0.01, 1e-3, 1e-4)
#: Penalty on the coefficients of one and two spins (only to fix the expansion's redundancy).
_SMALL_PENALTY = 1e-8
#: Half-width of the windows: 3x3, whose 2**9 window states the expansion covers completely.
_RADIUS = 1


class LocalInteractionModel(LearnedEnergyMixin, BaseEstimator):
    """Local energy of Ising snapshots by convex pseudo-likelihood over all window interactions.

    Each site's window is the 3x3 block around it, so the energy holds every interaction
    among sites up to two apart along each axis (pairs, triples, plaquettes, ...): the
    ``2 ** 9`` terms of the expansion before tying.

    Parameters
    ----------
    symmetry : tuple of str, default=()
        Symmetry generators of the system (see :mod:`skdcl.symmetry`; for instance
        ``DCLPipeline().fit(...).symmetry_.generators``): point symmetries tie coefficients,
        ``"flip"`` removes the odd ones. Translation invariance is assumed (one function for
        every site).
    penalties : tuple of float, default=(10, 1, 0.1, 0.01, 1e-3, 1e-4)
        Ridge penalties per site on the coefficients of three or more spins, tried in turn; the
        held-out pseudo-likelihood chooses one (one-standard-error rule), then the model is
        refitted on every snapshot. A single value skips the choice.
    validation_fraction : float, default=0.2
        Snapshots held out to choose the penalty.
    max_iter : int, default=1000
        L-BFGS iterations per fit.
    random_state : int, RandomState instance or None, default=None
        Seed of the held-out split.

    Attributes
    ----------
    coefficients_ : ndarray of shape (n_terms,)
        Tied coefficients ``theta`` in units of J.
    table_ : ndarray of shape (2 ** window_sites,)
        ``w`` of every window code (cell ``k`` of the raster-ordered window is bit ``k``, set for
        spin +1).
    penalty_ : float
        Penalty chosen.
    validation_excess_ : dict of float to tuple of float
        Per penalty: held-out negative log pseudo-likelihood per site above the best penalty's,
        and its standard error.
    T_obs_ : float
    offset_ : float
        Mean energy of the training snapshots, subtracted by :meth:`predict`.
    spin_kind_ : str
        ``"ising"``.
    n_states_ : int
        2.

    Examples
    --------
    >>> from skdcl import IsingModel, make_snapshots
    >>> X = make_snapshots(IsingModel(), L=4, T=3.0, n_samples=2000, random_state=0)
    >>> model = LocalInteractionModel(symmetry=("flip",), penalties=(1.0,)).fit(X, 3.0)
    >>> model.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        "symmetry": [tuple, list],
        "penalties": [tuple, list],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, symmetry=(), penalties=DEFAULT_PENALTIES,
                 validation_fraction=0.2, max_iter=1000, random_state=None):
        self.symmetry = symmetry
        self.penalties = penalties
        self.validation_fraction = validation_fraction
        self.max_iter = max_iter
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the window interactions to snapshots observed at temperature ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Ising snapshots (-1/+1); sides of at least 3.
        y : float or array-like of shape (n_samples,)
            Observation temperature ``T_obs``.

        Returns
        -------
        self : LocalInteractionModel
        """
        if y is None:
            check_observation_temperature(y, 0, "y (T_obs)")  # raises its standard message
        X = check_snapshots(X, kind="ising")
        T_obs = check_observation_temperature(y, len(X), "y (T_obs)")
        penalties = self._check_penalties()
        if min(X.shape[1:]) < 2 * _RADIUS + 1:
            raise ValueError(f"X holds {X.shape[1]}x{X.shape[2]} lattices; the 3x3 windows "
                             "need sides of at least 3.")
        basis, penalised = _interaction_basis(_RADIUS, tuple(self.symmetry))
        codes = _window_codes(X, _RADIUS)
        beta, n_sites = 1.0 / T_obs, X.shape[1] * X.shape[2]
        excess = {}
        if len(penalties) > 1:
            excess = self._validate(codes, basis, penalised, penalties, beta, n_sites)
            penalty = _one_standard_error(penalties, excess)
        else:
            penalty = penalties[0]
        coefficients = _fit_coefficients(codes, basis, penalised, penalty, beta, n_sites,
                                         self.max_iter)
        table = basis @ coefficients
        self.coefficients_, self.table_, self.penalty_ = coefficients, table, float(penalty)
        self.validation_excess_ = excess
        self.T_obs_, self.spin_kind_, self.n_states_ = T_obs, "ising", 2
        self.offset_ = float(table[codes].sum(axis=(1, 2)).mean())
        return self

    def _check_penalties(self):
        values = np.asarray(self.penalties, dtype=float).ravel()
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"penalties must be non-negative finite numbers, got "
                             f"{self.penalties!r}.")
        return sorted(set(values.tolist()), reverse=True)

    def _validate(self, codes, basis, penalised, penalties, beta, n_sites):
        rng = check_random_state(self.random_state)
        order = rng.permutation(len(codes))
        n_held_out = max(1, int(round(self.validation_fraction * len(codes))))
        held_out, train = codes[order[:n_held_out]], codes[order[n_held_out:]]
        losses, start = {}, None
        for penalty in penalties:  # strongest first, each fit warm-started from the previous
            start = _fit_coefficients(train, basis, penalised, penalty, beta, n_sites,
                                      self.max_iter, start)
            losses[penalty] = _snapshot_losses(basis @ start, held_out, _RADIUS,
                                               beta) / n_sites
        best = min(losses, key=lambda p: losses[p].mean())
        excess = {}
        for penalty, loss in losses.items():
            d = loss - losses[best]
            excess[penalty] = (float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
                               if len(d) > 1 else 0.0)
        return excess

    def predict(self, X):
        """Energies in units of J, relative to the mean over the training snapshots.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Ising configurations of any size with sides of at least 3.

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._check_fitted_snapshots(X)
        if min(X.shape[1:]) < 2 * _RADIUS + 1:
            raise ValueError(f"X holds {X.shape[1]}x{X.shape[2]} lattices; the 3x3 windows "
                             "need sides of at least 3.")
        return self.table_[_window_codes(X, _RADIUS)].sum(axis=(1, 2)) - self.offset_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = True
        return tags


def _one_standard_error(penalties, excess):
    """The strongest penalty whose held-out loss is within one standard error of the best."""
    for penalty in penalties:  # strongest first
        mean, error = excess[penalty]
        if mean <= error:
            return penalty
    return min(excess, key=lambda p: excess[p][0])


def _fit_coefficients(codes, basis, penalised, penalty, beta, n_sites, max_iter, start=None):
    """Minimise the negative log pseudo-likelihood per site plus the ridge penalty."""
    weights = np.where(penalised, penalty, _SMALL_PENALTY)
    n = len(codes) * n_sites
    radius = _RADIUS

    def objective(theta):
        loss, grad = _loss_and_gradient(basis @ theta, codes, radius, beta,
                                        numba.get_num_threads())
        return (loss / n + np.sum(weights * theta**2),
                basis.T @ grad / n + 2 * weights * theta)

    theta0 = np.zeros(basis.shape[1]) if start is None else start
    result = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "gtol": 1e-10})
    return result.x


def _interaction_basis(radius, symmetry):
    """Window code -> tied coefficients, and which coefficients are penalised (3+ spins).

    Returns ``basis`` (2**K, n_terms): ``basis[c, t]`` is the sum over the sets ``S`` tied into
    term ``t`` of ``prod_{i in S} s_i`` for the window of code ``c``; and ``penalised``
    (n_terms,) bool.
    """
    width = 2 * radius + 1
    n_cells = width * width
    n_codes = 1 << n_cells
    codes = np.arange(n_codes)
    bits = (codes[:, None] >> np.arange(n_cells)) & 1  # also: set S as a bit mask
    spins = 2.0 * bits - 1.0
    size = bits.sum(axis=1)
    chi = np.ones((n_codes, n_codes))  # chi[c, S] = prod_{i in S} s_i(c)
    for cell in range(n_cells):
        chi[:, bits[:, cell].astype(bool)] *= spins[:, cell][:, None]
    orbit = _set_orbits(bits, width, symmetry)
    allowed = codes > 0  # the empty set is a constant
    if "flip" in symmetry:
        allowed &= size % 2 == 0
    terms, index = np.unique(orbit[allowed], return_inverse=True)
    tying = np.zeros((n_codes, len(terms)))
    tying[np.flatnonzero(allowed), index] = 1.0
    penalised = (tying * size[:, None]).max(axis=0) >= 3
    return chi @ tying, penalised


def _set_orbits(bits, width, symmetry):
    """Smallest set code in each set's orbit under the window's point symmetries."""
    label = np.arange(len(bits))
    images = []
    for name in symmetry:
        if name in POINT_GENERATORS:
            permutation = point_permutation((width, width), name)
            # the window is centred on the site: the point symmetry maps it onto itself
            images.append((bits[:, permutation] << np.arange(bits.shape[1])).sum(axis=1))
    changed = bool(images)
    while changed:
        changed = False
        for image in images:
            merged = np.minimum(label, label[image])
            merged[image] = np.minimum(merged[image], label)
            if np.any(merged != label):
                label, changed = merged, True
    return label


@numba.njit(cache=True)
def _window_codes(X, radius):
    """Code of the window around every site: cell ``k`` (raster order) is bit ``k``."""
    n, Ly, Lx = X.shape
    codes = np.zeros((n, Ly, Lx), dtype=np.int64)
    for s in range(n):
        for y in range(Ly):
            for x in range(Lx):
                code, k = 0, 0
                for dy in range(-radius, radius + 1):
                    for dx in range(-radius, radius + 1):
                        if X[s, (y + dy) % Ly, (x + dx) % Lx] > 0:
                            code |= 1 << k
                        k += 1
                codes[s, y, x] = code
    return codes


@numba.njit(cache=True, inline="always")
def _flip_change(table, codes, s, y, x, radius):
    """Energy change of flipping site (y, x): the windows around it that hold it change."""
    _, Ly, Lx = codes.shape
    change, k = 0.0, 0
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            code = codes[s, (y - dy) % Ly, (x - dx) % Lx]  # the site is cell k of this window
            change += table[code ^ (1 << k)] - table[code]
            k += 1
    return change


@numba.njit(cache=True, inline="always")
def _softplus(z):
    return z + np.log1p(np.exp(-z)) if z > 0 else np.log1p(np.exp(z))


@numba.njit(cache=True, parallel=True)
def _loss_and_gradient(table, codes, radius, beta, n_threads=1):
    """Negative log pseudo-likelihood summed over every site of every snapshot, and its
    gradient with respect to the table (``n_threads`` partial sums in parallel)."""
    n, Ly, Lx = codes.shape
    n_chunks = max(1, min(n_threads, n))
    losses = np.zeros(n_chunks)
    grads = np.zeros((n_chunks, table.shape[0]))
    for chunk in numba.prange(n_chunks):
        for s in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            for y in range(Ly):
                for x in range(Lx):
                    z = -beta * _flip_change(table, codes, s, y, x, radius)
                    losses[chunk] += _softplus(z)
                    g = -beta / (1.0 + np.exp(-z))  # d loss / d change
                    k = 0
                    for dy in range(-radius, radius + 1):
                        for dx in range(-radius, radius + 1):
                            code = codes[s, (y - dy) % Ly, (x - dx) % Lx]
                            grads[chunk, code ^ (1 << k)] += g
                            grads[chunk, code] -= g
                            k += 1
    return losses.sum(), grads.sum(axis=0)


@numba.njit(cache=True, parallel=True)
def _snapshot_losses(table, codes, radius, beta):
    """Negative log pseudo-likelihood of each snapshot (summed over its sites)."""
    n, Ly, Lx = codes.shape
    out = np.zeros(n)
    for s in numba.prange(n):
        for y in range(Ly):
            for x in range(Lx):
                out[s] += _softplus(-beta * _flip_change(table, codes, s, y, x, radius))
    return out
