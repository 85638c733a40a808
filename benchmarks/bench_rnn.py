"""Benchmarks of RNNEnergyModel: throughput per architecture and the shared accuracy protocol.

Usage::

    python benchmarks/bench_rnn.py throughput           # table: training and log P snapshots/s
    python benchmarks/bench_rnn.py ising                # 8x8 Ising, T_obs=4, default settings
    python benchmarks/bench_rnn.py potts                # 8x8 Potts q=3, T_obs=2
    python benchmarks/bench_rnn.py checks               # exact log P, Monte Carlo, sampling
    python benchmarks/bench_rnn.py ising --cell gru --epochs 5    # any estimator parameter

Accuracy follows DESIGN.md: 100k snapshots from exact Monte Carlo at ``T_obs``, test
configurations from exact Monte Carlo at T = 1, 1.5, 2, 2.5, 3, 4, 6 and uniformly random ones
(1000 of each), RMSE of mean-removed total energies in units of J, overall and per source
temperature, for the raw model and with each symmetry averaging. Speeds are also given as a
ratio to the exact Ising energy evaluation timed in the same run.
"""

import itertools
import time

import numpy as np
from _cli import run

from skdcl import IsingModel, MetropolisSimulator, PottsModel, ising_exact
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.metrics import energy_offset, energy_rmse
from skdcl.rnn import RNNEnergyModel

ARCHITECTURES = {
    "masked_conv (default)": dict(cell="masked_conv"),
    "masked_conv units=32": dict(cell="masked_conv", units=32),
    "gru units=128": dict(cell="gru", units=128, layers=1),
}


def throughput(n_train=20_000, n_eval=50_000, L=8, T=4.0):
    """Training and log P evaluation speed of each architecture on 8x8 Ising snapshots."""
    X = make_snapshots(IsingModel(), L, T, max(n_train, n_eval), random_state=0)
    start = time.perf_counter()
    IsingModel().energy(X[:n_eval])
    baseline = n_eval / (time.perf_counter() - start)
    print(f"{'architecture':<24}{'train snapshots/s':>20}{'log P snapshots/s':>20}"
          f"{'log P / exact':>16}")
    for name, params in ARCHITECTURES.items():
        model = RNNEnergyModel(epochs=2, symmetrize="none", validation_fraction=0.0,
                               random_state=0, **params)
        model.fit(X[:n_train // 10], T)  # compile and warm up
        start = time.perf_counter()
        model.set_params(epochs=1).fit(X[:n_train], T)
        fit_time = time.perf_counter() - start
        model._log_prob(X[:1000])
        start = time.perf_counter()
        model._log_prob(X[:n_eval])
        eval_rate = n_eval / (time.perf_counter() - start)
        # a fit includes one evaluation of the training set (the energy offset)
        train_rate = n_train / (fit_time - n_train / eval_rate)
        print(f"{name:<24}{train_rate:>20.0f}{eval_rate:>20.0f}{eval_rate / baseline:>16.3g}")


def accuracy(system, n_samples=100_000, n_test=1000, **params):
    """Fit with default settings (or ``params``) and print the protocol RMSE table."""
    model, L, T_obs = {"ising": (IsingModel(), 8, 4.0), "potts": (PottsModel(q=3), 8, 2.0)}[system]
    X = make_snapshots(model, L, T_obs, n_samples, random_state=0)
    X_test, source = make_protocol_test_set(model, L, n_test, random_state=1)
    E_test = model.energy(X_test)
    estimator = RNNEnergyModel(random_state=0, verbose=1, **params)
    start = time.perf_counter()
    estimator.fit(X, T_obs)
    fit_time = time.perf_counter() - start
    print(f"{system} L={L} T_obs={T_obs} n={n_samples}: fit {fit_time:.0f} s, "
          f"{estimator.n_epochs_} epochs, params {params or 'default'}")
    columns = {}
    for symmetrize in ("none", "dihedral", "full"):
        start = time.perf_counter()
        E = estimator.set_params(symmetrize=symmetrize).predict(X_test)
        columns[symmetrize] = (E, time.perf_counter() - start)
    print(f"{'source T':>9}" + "".join(f"{'RMSE ' + s:>16}" for s in columns))
    for T in np.unique(source):
        rows = source == T
        label = "random" if np.isinf(T) else f"{T:g}"
        print(f"{label:>9}" + "".join(f"{energy_rmse(E_test[rows], E[rows]):>16.3f}"
                                      for E, _ in columns.values()))
    print(f"{'all':>9}" + "".join(f"{energy_rmse(E_test, E):>16.3f}" for E, _ in columns.values()))
    print(f"{'time (s)':>9}" + "".join(f"{t:>16.1f}" for _, t in columns.values()))


def checks(**params):
    """The figures the slow tests assert: exact log P on 4x4, Monte Carlo and sampling on 8x8."""
    ising, T = IsingModel(), 3.0
    X = make_snapshots(ising, 4, T, 60_000, random_state=0)
    held_out = make_snapshots(ising, 4, T, 10_000, random_state=1)
    model = RNNEnergyModel(random_state=0, **params).fit(X, T)
    every = np.array(list(itertools.product((-1, 1), repeat=16)), dtype=np.int8)
    energies = ising.energy(every.reshape(-1, 4, 4))
    exact = (-ising.energy(held_out) / T - np.logaddexp.reduce(-energies / T)).mean()
    print(f"4x4, T = 3: mean log P of 10000 held-out snapshots {model.score(held_out):.4f}, "
          f"exact {exact:.4f} ({100 * abs(model.score(held_out) / exact - 1):.3f}% off)")
    X = make_snapshots(ising, 8, 4.0, 100_000, random_state=0)
    model = RNNEnergyModel(random_state=0, **params).fit(X, 4.0)
    symmetrize = model.symmetrize
    model.set_params(symmetrize="none")  # the compiled kernel runs the raw model
    table = MetropolisSimulator(model, random_state=0).thermodynamics(
        [3.0, 4.0], 8, n_chains=16, n_sweeps=400, n_equilibration=100)
    offset = energy_offset(ising, model, X[:20_000])
    model.set_params(symmetrize=symmetrize)
    for row, e in zip(table.itertuples(), ising_exact(8, [3.0, 4.0])["energy"]):
        print(f"8x8 Monte Carlo under the learned energy (raw model), T = {row.T:g}: "
              f"e = {row.energy + offset:.4f} +- {row.energy_err:.4f}, exact {e:.4f}, "
              f"|diff| {abs(row.energy + offset - e):.4f}")
    sampled = ising.energy(model.sample(20_000, random_state=0)).mean() / 64
    e = ising_exact(8, 4.0)["energy"].iloc[0]
    print(f"20000 samples at T_obs = 4: mean energy per spin {sampled:.4f}, exact {e:.4f}, "
          f"|diff| {abs(sampled - e):.4f}")


def main():
    run(__doc__.splitlines()[0], {"throughput": lambda: throughput(),
                                  "ising": lambda **params: accuracy("ising", **params),
                                  "potts": lambda **params: accuracy("potts", **params),
                                  "checks": checks})


if __name__ == "__main__":
    main()
