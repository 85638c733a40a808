"""The energy-model protocol of the learned models: energy, site variables, validation."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .lattice import check_snapshots
from .sites import SiteVariables

__all__ = ["LearnedEnergyMixin"]


class LearnedEnergyMixin:
    """``energy``, ``sites``, ``spin_kind`` and ``n_states`` of a fitted model.

    They come from ``predict`` and the fitted attribute ``sites_`` (a
    :class:`~skdcl.sites.SiteVariables`); see ``docs/dev/kernel_protocol.rst``.
    """

    def energy(self, X):
        """Total energies of configurations (the energy-model protocol; same as ``predict``).

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        return self.predict(X)

    @property
    def sites(self):
        """The site variables of the fitted configurations (energy-model protocol)."""
        check_is_fitted(self)
        return self.sites_

    @property
    def spin_kind(self):
        """``"ising"`` or ``"potts"``, as fitted (``sites.kind``)."""
        return self.sites.kind

    @property
    def n_states(self):
        """Number of values a site takes, as fitted (``sites.n_states``)."""
        return self.sites.n_states

    @staticmethod
    def _check_finite(values, what):
        """Raise ``ValueError`` unless every value is finite: a fit never ends on inf or NaN.

        Parameters
        ----------
        values : float or array-like
        what : str
            What the values are and what to do about them, for the message.
        """
        if not np.all(np.isfinite(values)):
            raise ValueError(f"the fit gave non-finite {what}.")

    def _infer_sites(self, X):
        """The site variables of training snapshots, from the ``kind`` and ``q`` parameters."""
        return SiteVariables.infer(X, getattr(self, "kind", "auto"), getattr(self, "q", None))

    def _check_fitted_snapshots(self, X, name="X", shape=None):
        """Configurations of the fitted site variables (and of ``shape`` when given), int8.

        Flat rows are read as lattices of the fitted shape ``lattice_shape_``.
        """
        return check_snapshots(X, self.sites, shape=shape, name=name,
                               flat_shape=getattr(self, "lattice_shape_", None))
