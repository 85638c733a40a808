"""Benchmark of DCL on systems of unknown symmetry, against the pairwise pseudo-likelihood baseline.

Usage::

    python benchmarks/bench_generality.py all            # every system, one row each
    python benchmarks/bench_generality.py field          # one system
    python benchmarks/bench_generality.py anisotropic --refine all   # any DCLPipeline parameter
    python benchmarks/bench_generality.py potts7         # cost of averaging over Potts labels

Every system: 1e5 8x8 snapshots at its ``T_obs`` (exact Monte Carlo, seed 0), ``DCLPipeline``
with default settings (Potts: EDNN focus 1, whose 3x3 windows are tabulated for Monte Carlo),
the shared protocol's test set (seed 1). Printed per system: the symmetry group detected, the
protocol energy RMSE of the sequence model, of the final EDNN and of
``PseudoLikelihoodIsing`` fitted on the same snapshots (Ising-type systems), the fit time, and
16x16 energy per spin under the learned energy against exact-model Monte Carlo (largest
``|diff|`` over a grid of temperatures from 0.4 to 1 times ``T_obs``). A summary table ends
``all``.

Both sides of the 16x16 comparison run adaptively (``n_sweeps="auto"``: 16 chains from the
ordered state until the energy has ``TARGET_ESS`` effective samples), with 1000 sweeps
discarded before the first round (without them the transient from the ordered start biased the
exact Potts energy at ``T = 1.2`` by -0.0025 J); every row prints the error of each side,
its split R-hat and whether it converged (a ``!`` marks a side that did not). The column
``model`` measures the learned energy's error without any Monte Carlo under it: over 16x16
snapshots of the exact model at that temperature (``N_CHECK`` of them) it reweights the
learned minus exact energy to the learned Boltzmann distribution,
``<E_learned>_learned - <E_exact>_exact`` (per spin, offset as above); where it agrees with
``diff`` the difference is the model's, not the Monte Carlo's.
"""

import time

import numpy as np
from _cli import run

from skdcl import IsingModel, MetropolisSimulator, PottsModel
from skdcl.baselines import PseudoLikelihoodIsing
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.ednn import EDNNEnergyModel
from skdcl.metrics import energy_offset, energy_rmse
from skdcl.pipeline import DCLPipeline

#: name: (exact model, T_obs, what it tests)
SYSTEMS = {
    "ising": (IsingModel(), 4.0, "isotropic: every symmetry"),
    "anisotropic": (IsingModel(J=(1.0, 0.5)), 3.0, "Jx != Jy: no 90-degree rotation"),
    "field": (IsingModel(h=0.3), 4.0, "field: no spin flip"),
    "afm_field": (IsingModel(J=(-1.0, -1.0), h=0.5), 3.0,
                  "antiferromagnet in a field: no flip, negative couplings"),
    "plaquette": (IsingModel(K=0.5), 4.0, "four-spin plaquette term: not pairwise"),
    "potts": (PottsModel(q=3), 2.0, "q = 3 Potts: label permutations"),
}
L_OBS, N_SNAPSHOTS, L_SIM = 8, 100_000, 16
TEMPERATURE_FRACTIONS = (0.4, 0.5, 0.6, 0.75, 1.0)
#: Effective samples of the energy per temperature and side, and exact snapshots per
#: temperature for the Monte-Carlo-free model error.
TARGET_ESS, N_CHECK = 2000, 4000


def _pipeline(model, params):
    ednn = EDNNEnergyModel(focus=1) if model.spin_kind == "potts" else EDNNEnergyModel()
    return DCLPipeline(ednn=ednn, random_state=0, verbose=1).set_params(**params)


def _model_error(pipeline, model, T, offset, L):
    """``<E_learned>_learned - <E_exact>_exact`` per spin at ``T``, from exact snapshots alone
    (reweighted by ``exp(-(E_learned - E_exact) / T)``; the learned energy offset by
    ``offset`` per spin)."""
    snapshots = make_snapshots(model, L, T, N_CHECK, random_state=2)
    n_sites = L * L
    exact = model.energy(snapshots)
    learned = pipeline.predict(snapshots) + offset * n_sites
    log_w = -(learned - exact) / T
    w = np.exp(log_w - log_w.max())
    return (np.sum(w * learned) / np.sum(w) - exact.mean()) / n_sites


def _thermodynamics(pipeline, model, X, T_obs):
    temperatures = [round(f * T_obs, 4) for f in TEMPERATURE_FRACTIONS]
    kwargs = dict(n_chains=16, n_sweeps="auto", n_equilibration=1000, target_ess=TARGET_ESS,
                  init="ordered")
    start = time.perf_counter()
    learned = pipeline.simulate(temperatures, L_SIM, random_state=0, **kwargs)
    offset = energy_offset(model, pipeline, X)
    learned["energy"] += offset
    exact = MetropolisSimulator(model, random_state=1).thermodynamics(temperatures, L_SIM,
                                                                      **kwargs)
    diff = np.abs(learned["energy"].to_numpy() - exact["energy"].to_numpy())
    error = np.hypot(learned["energy_err"].to_numpy(), exact["energy_err"].to_numpy())
    print(f"{L_SIM}x{L_SIM} energy per spin, learned vs exact-model Monte Carlo (R-hat, ! = "
          f"not converged; model: learned minus exact from exact snapshots, no learned-model "
          f"Monte Carlo):")
    for T, a, b, d, s in zip(temperatures, learned.itertuples(), exact.itertuples(), diff, error):
        flags = ["" if side.converged else "!" for side in (a, b)]
        shift = _model_error(pipeline, model, T, offset, L_SIM)
        print(f"  T={T:<6g} learned {a.energy:.4f}+-{a.energy_err:.4f} ({a.energy_rhat:.3f}"
              f"{flags[0]})  exact {b.energy:.4f}+-{b.energy_err:.4f} ({b.energy_rhat:.3f}"
              f"{flags[1]})  |diff| {d:.4f} (+-{s:.4f})  model {shift:+.4f}", flush=True)
    print(f"  ({time.perf_counter() - start:.0f} s; sweeps per chain measured, learned / exact: "
          f"{', '.join(f'{m}/{n}' for m, n in zip(learned['n_sweeps'], exact['n_sweeps']))})")
    worst = int(np.argmax(diff))
    return diff[worst], temperatures[worst]


def system(name, **params):
    """Fit, measure and print one system; returns its summary row."""
    model, T_obs, about = SYSTEMS[name]
    print(f"== {name}: {model!r}, T_obs = {T_obs} ({about})", flush=True)
    X = make_snapshots(model, L_OBS, T_obs, N_SNAPSHOTS, random_state=0)
    X_test, _ = make_protocol_test_set(model, L_OBS, 1000, random_state=1)
    E_test = model.energy(X_test)
    start = time.perf_counter()
    pipeline = _pipeline(model, params).fit(X, T_obs)
    fit_seconds = time.perf_counter() - start
    row = {"system": name, "group": ",".join(pipeline.symmetry_.generators) or "none",
           "rnn": energy_rmse(E_test, pipeline.rnn_.predict(X_test)),
           "ednn": energy_rmse(E_test, pipeline.predict(X_test)), "baseline": np.nan,
           "fit_s": fit_seconds}
    print(pipeline.symmetry_.describe())
    if model.spin_kind == "ising":
        baseline = PseudoLikelihoodIsing().fit(X, T_obs)
        row["baseline"] = energy_rmse(E_test, baseline.predict(X_test))
    print(f"protocol energy RMSE (J): sequence model {row['rnn']:.3f}, EDNN {row['ednn']:.3f}, "
          f"pseudo-likelihood baseline {row['baseline']:.3f}; fit {fit_seconds:.0f} s "
          f"({', '.join(f'{k} {v:.0f}' for k, v in pipeline.timings_.items())})", flush=True)
    row["de"], row["de_T"] = _thermodynamics(pipeline, model, X, T_obs)
    return row


def _summary(rows):
    print(f"{'system':<12}{'RNN':>8}{'EDNN':>8}{'PL':>8}{'EDNN/PL':>9}{'16x16 |de|':>12}"
          f"{'at T':>7}{'fit s':>7}  group")
    for r in rows:
        print(f"{r['system']:<12}{r['rnn']:>8.3f}{r['ednn']:>8.3f}{r['baseline']:>8.3f}"
              f"{r['ednn'] / r['baseline']:>9.2f}{r['de']:>12.4f}{r['de_T']:>7g}"
              f"{r['fit_s']:>7.0f}  {r['group']}", flush=True)


def potts_large_q(**params):
    """Cost of label-permutation averaging at large q: fit and predict on 4x4, q = 7."""
    from skdcl.rnn import RNNEnergyModel

    model = PottsModel(q=7)
    X = make_snapshots(model, 4, 1.0, 3000, random_state=0)
    estimator = RNNEnergyModel(symmetrize="full", epochs=2, random_state=0).set_params(**params)
    start = time.perf_counter()
    estimator.fit(X, 1.0)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    estimator.predict(X[:5])
    print(f"Potts q = 7, 4x4, symmetrize='full': {estimator._group(True).size} images per "
          f"configuration (not 8 * 7! = 40320); fit {fit_seconds:.1f} s, predict 5 snapshots "
          f"{time.perf_counter() - start:.2f} s")


def all_systems(**params):
    rows = [system(name, **params) for name in SYSTEMS]
    _summary(rows)


def main():
    commands = {name: (lambda name=name, **params: _summary([system(name, **params)]))
                for name in SYSTEMS}
    commands["all"] = all_systems
    commands["potts7"] = potts_large_q
    run(__doc__.splitlines()[0], commands)


if __name__ == "__main__":
    main()
