"""Plots: thermodynamic curves, parity of learned energies, and what a model has learned."""

import numpy as np

__all__ = ["plot_thermodynamics", "plot_parity", "plot_local_energy", "plot_effective_couplings",
           "plot_training_history", "OBSERVABLE_LABELS"]

#: Axis label, with its unit, of each observable of a thermodynamics table.
OBSERVABLE_LABELS = {
    "energy": "energy per spin / J",
    "specific_heat": "specific heat per spin / $k_B$",
    "abs_magnetization": r"$\langle |m| \rangle$ per spin (dimensionless)",
    "susceptibility": r"susceptibility per spin / $J^{-1}$",
    "binder": "Binder cumulant $U_4$ (dimensionless)",
    "acceptance": "acceptance rate (dimensionless)",
}


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
        Columns to draw, one panel each (any of :data:`OBSERVABLE_LABELS`, for instance
        ``("energy", "specific_heat", "abs_magnetization", "binder")``).
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
        ax.set_ylabel(OBSERVABLE_LABELS.get(name, name.replace("_", " ")))
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


def plot_local_energy(model, config, axes=None):
    """A configuration and the energy change of moving each of its sites.

    Two-state sites: the change on flipping each site. More states: the cheapest change over
    the other states of each site. Low values mark sites the learned energy lets move easily.

    Parameters
    ----------
    model : energy model
        Any object with ``energy`` (or ``predict``); see
        :func:`skdcl.inspection.local_energy_map`.
    config : array-like of shape (Ly, Lx)
    axes : sequence of two matplotlib Axes, optional

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .inspection import cheapest_moves

    changes = cheapest_moves(model, config)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8.6, 3.8))
    left, right = axes
    shown = left.imshow(np.asarray(config), cmap="gray", interpolation="nearest")
    left.set_title("configuration")
    left.figure.colorbar(shown, ax=left, label="site value")
    shown = right.imshow(changes, cmap="viridis", interpolation="nearest")
    right.set_title("energy change of the move")
    right.figure.colorbar(shown, ax=right, label=r"$\Delta E$ / J")
    for ax in axes:
        ax.set_xlabel("x / lattice sites")
        ax.set_ylabel("y / lattice sites")
    figure = left.figure
    figure.tight_layout()
    return figure


def plot_effective_couplings(models, configs, radius=2, axes=None):
    """Effective pair couplings by displacement, one panel per model, on a shared colour scale.

    Parameters
    ----------
    models : dict of str to energy model
        Models to compare (a learned EDNN, the pseudo-likelihood baseline, the exact model...);
        see :func:`skdcl.inspection.effective_couplings`.
    configs : array-like of shape (n, Ly, Lx)
        Context configurations (a few snapshots).
    radius : int, default=2
    axes : sequence of matplotlib Axes, optional
        One per model.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .inspection import effective_couplings

    maps = {name: effective_couplings(model, configs, radius) for name, model in models.items()}
    bound = max(float(np.nanmax(np.abs(m))) for m in maps.values()) or 1.0
    if axes is None:
        _, axes = plt.subplots(1, len(maps), figsize=(4.2 * len(maps), 3.8), squeeze=False)
        axes = axes[0]
    extent = (-radius - 0.5, radius + 0.5, radius + 0.5, -radius - 0.5)
    for ax, (name, values) in zip(np.atleast_1d(axes), maps.items()):
        shown = ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, extent=extent,
                          interpolation="nearest")
        for (row, col), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(col - radius, row - radius, f"{value:.2f}", ha="center", va="center",
                        fontsize=7)
        ax.set_title(name)
        ax.set_xlabel("dx / lattice sites")
        ax.set_ylabel("dy / lattice sites")
        ax.figure.colorbar(shown, ax=ax, label="effective coupling $J_{ij}$ / J")
    figure = np.atleast_1d(axes)[0].figure
    figure.tight_layout()
    return figure


def _training_curves(model):
    """``(title, y label, history)`` of each training a fitted model (or pipeline) went through."""
    models = [("sequence model", getattr(model, "rnn_", None)),
              ("EDNN", getattr(model, "ednn_", None))]
    if all(m is None for _, m in models):
        models = [(type(model).__name__, model)]
    curves = []
    for title, fitted in models:
        if fitted is None:
            continue
        if getattr(fitted, "history_", None):
            curves.append((title, _LOSS_LABELS.get(type(fitted).__name__, "loss"),
                           fitted.history_))
        if getattr(fitted, "refinement_history_", None):
            curves.append((f"{title}: pseudo-likelihood refinement",
                           "negative log pseudo-likelihood / nats", fitted.refinement_history_))
    return curves


_LOSS_LABELS = {
    "RNNEnergyModel": "negative log-likelihood per site / nats",
    "EDNNEnergyModel": "mean squared error / energy_scale_$^2$",
}


def plot_training_history(model, axes=None):
    """Training and validation loss per epoch of a fitted model or :class:`DCLPipeline`.

    Parameters
    ----------
    model : RNNEnergyModel, EDNNEnergyModel or DCLPipeline
        A fitted estimator with ``history_`` (a pipeline: its sub-models').
    axes : sequence of matplotlib Axes, optional
        One per training stage (a pipeline has two, three after refinement).

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    curves = _training_curves(model)
    if not curves:
        raise ValueError("model has no training history: fit it first (it needs history_, or "
                         "rnn_ and ednn_ for a pipeline).")
    if axes is None:
        _, axes = plt.subplots(1, len(curves), figsize=(4.5 * len(curves), 3.6), squeeze=False)
        axes = axes[0]
    for ax, (title, ylabel, history) in zip(np.atleast_1d(axes), curves):
        for key, style in (("loss", "-"), ("val_loss", "--")):
            if history.get(key):
                epochs = np.arange(1, len(history[key]) + 1)
                ax.plot(epochs, history[key], style, label="training" if key == "loss"
                        else "validation")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False)
    figure = np.atleast_1d(axes)[0].figure
    figure.tight_layout()
    return figure
