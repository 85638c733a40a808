"""Benchmarks of EDNNEnergyModel: accuracy on exact labels, size transfer, noise, Monte Carlo speed.

Usage::

    python benchmarks/bench_ednn.py accuracy     # 8x8 Ising: exact and noisy labels, 32x32 transfer
    python benchmarks/bench_ednn.py potts        # 8x8 Potts q=3, exact labels (focus 1)
    python benchmarks/bench_ednn.py thermo       # 16x16 Monte Carlo under the EDNN vs exact
    python benchmarks/bench_ednn.py grid         # focus/context grid search on exact labels
    python benchmarks/bench_ednn.py speed        # spin flips per ns: tabulated EDNN vs exact Ising
    python benchmarks/bench_ednn.py speed --repeats 9   # more repeats (also --seconds per timing)
    python benchmarks/bench_ednn.py accuracy --epochs 50   # any estimator parameter

Training sets: configurations from exact Monte Carlo at T = 1, 1.25, ..., 6 (a spread that covers
every energy, ordered to disordered) plus uniformly random ones, 50000 in all. Accuracy follows
the shared protocol of DESIGN.md (RMSE of mean-removed total energies over exact Monte Carlo at
T = 1, 1.5, 2, 2.5, 3, 4, 6 and random configurations, drawn with other seeds).
"""

import time

import numba
import numpy as np
from _cli import run

from skdcl import IsingModel, PottsModel
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.ednn import EDNNEnergyModel
from skdcl.metrics import energy_rmse

TRAIN_TEMPERATURES = (1.0, 1.5, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0)


def training_set(model, L=8, n=50_000, temperatures=TRAIN_TEMPERATURES, random_state=0):
    """Configurations spread over energies: exact MC at each temperature plus random spins."""
    rng = np.random.RandomState(random_state)
    per = n // (len(temperatures) + 1)
    parts = [make_snapshots(model, L, T, per, thin=5, init="ordered" if T < 2.5 else "random",
                            random_state=rng) for T in temperatures]
    parts.append(model.random_configurations(n - per * len(temperatures), L, rng))
    X = np.concatenate(parts)
    return X[rng.permutation(len(X))]


def _report(name, model, estimator, L=8, n_test=1000, seed=1):
    X_test, source = make_protocol_test_set(model, L, n_test, random_state=seed)
    E_true, E_pred = model.energy(X_test), estimator.predict(X_test)
    per_T = "  ".join(f"{'rand' if np.isinf(T) else f'{T:g}'}:"
                      f"{energy_rmse(E_true[source == T], E_pred[source == T]):.3f}"
                      for T in np.unique(source))
    print(f"{name}: protocol RMSE {energy_rmse(E_true, E_pred):.4f} J on {L}x{L}  ({per_T})",
          flush=True)
    return energy_rmse(E_true, E_pred)


def accuracy(**params):
    ising = IsingModel()
    X = training_set(ising)
    E = ising.energy(X)
    start = time.perf_counter()
    estimator = EDNNEnergyModel(random_state=0, **params).fit(X, E)
    print(f"fit on {len(X)} exact labels: {time.perf_counter() - start:.0f} s, "
          f"{estimator.n_epochs_} epochs, params {params or 'default'}")
    _report("exact labels", ising, estimator)
    X32, _ = make_protocol_test_set(ising, 32, 200, random_state=2)
    rmse32 = energy_rmse(ising.energy(X32), estimator.predict(X32))
    print(f"size transfer 8x8 -> 32x32: RMSE {rmse32:.3f} J per lattice, "
          f"{rmse32 / 16:.4f} J per 64 spins")
    noisy = E + np.random.RandomState(3).normal(0.0, 2.0, size=len(E))
    start = time.perf_counter()
    estimator = EDNNEnergyModel(random_state=0, **params).fit(X, noisy)
    print(f"fit on labels with 2 J Gaussian noise: {time.perf_counter() - start:.0f} s")
    _report("noisy labels (2 J)", ising, estimator)


def potts(**params):
    model = PottsModel(q=3)
    X = training_set(model, temperatures=(0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.3, 1.6, 2.0, 3.0))
    start = time.perf_counter()
    params = {"focus": 1, **params}  # 3x3 windows: each holds every bond of its centre site
    estimator = EDNNEnergyModel(random_state=0, **params).fit(X, model.energy(X))
    print(f"Potts q=3 ({params}) fit: {time.perf_counter() - start:.0f} s, "
          f"{estimator.n_epochs_} epochs")
    _report("Potts q=3, exact labels", model, estimator)


def thermo(**params):
    from skdcl import MetropolisSimulator, ising_exact

    ising = IsingModel()
    X = training_set(ising)
    estimator = EDNNEnergyModel(random_state=0, **params).fit(X, ising.energy(X))
    temperatures = [1.5, 2.0, 2.269, 2.5, 3.0, 4.0]
    start = time.perf_counter()
    table = MetropolisSimulator(estimator, random_state=0).thermodynamics(
        temperatures, 16, n_chains=32, n_sweeps=10_000, n_equilibration=2000)
    exact = ising_exact(16, temperatures)
    print(f"16x16 Monte Carlo under the EDNN ({time.perf_counter() - start:.0f} s)")
    print(f"{'T':>7}{'e (EDNN MC)':>14}{'+-':>9}{'e exact':>12}{'|diff|':>9}")
    for row, e in zip(table.itertuples(), exact["energy"]):
        print(f"{row.T:>7.3f}{row.energy:>14.5f}{row.energy_err:>9.5f}{e:>12.5f}"
              f"{abs(row.energy - e):>9.5f}")


def grid(**params):
    from sklearn.model_selection import GridSearchCV

    ising = IsingModel()
    X = training_set(ising, n=20_000)
    search = GridSearchCV(EDNNEnergyModel(random_state=0, **params),
                          {"focus": [1, 2, 4], "context": [0, 1, 2]}, cv=3, n_jobs=2)
    start = time.perf_counter()
    search.fit(X, ising.energy(X))
    print(f"grid search, 3-fold, 20000 exact labels ({time.perf_counter() - start:.0f} s): "
          f"mean R^2 per setting")
    for p, score in sorted(zip(search.cv_results_["params"],
                               search.cv_results_["mean_test_score"]),
                           key=lambda item: -item[1]):
        print(f"  focus={p['focus']} context={p['context']}: {score:.6f}")
    print(f"best: {search.best_params_}")


def _chains(model, L, n_chains):
    from skdcl.montecarlo import ChainState, seed_streams

    configs = IsingModel().random_configurations(n_chains, L, random_state=0)
    return ChainState(configs, model.energy(configs), seed_streams(n_chains, 0))


def _rate(kernel, state, T, seconds):
    """Flips per ns of CPU time (one thread): robust to other jobs sharing the cores."""
    from skdcl.montecarlo import run_chains

    n_sweeps = 1
    while True:
        start = time.process_time()
        run_chains(kernel, state, T, n_sweeps)
        elapsed = time.process_time() - start
        if elapsed > seconds:
            return n_sweeps * state.configs.size / elapsed / 1e9
        n_sweeps *= 2


def speed(repeats=5, seconds=0.2, **params):
    ising = IsingModel()
    X = training_set(ising, n=5000)
    estimator = EDNNEnergyModel(epochs=5, random_state=0, **params).fit(X, ising.energy(X))
    network = EDNNEnergyModel(epochs=1, random_state=0, **params).fit(X, ising.energy(X))
    numba.set_num_threads(1)
    T = 2.269
    print(f"Metropolis spin-flip attempts per ns of CPU time, one thread, T = {T}, medians of "
          f"{repeats} interleaved repeats (ratios: medians of the ratios within a repeat)")
    print("exact: Ising vectorised checkerboard sweep; exact/site: the same model through the "
          "per-site path; EDNN lanes: tabulated EDNN, lane sweep (groups of 32 chains side by "
          "side, the default with 32 or more chains); EDNN sweep: colour-class sweep of one "
          "chain at a time (the default with fewer); EDNN site: per-site path")
    print(f"{'L':>5}{'chains':>8}{'exact':>8}{'exact/site':>12}{'EDNN lanes':>12}"
          f"{'EDNN sweep':>12}{'EDNN site':>11}{'lanes/exact':>13}{'sweep/exact':>13}"
          f"{'EDNN net':>10}")
    for L, n_chains in ((16, 32), (64, 1), (64, 16), (64, 32), (64, 64), (256, 32)):
        exact_kernel = ising.local_kernel((L, L))
        table_kernel = estimator.local_kernel((L, L))
        runs = {"exact": (exact_kernel, ising),
                "exact/site": (exact_kernel._replace(sweep=None), ising),
                "lanes": (table_kernel, estimator),
                "sweep": (table_kernel._replace(lane_sweep=None, lane_width=0), estimator),
                "site": (table_kernel._replace(sweep=None, lane_sweep=None, lane_width=0,
                                               acceptance_table=None), estimator)}
        if n_chains < table_kernel.lane_width:
            del runs["lanes"]
        states = {name: _chains(model, L, n_chains) for name, (_, model) in runs.items()}
        for name, (kernel, _) in runs.items():
            _rate(kernel, states[name], T, 0.0)  # compile
        rates = {name: [] for name in runs}
        for _ in range(repeats):
            for name, (kernel, _) in runs.items():
                rates[name].append(_rate(kernel, states[name], T, seconds))
        rates = {name: np.array(values) for name, values in rates.items()}
        rates.setdefault("lanes", np.full(repeats, np.nan))
        median = {name: float(np.median(values)) for name, values in rates.items()}
        net = (_rate(network._network_kernel((L, L)), _chains(network, L, n_chains), T, 0.3)
               if L == 16 else np.nan)
        print(f"{L:>5}{n_chains:>8}{median['exact']:>8.3f}{median['exact/site']:>12.3f}"
              f"{median['lanes']:>12.3f}{median['sweep']:>12.3f}{median['site']:>11.3f}"
              f"{np.median(rates['lanes'] / rates['exact']):>13.3f}"
              f"{np.median(rates['sweep'] / rates['exact']):>13.3f}{net:>10.4f}", flush=True)
    _keras_rate(estimator, X)


def _keras_rate(estimator, X):
    """Baseline: one Keras call per proposal (what the compiled kernels avoid)."""
    config = X[:1].copy()
    start = time.perf_counter()
    n = 50
    for k in range(n):
        proposal = config.copy()
        proposal[0, k % 8, (k // 8) % 8] *= -1
        estimator.model_.predict_on_batch(proposal.astype(np.float32))
    print(f"Keras call per proposal: {n / (time.perf_counter() - start) / 1e9:.2e} flips per ns")


def main():
    run(__doc__.splitlines()[0], {"accuracy": accuracy, "potts": potts, "thermo": thermo,
                                  "grid": grid, "speed": speed})


if __name__ == "__main__":
    main()
