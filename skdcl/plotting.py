"""Plots: thermodynamic curves against references, and parity plots of learned energies."""

import numpy as np

__all__ = ["plot_thermodynamics", "plot_parity"]


def plot_thermodynamics(table, reference=None, observables=("energy", "specific_heat"),
                        label="Monte Carlo", axes=None):
    """Observables versus temperature with error bars, optionally against a reference curve.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :meth:`MetropolisSimulator.thermodynamics`.
    reference : pandas.DataFrame, optional
        Same columns without errors (e.g. :func:`skdcl.ising_exact`), drawn as lines.
    observables : sequence of str, default=("energy", "specific_heat")
    label : str, default="Monte Carlo"
    axes : sequence of matplotlib Axes, optional
        One per observable; created when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(observables), figsize=(4.5 * len(observables), 3.6))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, observables):
        if reference is not None and name in reference:
            ax.plot(reference["T"], reference[name], "k-", lw=1.2, label="exact")
        ax.errorbar(table["T"], table[name], yerr=table.get(name + "_err"), fmt="o", ms=3.5,
                    capsize=2, label=label)
        ax.set_xlabel("T / J")
        ax.set_ylabel(name.replace("_", " ") + " per spin")
        ax.legend(frameon=False)
    figure = axes[0].figure
    figure.tight_layout()
    return figure


def plot_parity(energies_true, predictions, ax=None):
    """Learned versus true energies (each mean-removed), one series per model.

    Parameters
    ----------
    energies_true : array-like of shape (n,)
    predictions : dict of str to array-like of shape (n,)
        Model name to predicted energies.
    ax : matplotlib Axes, optional

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .metrics import energy_rmse

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    true = np.asarray(energies_true, float)
    true = true - true.mean()
    for name, pred in predictions.items():
        pred = np.asarray(pred, float)
        rmse = energy_rmse(true, pred)
        ax.plot(true, pred - pred.mean(), ".", ms=2, alpha=0.5,
                label=f"{name} (RMSE {rmse:.3g} J)")
    lo, hi = true.min(), true.max()
    ax.plot([lo, hi], [lo, hi], "k-", lw=1)
    ax.set_xlabel("exact energy / J (mean removed)")
    ax.set_ylabel("learned energy / J (mean removed)")
    ax.legend(frameon=False, markerscale=5)
    ax.figure.tight_layout()
    return ax.figure
