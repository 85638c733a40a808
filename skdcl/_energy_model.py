"""The energy-model protocol of the learned models: energy, spin kind, number of states."""

from sklearn.utils.validation import check_is_fitted

from .lattice import check_snapshots

__all__ = ["LearnedEnergyMixin"]


class LearnedEnergyMixin:
    """``energy``, ``spin_kind`` and ``n_states`` of a fitted model, from ``predict`` and the
    fitted attributes ``spin_kind_`` and ``n_states_`` (see docs/dev/energy_model_protocol)."""

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
    def spin_kind(self):
        """``"ising"`` or ``"potts"``, as fitted (energy-model protocol)."""
        check_is_fitted(self)
        return self.spin_kind_

    @property
    def n_states(self):
        """Number of values a site takes, as fitted (energy-model protocol)."""
        check_is_fitted(self)
        return self.n_states_

    def _check_fitted_snapshots(self, X, name="X", shape=None):
        """Configurations of the fitted kind (and of ``shape`` when given), as int8."""
        check_is_fitted(self)
        q = self.n_states_ if self.spin_kind_ == "potts" else None
        return check_snapshots(X, kind=self.spin_kind_, q=q, shape=shape, name=name)
