"""Spin-flip attempts per nanosecond of the Metropolis engine, against a numpy baseline.

For every exact model at L = 16, 64 and 256, with one chain and with many chains, time the numba
engine (one thread: the rate per core) and a plain numpy vectorised checkerboard update timed in
the same run, and print both rates and their ratio. The Ising model runs its vectorised
checkerboard sweep (``LocalKernel.sweep``); "ising per-site" runs the same kernel without it,
through the engine's generic site-by-site sweep (the path of lattices with odd sides).

Run: ``python benchmarks/bench_montecarlo.py [--quick]``
"""

import argparse
import time

import numba
import numpy as np

from skdcl import EdwardsAndersonModel, IsingModel, PottsModel
from skdcl.montecarlo import ChainState, run_chains, seed_streams

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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter timings")
    args = parser.parse_args()
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
