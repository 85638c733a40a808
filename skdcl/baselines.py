"""Baselines for comparison: the pairwise pseudo-likelihood inverse-Ising estimator.

Pseudo-likelihood maximisation (Besag 1975; Aurell & Ekeberg, PRL 108, 090201 (2012)) fits a
pairwise model ``H = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i`` to snapshots observed at ``T_obs``
by maximising ``sum_i log P(s_i | s_rest)``, whose every term is a logistic function of the local
field. It is the method most physicists would try first, statistically efficient for pairwise
models, and blind to anything that is not pairwise.
"""

from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, fit_context
from ._fitting import transactional
from .lattice import check_observation_temperature, check_snapshots
from .sites import SiteVariables

__all__ = ["PseudoLikelihoodIsing"]


class PseudoLikelihoodIsing(BaseEstimator):
    """Inverse Ising by symmetric pseudo-likelihood maximisation, on all pairs of sites.

    Parameters
    ----------
    translation_invariant : bool, default=True
        Couplings depend only on the displacement between two sites and the field is uniform,
        as in a homogeneous system (and in a shared-weight EDNN): far fewer parameters, far less
        estimation noise. Set to False for a spin glass, where every pair has its own coupling.
    alpha : float, default=1e-5
        L2 penalty on the dimensionless couplings ``J_ij / T_obs`` (per snapshot).
    max_iter : int, default=500
        L-BFGS iterations.
    tol : float, default=1e-8
        L-BFGS tolerance on the gradient.

    Attributes
    ----------
    couplings_ : ndarray of shape (n_sites, n_sites)
        Symmetric ``J_ij`` in units of J (zero diagonal), sites in raster order.
    fields_ : ndarray of shape (n_sites,)
        ``h_i`` in units of J.
    T_obs_ : float
        Observation temperature.
    lattice_shape_ : tuple of int
    offset_ : float
        Mean training energy, subtracted by :meth:`predict`.

    Examples
    --------
    >>> from skdcl import IsingModel, make_snapshots
    >>> X = make_snapshots(IsingModel(), L=4, T=3.0, n_samples=2000, random_state=0)
    >>> model = PseudoLikelihoodIsing().fit(X, 3.0)
    >>> bool(abs(model.couplings_[0, 1] - 1.0) < 0.2)
    True
    """

    _parameter_constraints = {
        "translation_invariant": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, translation_invariant=True, alpha=1e-5, max_iter=500, tol=1e-8):
        self.translation_invariant = translation_invariant
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol

    @fit_context(prefer_skip_nested_validation=True)
    @transactional
    def fit(self, X, y):
        """Fit couplings and fields to snapshots observed at temperature ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Ising snapshots (+-1).
        y : float or array-like of shape (n_samples,)
            Observation temperature ``T_obs``.

        Returns
        -------
        self
        """
        X = check_snapshots(X, SiteVariables.ising())
        self.T_obs_ = check_observation_temperature(y, len(X), name="y")
        self.lattice_shape_ = X.shape[1:]
        S = X.reshape(len(X), -1).astype(np.float64)
        n = S.shape[1]
        tying = _displacement_index(self.lattice_shape_) if self.translation_invariant else None
        size = (n + 1) if tying is not None else (n * n + n)
        result = minimize(_negative_log_pseudo_likelihood, np.zeros(size),
                          args=(S, self.alpha, tying), jac=True, method="L-BFGS-B",
                          options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15})
        K, b = _unpack(result.x, n, tying)
        self.couplings_ = self.T_obs_ * K
        self.fields_ = self.T_obs_ * b
        self.n_iter_ = result.nit
        self.offset_ = 0.0
        self.offset_ = float(self.predict(X).mean())
        return self

    def predict(self, X):
        """Energies in units of J, relative to the mean over the training snapshots.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = check_snapshots(X, SiteVariables.ising(), shape=self.lattice_shape_)
        S = X.reshape(len(X), -1).astype(np.float64)
        pair = 0.5 * np.einsum("mi,ij,mj->m", S, self.couplings_, S)
        return -(pair + S @ self.fields_) - self.offset_

    def score(self, X, y=None):
        """Mean log pseudo-likelihood per spin of ``X`` at ``T_obs`` (higher is better)."""
        check_is_fitted(self)
        X = check_snapshots(X, SiteVariables.ising(), shape=self.lattice_shape_)
        S = X.reshape(len(X), -1).astype(np.float64)
        params = np.concatenate([(self.couplings_ / self.T_obs_).ravel(),
                                 self.fields_ / self.T_obs_])
        loss, _ = _negative_log_pseudo_likelihood(params, S, 0.0, None)
        return -loss / S.shape[1]


def _displacement_index(shape):
    """``index[i, j]``: the periodic displacement from site i to site j, as a flat index."""
    Ly, Lx = shape
    y, x = np.divmod(np.arange(Ly * Lx), Lx)
    return ((y[None] - y[:, None]) % Ly) * Lx + (x[None] - x[:, None]) % Lx


def _unpack(params, n, tying=None):
    if tying is None:
        K, b = params[: n * n].reshape(n, n), params[n * n:]
    else:
        K, b = params[:n][tying], np.full(n, params[n])
    K = 0.5 * (K + K.T)
    np.fill_diagonal(K, 0.0)
    return K, b


def _negative_log_pseudo_likelihood(params, S, alpha, tying):
    """Mean over snapshots of ``-sum_i log P(s_i | rest)`` and its gradient."""
    m, n = S.shape
    K, b = _unpack(params, n, tying)
    field = S @ K + b
    margin = 2.0 * S * field  # log P(s_i | rest) = -softplus(-margin)
    loss = np.logaddexp(0.0, -margin).sum() / m + alpha * np.sum(K**2)
    G = -2.0 * S / (1.0 + np.exp(np.clip(margin, -700, 700))) / m  # d loss / d field
    grad_K = S.T @ G
    grad_K = 0.5 * (grad_K + grad_K.T) + 2 * alpha * K
    np.fill_diagonal(grad_K, 0.0)
    if tying is None:
        return loss, np.concatenate([grad_K.ravel(), G.sum(axis=0)])
    grad_k = np.bincount(tying.ravel(), weights=grad_K.ravel(), minlength=n)
    return loss, np.concatenate([grad_k, [G.sum()]])
