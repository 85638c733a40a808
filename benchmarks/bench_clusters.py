"""Cluster moves against Metropolis at the critical point: time per effective sample.

For the 2-d Ising model at T = 2.269 and the 3-state Potts model at its T_c = 0.994973 on L x L
lattices (L = 16, 32, 64), run Metropolis sweeps (the Ising model's vectorised checkerboard
sweep, the generic site-by-site sweep for Potts),
Swendsen-Wang updates (``moves="cluster"``) and their mix (``moves="auto"``: one Metropolis sweep
then one Swendsen-Wang update per sweep) on independent chains, and print for |m| and the energy
the integrated autocorrelation time in sweeps, the cost of a sweep per site, and the time per
effective sample (cost of a sweep times the autocorrelation time) with its ratio to Metropolis.
Chains run on one thread, so times are per core; every run is timed after a warm-up (compiled
code loaded). An autocorrelation time marked ``>`` did not reach Sokal's window: the chains are
too short and the figure is a lower bound.

Run: ``python benchmarks/bench_clusters.py [--quick]``
"""

import argparse
import time

import numba
import numpy as np

from skdcl import IsingModel, PottsModel
from skdcl.montecarlo import sample_model

MODELS = {"ising": (IsingModel(), 2.269), "potts3": (PottsModel(q=3), 0.994973)}
MOVES = ("metropolis", "cluster", "auto")

try:
    from skdcl.montecarlo.diagnostics import integrated_time as _library_time
except ImportError:
    _library_time = None


def integrated_time(x, c=5.0):
    """Integrated autocorrelation time of chains ``(n_chains, n)``; a flag for a short chain.

    Sokal's window: the smallest ``M`` with ``M >= c tau(M)``. Returns ``(tau, converged)``,
    ``converged`` False when no window qualifies (``tau`` is then a lower bound).
    """
    x = np.asarray(x, dtype=float)
    x = x - x.mean()
    n = x.shape[1]
    if not np.any(x):
        return 1.0, True
    spectrum = np.fft.rfft(x, n=2 * n, axis=1)
    acov = np.fft.irfft(spectrum * spectrum.conj(), axis=1)[:, :n].mean(axis=0)
    taus = 2.0 * np.cumsum(acov / acov[0]) - 1.0
    qualifies = np.arange(n) >= c * taus
    converged = bool(qualifies.any())
    tau = taus[np.argmax(qualifies)] if converged else taus[-1]
    if _library_time is not None and converged:
        tau = _library_time(x, c=c)
    return float(tau), converged


def measure(model, T_C, L, moves, n_chains, n_sweeps, seed):
    """Seconds per sweep per chain and the autocorrelation times of |m| and E."""
    configs = model.random_configurations(n_chains, (L, L), random_state=seed)
    sample_model(model, configs[:1], T_C, n_equilibration=2, n_records=2, moves=moves,
                 random_state=seed)
    equilibration = max(200, n_sweeps // 10)
    start = time.perf_counter()
    run = sample_model(model, configs, T_C, n_equilibration=equilibration, n_records=n_sweeps,
                       random_state=seed, moves=moves)
    seconds = (time.perf_counter() - start) / ((equilibration + n_sweeps) * n_chains)
    return seconds, integrated_time(np.abs(run.magnetizations)), integrated_time(run.energies)


def _tau_text(tau):
    value, converged = tau
    return f"{'' if converged else '>'}{value:.1f}"


def main(quick=False):
    numba.set_num_threads(1)
    sizes = (16, 32) if quick else (16, 32, 64)
    n_chains = 4 if quick else 8
    sweeps = {"metropolis": 20000 if quick else 100000, "cluster": 2000 if quick else 10000,
              "auto": 2000 if quick else 10000}
    print(f"{n_chains} chains at T_c, one thread; tau in sweeps, "
          "time per effective sample = time per sweep * tau")
    header = (f"{'model':>6} {'L':>3} {'moves':>10} {'sweeps':>7} {'ns/site':>8} {'tau |m|':>8} "
              f"{'tau E':>7} {'us/eff |m|':>11} {'us/eff E':>9} {'speed-up |m|':>13} "
              f"{'speed-up E':>11}")
    print(header)
    for name, (model, T_C) in MODELS.items():
        for L in sizes:
            base = None
            for moves in MOVES:
                seconds, tau_m, tau_e = measure(model, T_C, L, moves, n_chains, sweeps[moves],
                                                seed=L)
                per_m, per_e = seconds * tau_m[0] * 1e6, seconds * tau_e[0] * 1e6
                base = base or (per_m, per_e)
                print(f"{name:>6} {L:>3} {moves:>10} {sweeps[moves]:>7} "
                      f"{seconds / L**2 * 1e9:>8.2f} {_tau_text(tau_m):>8} "
                      f"{_tau_text(tau_e):>7} {per_m:>11.1f} {per_e:>9.1f} "
                      f"{base[0] / per_m:>13.1f} {base[1] / per_e:>11.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="L = 16 and 32, shorter chains")
    main(parser.parse_args().quick)
