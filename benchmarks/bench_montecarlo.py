"""Spin-flip attempts per nanosecond of the Metropolis engine, against a numpy baseline.

For every exact model at L = 16, 64 and 256, with one chain and with many chains, time the numba
engine (one thread: the rate per core) and a plain numpy vectorised checkerboard update timed in
the same run, and print both rates and their ratio. The Ising model runs its vectorised
checkerboard sweep (``LocalKernel.sweep``); "ising per-site" runs the same kernel without it,
through the engine's generic site-by-site sweep (the path of lattices with odd sides).

The ``diagnostics`` section measures the error bars and adaptive runs of
``MetropolisSimulator.thermodynamics``: the honesty ratio (spread of the energy and order-parameter
estimates over many seeds, divided by their mean reported error; 1 is honest) of 16x16 Ising at
T = 2.3 with 2 chains of 200 sweeps, beside the 2-block-per-chain jackknife used before on the same
runs; then default (adaptive) runs of 128x128 and 256x256 Ising at T = 2.269 against Kaufman's
exact energy, with their diagnostics and run time (all threads).

Replica exchange and cluster moves have their own scripts (``bench_tempering.py``,
``bench_clusters.py``), and Monte Carlo under a learned model (the tabulated EDNN's colour and
lane sweeps against the exact sweep, timed in the same run) is ``bench_ednn.py speed``.

Run: ``python benchmarks/bench_montecarlo.py [speed | diagnostics] [--quick] [--seeds N]
[--moves auto|metropolis]``
"""

import argparse
import time
import warnings

import numba
import numpy as np
from sklearn.utils import check_random_state

from skdcl import EdwardsAndersonModel, IsingModel, MetropolisSimulator, PottsModel, ising_exact
from skdcl.montecarlo import (
    ChainState,
    bin_means,
    jackknife,
    observable_series,
    run_chains,
    sample_model,
    seed_streams,
)
from skdcl.montecarlo.diagnostics import ConvergenceWarning

TEMPERATURE = {"ising": 2.269, "potts": 1.0, "edwards_anderson": 1.0}


def numpy_checkerboard(model, configs, temperature, n_sweeps, rng):
    """Baseline: vectorised checkerboard Metropolis with np.roll, over all chains at once."""
    n, Ly, Lx = configs.shape
    parity = (np.add.outer(np.arange(Ly), np.arange(Lx)) % 2)[None]
    q = model.n_states
    for _ in range(n_sweeps):
        for colour in (0, 1):
            mask = parity == colour
            if model.spin_kind == "potts":
                new = (configs + rng.integers(1, q, size=configs.shape)) % q
                dE = np.zeros(configs.shape)
                for axis in (1, 2):
                    for shift in (1, -1):
                        nb = np.roll(configs, shift, axis=axis)
                        dE -= model.J * ((nb == new).astype(float) - (nb == configs))
            else:
                if isinstance(model, EdwardsAndersonModel):
                    Jx, Jy = model.Jx, model.Jy
                    field = (Jx * np.roll(configs, -1, 2)
                             + np.roll(Jx, 1, 1) * np.roll(configs, 1, 2)
                             + Jy * np.roll(configs, -1, 1)
                             + np.roll(Jy, 1, 0) * np.roll(configs, 1, 1))
                else:
                    field = sum(np.roll(configs, s, a) for a in (1, 2) for s in (1, -1))
                dE = 2.0 * configs * field
                new = -configs
            accept = mask & (rng.random(configs.shape) < np.exp(-np.maximum(dE, 0) / temperature))
            configs = np.where(accept, new, configs).astype(np.int8)
    return configs


def rate(seconds, n_sweeps, configs):
    return n_sweeps * configs.size / seconds / 1e9


def time_numba(model, L, n_chains, temperature, budget, per_site=False):
    configs = model.random_configurations(n_chains, L, random_state=0)
    state = ChainState(configs, model.energy(configs), seed_streams(n_chains, 0))
    kernel = model.local_kernel((L, L))
    if per_site:
        kernel = kernel._replace(sweep=None)
    run_chains(kernel, state, temperature, 1, sites=model.sites)  # compile
    n_sweeps = max(2, int(budget * 1e8 / configs.size))
    start = time.perf_counter()
    run_chains(kernel, state, temperature, n_sweeps, sites=model.sites)
    return rate(time.perf_counter() - start, n_sweeps, configs)


def time_numpy(model, L, n_chains, temperature, budget):
    configs = model.random_configurations(n_chains, L, random_state=0)
    rng = np.random.default_rng(0)
    n_sweeps = max(2, int(budget * 4e6 / configs.size))
    start = time.perf_counter()
    numpy_checkerboard(model, configs, temperature, n_sweeps, rng)
    return rate(time.perf_counter() - start, n_sweeps, configs)


def honesty(n_seeds, moves="auto"):
    """Spread of the estimates over their mean reported error, new errors and the old jackknife."""
    model, L, T = IsingModel(), 16, 2.3
    settings = {"n_chains": 2, "n_sweeps": 200, "moves": moves}
    names = ("energy", "abs_magnetization")
    values, errors, old_errors = ([], [], []), ([], []), ([], [])
    for seed in range(n_seeds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            row = MetropolisSimulator(model, random_state=seed).thermodynamics(
                [T], L, **settings).iloc[0]
        # the same chains again (the table's seed derivation), for the 2-block jackknife
        run_seed = check_random_state(seed).randint(0, 2**31 - 1, size=1)[0]
        run = sample_model(model, np.ones((2, L, L), dtype=np.int8), T, n_equilibration=500,
                           n_records=200, random_state=run_seed, moves=moves)
        bins = bin_means(observable_series(run, L * L))
        for k, (name, column) in enumerate(zip(names, (0, 2))):
            values[k].append(row[name])
            errors[k].append(row[name + "_err"])
            old_errors[k].append(jackknife(bins, lambda mu, c=column: mu[c])[1])
    print(f"Error-bar honesty: {L}x{L} Ising, T = {T}, 2 chains x 200 sweeps, moves={moves!r}, "
          f"{n_seeds} seeds (std of estimates / mean reported error; 1 is honest)")
    print(f"{'observable':<20}{'std':>10}{'mean err':>10}{'ratio':>8}{'old err':>10}"
          f"{'old ratio':>11}")
    for k, name in enumerate(names):
        spread = np.std(values[k], ddof=1)
        error, old = np.mean(errors[k]), np.mean(old_errors[k])
        print(f"{name:<20}{spread:>10.4f}{error:>10.4f}{spread / error:>8.2f}{old:>10.4f}"
              f"{spread / old:>11.2f}", flush=True)


def kaufman(sizes, T=2.269, moves="auto"):
    """Default adaptive runs near T_c against Kaufman's exact energy, with their run time."""
    print(f"Default thermodynamics([{T}], L, moves={moves!r}) of Ising against Kaufman "
          f"({numba.config.NUMBA_NUM_THREADS} threads)")
    print(f"{'L':>5}{'energy':>11}{'err':>9}{'exact':>11}{'dev/err':>9}{'ESS e':>8}{'R-hat e':>9}"
          f"{'R-hat |m|':>10}{'conv':>6}{'sweeps':>9}{'time s':>8}")
    for L in (8,) + tuple(sizes):  # the first one compiles
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            row = MetropolisSimulator(IsingModel(), random_state=0).thermodynamics(
                [T], L, moves=moves).iloc[0]
        elapsed = time.perf_counter() - start
        if L == 8:
            continue
        exact = ising_exact(L, T).energy[0]
        print(f"{L:>5}{row.energy:>11.6f}{row.energy_err:>9.6f}{exact:>11.7f}"
              f"{(row.energy - exact) / row.energy_err:>9.2f}{row.energy_ess:>8.0f}"
              f"{row.energy_rhat:>9.4f}{row.abs_magnetization_rhat:>10.4f}"
              f"{str(bool(row.converged)):>6}{row.n_sweeps + row.n_equilibration:>9}"
              f"{elapsed:>8.0f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("section", nargs="?", choices=("speed", "diagnostics"), default="speed",
                        help="sweep speed (default) or error bars and adaptive runs")
    parser.add_argument("--quick", action="store_true",
                        help="shorter timings; diagnostics without the 256x256 run")
    parser.add_argument("--seeds", type=int, default=30, help="seeds of the honesty ratio (30)")
    parser.add_argument("--moves", choices=("auto", "metropolis"), default="auto",
                        help="moves of the diagnostics runs (the default of thermodynamics)")
    args = parser.parse_args()
    if args.section == "diagnostics":
        honesty(args.seeds, args.moves)
        kaufman((128,) if args.quick else (128, 256), moves=args.moves)
        return
    budget = 0.3 if args.quick else 1.0
    numba.set_num_threads(1)
    models = {"ising": IsingModel(), "ising per-site": IsingModel(), "potts": PottsModel(q=3)}
    print("Metropolis spin-flip attempts per ns, one thread (numba) vs numpy checkerboard")
    print(f"{'model':<18}{'L':>5}{'chains':>8}{'numba':>10}{'numpy':>10}{'ratio':>9}")
    for L in (16, 64, 256):
        models["edwards_anderson"] = EdwardsAndersonModel(L=L, random_state=0)
        for name, model in models.items():
            for n_chains in (1, max(1, 4096 // (L * L)) * 16):
                T = TEMPERATURE[name.split()[0]]
                fast = time_numba(model, L, n_chains, T, budget, per_site=name.endswith("per-site"))
                slow = time_numpy(model, L, n_chains, T, budget)
                print(f"{name:<18}{L:>5}{n_chains:>8}{fast:>10.3f}{slow:>10.4f}{fast / slow:>9.1f}",
                      flush=True)


if __name__ == "__main__":
    main()
