"""Benchmarks of RNNEnergyModel: throughput per architecture and the shared accuracy protocol.

Usage::

    python benchmarks/bench_rnn.py throughput           # table: training and log P snapshots/s
    python benchmarks/bench_rnn.py ising                # 8x8 Ising, T_obs=4, default settings
    python benchmarks/bench_rnn.py potts                # 8x8 Potts q=3, T_obs=2
    python benchmarks/bench_rnn.py ising --cell gru --epochs 5    # any estimator parameter

Accuracy follows DESIGN.md: 100k snapshots from exact Monte Carlo at ``T_obs``, test
configurations from exact Monte Carlo at T = 1, 1.5, 2, 2.5, 3, 4, 6 and uniformly random ones
(1000 of each), RMSE of mean-removed total energies in units of J, overall and per source
temperature, for the raw model and with each symmetry averaging. Speeds are also given as a
ratio to the exact Ising energy evaluation timed in the same run.
"""

import time

import numpy as np

from _cli import run
from skdcl import IsingModel, PottsModel
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.metrics import energy_rmse
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


def main():
    run(__doc__.splitlines()[0], {"throughput": lambda: throughput(),
                                  "ising": lambda **params: accuracy("ising", **params),
                                  "potts": lambda **params: accuracy("potts", **params)})


if __name__ == "__main__":
    main()
