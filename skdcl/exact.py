"""Exact references: finite-lattice Ising thermodynamics and exact enumeration of tiny lattices.

:func:`ising_exact` evaluates the partition function of the periodic ``Ly x Lx`` Ising model
(Kaufman 1949) in the form of Ferdinand & Fisher (1969),

.. math::

    Z = \\tfrac12 (2 \\sinh 2K)^{N/2} \\sum_{i=1}^{4} Z_i, \\quad
    Z_{1,2} = \\prod_{r=0}^{n-1} 2 \\{\\cosh, \\sinh\\}(\\tfrac{m}{2} \\gamma_{2r+1}), \\quad
    Z_{3,4} = \\prod_{r=0}^{n-1} 2 \\{\\cosh, \\sinh\\}(\\tfrac{m}{2} \\gamma_{2r}),

with :math:`\\cosh \\gamma_l = \\cosh 2K \\coth 2K - \\cos(\\pi l / n)` and
:math:`\\gamma_0 = 2K + \\ln \\tanh K`, and takes the first two derivatives in ``K`` analytically.
Everything is done with logarithms and signed log-sum-exp, so it is clean at low temperature and
at the critical point.

:func:`enumerate_exact` sums over every configuration of a lattice of at most 16 sites (a Gray
code visits them, changing one site at a time through the model's local kernel), for any model
that follows the energy-model protocol.
"""

import numba
import numpy as np
import pandas as pd

from .lattice import check_lattice_size, check_temperature

__all__ = ["ising_exact", "enumerate_exact"]


def ising_exact(L, temperatures, J=1.0):
    """Exact energy and specific heat per spin of the periodic Ising model on a finite lattice.

    Parameters
    ----------
    L : int or tuple of two ints
        Lattice side, or ``(Ly, Lx)``.
    temperatures : float or array-like
        Temperatures in units of J / k_B.
    J : float, default=1.0
        Ferromagnetic coupling (> 0).

    Returns
    -------
    table : pandas.DataFrame
        Columns ``T``, ``energy`` (per spin), ``specific_heat`` (per spin), ``free_energy``
        (per spin), one row per temperature.

    Examples
    --------
    >>> row = ising_exact(8, 2.0).iloc[0]
    >>> print(f"{row.energy:.8f} {row.specific_heat:.8f}")
    -1.74568317 0.71412260
    """
    Ly, Lx = check_lattice_size(L)
    J = check_temperature(J, "J")
    temperatures = np.atleast_1d(np.asarray(temperatures, dtype=float))
    for T in temperatures:
        check_temperature(T, "temperatures")
    rows = [_ising_row(Ly, Lx, J / T) for T in temperatures]
    n = Lx * Ly
    table = pd.DataFrame(rows, columns=["log_z", "d1", "d2"])
    K = J / temperatures
    return pd.DataFrame({
        "T": temperatures,
        "energy": -J * table["d1"].to_numpy() / n,
        "specific_heat": K**2 * table["d2"].to_numpy() / n,
        "free_energy": -temperatures * table["log_z"].to_numpy() / n,
    })


def _ising_row(n, m, K):
    """``ln Z`` and its first two derivatives in ``K`` for ``n`` rows of ``m`` spins."""
    N = n * m
    # Prefactor (2 sinh 2K)^(N/2) / 2 and its derivatives.
    log_pre = 0.5 * N * (np.log(2.0) + _log_sinh(2 * K)) - np.log(2.0)
    d1_pre = N / np.tanh(2 * K)
    d2_pre = -2.0 * N / np.sinh(2 * K) ** 2
    # gamma_l and its derivatives for l = 0 .. 2n - 1.
    ell = np.arange(2 * n)
    c = np.cosh(2 * K) / np.tanh(2 * K) - np.cos(np.pi * ell / n)
    dc = 2 * np.cosh(2 * K) - 2 * np.cosh(2 * K) / np.sinh(2 * K) ** 2
    d2c = 4 * np.sinh(2 * K) + 8 * np.cosh(2 * K) ** 2 / np.sinh(2 * K) ** 3 \
        - 4 / np.sinh(2 * K)
    gamma = np.arccosh(np.maximum(c, 1.0))
    gamma[0] = 2 * K + np.log(np.tanh(K))
    sinh_gamma = np.sinh(gamma[1:])
    dgamma = np.empty_like(gamma)
    d2gamma = np.empty_like(gamma)
    dgamma[1:] = dc / sinh_gamma
    d2gamma[1:] = (d2c - np.cosh(gamma[1:]) * dgamma[1:] ** 2) / sinh_gamma
    dgamma[0] = 2 + 1 / (np.sinh(K) * np.cosh(K))
    d2gamma[0] = -np.cosh(2 * K) / (np.sinh(K) * np.cosh(K)) ** 2
    odd, even = slice(1, None, 2), slice(0, None, 2)
    terms = [_log_product(m / 2 * gamma[sel], m / 2 * dgamma[sel], m / 2 * d2gamma[sel], kind)
             for sel in (odd, even) for kind in ("cosh", "sinh")]
    log_abs = np.array([t[0] for t in terms])
    signs = np.array([t[1] for t in terms])
    shift = log_abs.max()
    weights = signs * np.exp(log_abs - shift)
    total = weights.sum()
    w = weights / total
    d1 = np.array([t[2] for t in terms])
    d2 = np.array([t[3] for t in terms])
    mean_d1 = np.dot(w, d1)
    log_z = log_pre + shift + np.log(total)
    return log_z, d1_pre + mean_d1, d2_pre + np.dot(w, d2 + d1**2) - mean_d1**2


def _log_sinh(x):
    return x + np.log1p(-np.exp(-2 * x)) - np.log(2.0)


def _log_product(x, dx, d2x, kind):
    """``log |prod 2 f(x_r)|``, its sign and the first two derivatives of ``log prod f``."""
    ax = np.abs(x)
    log_cosh = ax + np.log1p(np.exp(-2 * ax)) - np.log(2.0)
    if kind == "cosh":
        log_f, sign = log_cosh, 1.0
        ratio = np.tanh(x)  # f'/f
        second = 1 - ratio**2  # (f'/f)' in x
    else:
        with np.errstate(divide="ignore"):
            log_f = ax + np.log(-np.expm1(-2 * ax)) - np.log(2.0)
        sign = float(np.prod(np.sign(x)))
        ratio = 1 / np.tanh(x)
        second = 1 - ratio**2
    log_abs = np.sum(np.log(2.0) + log_f)
    d1 = np.sum(ratio * dx)
    d2 = np.sum(second * dx**2 + ratio * d2x)
    return log_abs, sign, d1, d2


def enumerate_exact(model, shape, temperatures):
    """Exact thermodynamics of a model on a tiny lattice by summing over every configuration.

    Parameters
    ----------
    model : energy model
        Any model of the energy-model protocol with a ``local_kernel`` (exact Hamiltonians,
        fitted EDNNs).
    shape : int or tuple of two ints
        Lattice shape with at most 16 sites (``q ** sites`` configurations are visited).
    temperatures : float or array-like

    Returns
    -------
    table : pandas.DataFrame
        Per-spin ``energy``, ``specific_heat``, ``abs_magnetization``, ``susceptibility`` and
        ``binder``, with the conventions of :meth:`MetropolisSimulator.thermodynamics`
        (Potts: the order parameter ``(q max_k n_k / N - 1) / (q - 1)``), plus ``log_z``.

    Examples
    --------
    >>> from skdcl import IsingModel
    >>> row = enumerate_exact(IsingModel(), 4, 2.0).iloc[0]
    >>> bool(abs(row.energy - ising_exact(4, 2.0).energy[0]) < 1e-10)
    True
    """
    Ly, Lx = check_lattice_size(shape, "shape")
    if Ly * Lx > 16:
        raise ValueError(f"shape must have at most 16 sites for exact enumeration, got {shape}.")
    temperatures = np.atleast_1d(np.asarray(temperatures, dtype=float))
    for T in temperatures:
        check_temperature(T, "temperatures")
    sites = model.sites
    base = np.full((Ly, Lx), sites.values[0], dtype=np.int8)  # the Gray code's start: state 0
    e0 = float(model.energy(base[None])[0])
    kernel = model.local_kernel((Ly, Lx))
    betas = 1.0 / temperatures
    walk = _gray_walker(kernel.delta_energy)
    sums, e_min = walk(base, kernel.params, e0, sites.kernel_values, betas)
    return _boltzmann_table(sums, e_min, temperatures, Ly * Lx)


_WALKERS = {}


def _gray_walker(delta_energy):
    if delta_energy not in _WALKERS:
        _WALKERS[delta_energy] = _make_gray_walker(delta_energy)
    return _WALKERS[delta_energy]


def _make_gray_walker(delta_energy):
    @numba.njit
    def walk(config, params, e0, sites, betas):
        """Boltzmann sums of 1, E, E^2, m, m^2, m^4 relative to the lowest energy seen."""
        n_states, offset, shift = sites
        Ly, Lx = config.shape
        n_sites = Ly * Lx
        total = n_states**n_sites
        sums = np.zeros((betas.shape[0], 6))
        digits = np.zeros(n_sites, dtype=np.int64)
        counts = np.zeros(n_states, dtype=np.int64)
        counts[0] = n_sites
        energy, e_min = e0, e0
        for step in range(total):
            if energy < e_min:  # rescale the sums to the new reference energy
                for t in range(betas.shape[0]):
                    sums[t] *= np.exp(-betas[t] * (e_min - energy))
                e_min = energy
            if n_states == 2:
                m = abs(counts[1] - counts[0]) / n_sites
            else:
                m = (n_states * counts.max() / n_sites - 1.0) / (n_states - 1.0)
            for t in range(betas.shape[0]):
                w = np.exp(-betas[t] * (energy - e_min))
                sums[t, 0] += w
                sums[t, 1] += w * energy
                sums[t, 2] += w * energy * energy
                sums[t, 3] += w * m
                sums[t, 4] += w * m * m
                sums[t, 5] += w * m**4
            if step == total - 1:
                break
            k = 0
            while digits[k] == n_states - 1:  # base-q counter; site k changes (modular Gray code)
                digits[k] = 0
                k += 1
            digits[k] += 1
            i, j = k // Lx, k % Lx
            old = (config[i, j] - offset) >> shift
            new = (old + 1) % n_states
            value = numba.int8(offset + (new << shift))
            energy += delta_energy(config, i, j, value, params)
            counts[old] -= 1
            counts[new] += 1
            config[i, j] = value
        return sums, e_min

    return walk


def _boltzmann_table(sums, e_min, temperatures, n_sites):
    z, e, e2, m1, m2, m4 = (sums[:, k] for k in range(6))
    e, e2, m1, m2, m4 = e / z, e2 / z, m1 / z, m2 / z, m4 / z
    return pd.DataFrame({
        "T": temperatures,
        "energy": e / n_sites,
        "specific_heat": (e2 - e**2) / (n_sites * temperatures**2),
        "abs_magnetization": m1,
        "susceptibility": n_sites * (m2 - m1**2) / temperatures,
        "binder": 1 - m4 / (3 * m2**2),
        "log_z": np.log(z) - e_min / temperatures,
    })
