"""Benchmark of DCLPipeline: the main job, stage by stage, against exact results and a baseline.

Usage::

    python benchmarks/bench_pipeline.py ising          # 8x8 Ising, 100k snapshots at T_obs = 4
    python benchmarks/bench_pipeline.py potts          # 8x8 Potts q=3 at T_obs = 2
    python benchmarks/bench_pipeline.py glass          # 8x8 Edwards-Anderson spin glass, T_obs = 4
    python benchmarks/bench_pipeline.py mix            # Ising: effect of the label-set mix
    python benchmarks/bench_pipeline.py ising --n_labels 50000   # any DCLPipeline parameter

Prints the time of each stage, the energy RMSE of the shared protocol (DESIGN.md) of the sequence
model, the EDNN before and after the pseudo-likelihood refinement and the pseudo-likelihood
baseline, per source temperature, then thermodynamics under the learned energy against exact
results.
"""

import copy
import time

import numpy as np
from _cli import run

from skdcl import EdwardsAndersonModel, IsingModel, MetropolisSimulator, PottsModel, ising_exact
from skdcl.baselines import PseudoLikelihoodIsing
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.ednn import EDNNEnergyModel
from skdcl.metrics import energy_offset, energy_rmse
from skdcl.pipeline import DCLPipeline
from skdcl.rnn import RNNEnergyModel


def _rmse_table(model, X_test, source, predictions):
    E = model.energy(X_test)
    labels = ["random" if np.isinf(T) else f"{T:g}" for T in np.unique(source)]
    print(f"{'model':<28}" + "".join(f"{label:>8}" for label in labels) + f"{'all':>8}")
    for name, pred in predictions.items():
        per_T = [energy_rmse(E[source == T], pred[source == T]) for T in np.unique(source)]
        print(f"{name:<28}" + "".join(f"{r:>8.3f}" for r in per_T)
              + f"{energy_rmse(E, pred):>8.3f}", flush=True)


def _refined(ednn, X, T_obs, parameters, epochs):
    """A copy of an EDNN after the pseudo-likelihood refinement, and its time."""
    ednn = copy.deepcopy(ednn)
    start = time.perf_counter()
    ednn.refine_pseudo_likelihood(X, T_obs, parameters=parameters, epochs=epochs,
                                  random_state=0)
    return ednn, time.perf_counter() - start


def ising(**params):
    model, T_obs = IsingModel(), 4.0
    X = make_snapshots(model, 8, T_obs, 100_000, random_state=0)
    X_test, source = make_protocol_test_set(model, 8, 1000, random_state=1)
    pipeline = DCLPipeline(random_state=0, verbose=1).set_params(**params).fit(X, T_obs)
    predictions = {"sequence model (RNN)": pipeline.rnn_.predict(X_test)}
    if pipeline.refine_ == "interactions":
        predictions["window interactions (PL)"] = pipeline.interactions_.predict(X_test)
    predictions[f"EDNN, final (refine={pipeline.refine_})"] = pipeline.predict(X_test)
    # for comparison: the EDNN on the sequence model's own labels, and its refinements
    labels = pipeline.labels_
    start = time.perf_counter()
    on_rnn = EDNNEnergyModel(random_state=0).fit(labels["X"],
                                                 labels.get("sequence_energy", labels["energy"]))
    print(f"EDNN on the sequence model's labels: {time.perf_counter() - start:.0f} s")
    predictions["EDNN on RNN labels"] = on_rnn.predict(X_test)
    for parameters in ("scale", "output", "all"):
        ednn, seconds = _refined(on_rnn, X, T_obs, parameters, pipeline.refine_epochs)
        predictions[f"  + PL refinement, {parameters}"] = ednn.predict(X_test)
        print(f"refinement '{parameters}': {seconds:.0f} s")
    start = time.perf_counter()
    baseline = PseudoLikelihoodIsing().fit(X, T_obs)
    baseline_time = time.perf_counter() - start
    predictions["pseudo-likelihood baseline"] = baseline.predict(X_test)
    print("stage times (s): " + ", ".join(f"{k} {v:.0f}" for k, v in pipeline.timings_.items())
          + f"; total {sum(pipeline.timings_.values()):.0f}; baseline {baseline_time:.0f}")
    print("energy RMSE (J) of the shared protocol, per source temperature:")
    _rmse_table(model, X_test, source, predictions)
    temperatures = [1.5, 2.0, 2.269, 2.5, 3.0, 4.0]
    start = time.perf_counter()
    table = pipeline.simulate(temperatures, 16, n_chains=32, n_sweeps=10_000,
                              n_equilibration=2000)
    table["energy"] += energy_offset(model, pipeline, X)
    exact = ising_exact(16, temperatures)
    print(f"16x16 Monte Carlo under the learned energy ({time.perf_counter() - start:.0f} s), "
          "energies aligned on the observed snapshots' mean:")
    print(f"{'T':>7}{'e':>11}{'+-':>9}{'e exact':>11}{'|diff|':>9}")
    for row, e in zip(table.itertuples(), exact["energy"]):
        print(f"{row.T:>7.3f}{row.energy:>11.5f}{row.energy_err:>9.5f}{e:>11.5f}"
              f"{abs(row.energy - e):>9.5f}")
    peak_T = np.round(np.arange(2.10, 2.50, 0.02), 3)
    start = time.perf_counter()
    scan = pipeline.simulate(peak_T, 16, n_chains=32, n_sweeps=10_000, n_equilibration=2000)
    fine = ising_exact(16, np.linspace(2.0, 2.6, 601))
    exact_peak = fine["T"][fine["specific_heat"].idxmax()]
    peak = scan["T"][scan["specific_heat"].idxmax()]
    print(f"specific-heat peak on 16x16: T = {peak:.3f} (exact {exact_peak:.4f}, "
          f"{100 * abs(peak / exact_peak - 1):.2f}% off; grid step 0.02; "
          f"{time.perf_counter() - start:.0f} s)")
    start = time.perf_counter()
    big = pipeline.simulate([2.0, 2.269, 3.0], 64, n_chains=8, n_sweeps=2000,
                            n_equilibration=1000)
    big["energy"] += energy_offset(model, pipeline, X)
    reference = ising_exact(64, [2.0, 2.269, 3.0])["energy"]
    print(f"64x64 ({time.perf_counter() - start:.0f} s): " + ", ".join(
        f"T={row.T:g} e={row.energy:.4f} (exact {e:.4f})"
        for row, e in zip(big.itertuples(), reference)))


MIXES = {"observed only": (1.0, 0.0, 0.0), "observed + random": (0.8, 0.0, 0.2),
         "tempered only": (0.0, 1.0, 0.0), "default": (0.3, 0.5, 0.2)}


def mix(**params):
    """One sequence model; an EDNN (scale-refined) on the label set of each mix."""
    model, T_obs = IsingModel(), 4.0
    X = make_snapshots(model, 8, T_obs, 100_000, random_state=0)
    X_test, source = make_protocol_test_set(model, 8, 1000, random_state=1)
    pipeline = DCLPipeline(refine=None, random_state=0).set_params(**params).fit(X, T_obs)
    temperatures = [1.5, 2.0, 2.269, 3.0]
    exact = ising_exact(16, temperatures)["energy"].to_numpy()
    predictions, deviations = {}, {}
    for name, fractions in MIXES.items():
        pipeline.set_params(label_mix=fractions)
        # the pipeline's own label-set builder, on the one fitted sequence model
        labels = pipeline._label_set(pipeline.rnn_, X, pipeline._check_mix(),
                                     np.random.RandomState(1))
        pipeline.ednn_ = EDNNEnergyModel(random_state=0).fit(labels["X"], labels["energy"])
        pipeline.ednn_.refine_pseudo_likelihood(X, T_obs)
        predictions[f"{name} {fractions}"] = pipeline.predict(X_test)
        table = pipeline.simulate(temperatures, 16, n_chains=16, n_sweeps=4000,
                                  n_equilibration=2000)
        aligned = table["energy"].to_numpy() + energy_offset(model, pipeline, X)
        deviations[name] = np.abs(aligned - exact)
        print(f"{name}: 16x16 |e - e_exact| at T = {temperatures}: "
              + ", ".join(f"{d:.4f}" for d in deviations[name]), flush=True)
    print("energy RMSE (J) of the shared protocol, EDNN after the scale refinement, "
          "per source temperature; label mix (observed, tempered, random):")
    _rmse_table(model, X_test, source, predictions)


def _compare_thermodynamics(pipeline, X, exact_model, temperatures, L, init, energy="ednn"):
    # Monte Carlo on the sequence model re-evaluates a few dozen conditionals per move: shorter
    kwargs = dict(n_chains=16, n_sweeps=4000 if energy == "ednn" else 500,
                  n_equilibration=2000 if energy == "ednn" else 200, init=init)
    start = time.perf_counter()
    learned = pipeline.simulate(temperatures, L, energy=energy, **kwargs)
    learned["energy"] += energy_offset(exact_model,
                                       pipeline if energy == "ednn" else pipeline.rnn_, X)
    elapsed = time.perf_counter() - start
    exact = MetropolisSimulator(exact_model, random_state=0).thermodynamics(
        temperatures, L, **kwargs)
    print(f"{L}x{L} energy per spin under the learned energy ({energy}, {elapsed:.0f} s, "
          f"aligned on the observed snapshots' mean) vs exact-model Monte Carlo:")
    for row, e, err in zip(learned.itertuples(), exact["energy"], exact["energy_err"]):
        print(f"  T={row.T:<5g} learned {row.energy:.4f}+-{row.energy_err:.4f}  "
              f"exact {e:.4f}+-{err:.4f}  |diff| {abs(row.energy - e):.4f}", flush=True)


def potts(**params):
    model, T_obs = PottsModel(q=3), 2.0
    X = make_snapshots(model, 8, T_obs, 100_000, random_state=0)
    X_test, source = make_protocol_test_set(model, 8, 1000, random_state=1)
    # 3x3 windows (focus 1, context 1): 3**9 states, tabulated for Monte Carlo
    pipeline = DCLPipeline(ednn=EDNNEnergyModel(focus=1), random_state=0, verbose=1)
    pipeline.set_params(**params).fit(X, T_obs)
    print("stage times (s): " + ", ".join(f"{k} {v:.0f}" for k, v in pipeline.timings_.items()))
    _rmse_table(model, X_test, source, {"sequence model (RNN)": pipeline.rnn_.predict(X_test),
                                        "EDNN (final)": pipeline.predict(X_test)})
    _compare_thermodynamics(pipeline, X, model, [0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0], 16,
                            "ordered")


def glass(**params):
    model, T_obs = EdwardsAndersonModel(L=8, random_state=0), 4.0
    X = make_snapshots(model, 8, T_obs, 100_000, random_state=0)
    X_test, source = make_protocol_test_set(model, 8, 1000, random_state=1)
    for shared in (False, True):
        # every weight refined, with a larger learning rate: the labels of a sequence model
        # miss much of the couplings
        pipeline = DCLPipeline(rnn=RNNEnergyModel(symmetrize="none", shared=False),
                               ednn=EDNNEnergyModel(shared=shared), refine="all",
                               refine_learning_rate=1e-2, random_state=0,
                               verbose=1).set_params(**params).fit(X, T_obs)
        held_out = make_snapshots(model, 8, T_obs, 5000, random_state=7)
        print(f"shared={shared}: label-free score {pipeline.score(held_out, T_obs):.5f}; "
              "stage times (s): "
              + ", ".join(f"{k} {v:.0f}" for k, v in pipeline.timings_.items()))
        _rmse_table(model, X_test, source, {"sequence model (RNN)": pipeline.rnn_.predict(X_test),
                                            f"EDNN shared={shared}": pipeline.predict(X_test)})
        _compare_thermodynamics(pipeline, X, model, [1.0, 1.5, 2.0, 3.0, 4.0], 8, "random")
    _compare_thermodynamics(pipeline, X, model, [1.0, 2.0, 4.0], 8, "random", energy="rnn")


def main():
    run(__doc__.splitlines()[0], {"ising": ising, "potts": potts, "glass": glass, "mix": mix})


if __name__ == "__main__":
    main()
