"""Tests of DCLPipeline.

The default tests use tiny sub-models on 4x4 and 8x8 lattices; the accuracy figures of the issue
(8x8 Ising at T_obs = 4, Potts, Edwards-Anderson) are marked ``slow``.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from skdcl import EdwardsAndersonModel, IsingModel, PottsModel, ising_exact
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.ednn import EDNNEnergyModel
from skdcl.metrics import energy_offset, energy_rmse
from skdcl.montecarlo import local_energy_changes
from skdcl.pipeline import DCLPipeline
from skdcl.rnn import RNNEnergyModel
from skdcl.simulator import MetropolisSimulator

from .roundtrip import assert_round_trips


def _tiny(**params):
    pipeline = DCLPipeline(RNNEnergyModel(units=8, epochs=1, kernel_size=3, random_state=0),
                           EDNNEnergyModel(hidden_layer_sizes=(8,), epochs=2, random_state=0),
                           n_labels=300, refine_epochs=1, random_state=0)
    return pipeline.set_params(**params)


@pytest.fixture(scope="module")
def ising4():
    return make_snapshots(IsingModel(), 4, 3.0, 800, random_state=0)


@pytest.fixture(scope="module")
def fitted(ising4):
    return _tiny().fit(ising4, 3.0)


def test_parameters_of_both_models_are_exposed():
    params = DCLPipeline().get_params(deep=True)
    for name in ("rnn__units", "rnn__cell", "ednn__focus", "ednn__context", "n_labels",
                 "label_mix", "refine"):
        assert name in params
    assert params["ednn__focus"] == 2 and params["rnn__units"] == 64
    pipeline = DCLPipeline().set_params(ednn__focus=1, rnn__units=16)
    assert pipeline.ednn.focus == 1 and pipeline.rnn.units == 16
    # no default instance is shared: other pipelines keep theirs
    other = DCLPipeline()
    assert other.rnn is None and other.get_params()["ednn__focus"] == 2
    assert DCLPipeline().set_params(rnn__units=8).rnn is not DCLPipeline().set_params(
        rnn__units=8).rnn
    with pytest.raises(ValueError, match="Invalid parameter"):
        DCLPipeline().set_params(teacher__units=3)


def test_fit_builds_every_part(ising4, fitted):
    assert fitted.T_obs_ == 3.0 and fitted.lattice_shape_ == (4, 4)
    assert fitted.rnn_ is not fitted.rnn and fitted.ednn_ is not fitted.ednn
    labels = fitted.labels_
    assert len(labels["X"]) == len(labels["energy"]) == len(labels["source"]) <= 300
    sources = set(labels["source"])
    assert {"observed", "random"} <= sources and any(s.startswith("T=") for s in sources)
    # Ising spins, translation invariant: the window interactions label the set
    assert fitted.refine_ == "interactions"
    np.testing.assert_allclose(labels["energy"], fitted.interactions_.predict(labels["X"]))
    np.testing.assert_allclose(labels["sequence_energy"], fitted.rnn_.predict(labels["X"]))
    assert set(fitted.timings_) == {"sequence model and labels", "interactions", "ednn"}
    assert fitted.spin_kind == "ising" and fitted.n_states == 2


def test_sequence_model_labels_with_a_refinement(ising4):
    pipeline = _tiny(refine="scale").fit(ising4, 3.0)
    np.testing.assert_allclose(pipeline.labels_["energy"],
                               pipeline.rnn_.predict(pipeline.labels_["X"]))
    assert set(pipeline.timings_) == {"sequence model and labels", "ednn", "refinement"}
    assert not hasattr(pipeline, "interactions_")


def test_interactions_need_few_window_states():
    X = make_snapshots(PottsModel(q=5), 4, 1.0, 300, random_state=0)
    assert _tiny().fit(X, 1.0).refine_ == "scale"
    with pytest.raises(ValueError, match="refine='interactions' needs"):
        _tiny(refine="interactions").fit(X, 1.0)


def test_models_follow_broken_translations():
    # a spin glass: every bond its own coupling, so no translation is a symmetry
    model = EdwardsAndersonModel(L=4, random_state=0)
    X = make_snapshots(model, 4, 1.5, 4000, random_state=0)
    pipeline = _tiny(rnn__epochs=3, rnn__units=16).fit(X, 1.5)
    assert pipeline.symmetry_.translation_period is None
    assert not pipeline.rnn_.shared_ and not pipeline.ednn_.shared_
    assert pipeline.refine_ == "scale"


def test_label_set_spans_cold_and_hot_energies():
    X = make_snapshots(IsingModel(), 4, 3.0, 3000, random_state=0)
    pipeline = _tiny(rnn__epochs=5, rnn__units=16, refine=None).fit(X, 3.0)
    energies = IsingModel().energy(pipeline.labels_["X"])
    source = pipeline.labels_["source"]
    coldest = min((s for s in set(source) if s.startswith("T=")), key=lambda s: float(s[2:]))
    assert energies[source == coldest].mean() < energies[source == "observed"].mean() \
        < energies[source == "random"].mean()


def test_label_mix_shapes_the_label_set(ising4):
    pipeline = _tiny(label_mix=(1.0, 0.0, 0.0), refine=None).fit(ising4, 3.0)
    assert set(pipeline.labels_["source"]) == {"observed"}
    assert "refinement" not in pipeline.timings_


def test_refine_learning_rate_reaches_the_refinement(ising4):
    unrefined = _tiny(refine=None).fit(ising4, 3.0).predict(ising4[:50])

    def change(rate):
        refined = _tiny(refine="all", refine_learning_rate=rate).fit(ising4, 3.0)
        shift = refined.predict(ising4[:50]) - unrefined
        return np.std(shift)  # the refinement also recentres energies: compare the spread

    assert change(1e-9) < 1e-3 < change(1e-2)


def test_predict_on_any_size_and_energy_protocol(fitted):
    X8 = make_snapshots(IsingModel(), 8, 3.0, 4, random_state=1)
    np.testing.assert_allclose(fitted.predict(np.tile(X8, (1, 2, 2))), 4 * fitted.predict(X8),
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(fitted.energy(X8), fitted.ednn_.predict(X8))
    kernel = fitted.local_kernel((8, 8))
    config = X8[0].copy()
    flipped = config.copy()
    flipped[2, 3] *= -1
    delta = kernel.delta_energy(config, 2, 3, np.int8(-config[2, 3]), kernel.params)
    expected = fitted.predict(flipped[None])[0] - fitted.predict(config[None])[0]
    assert delta == pytest.approx(expected, abs=1e-4)


def test_score_is_the_label_free_pseudo_likelihood(ising4, fitted):
    from skdcl.metrics import pseudo_log_likelihood

    score = fitted.score(ising4[:100], np.full(100, 3.0))
    assert score == pytest.approx(pseudo_log_likelihood(fitted.ednn_, ising4[:100], 3.0))
    assert -np.log(2) - 0.5 < score < 0


def test_sequence_model_is_cached_across_ednn_settings(ising4, tmp_path, capsys):
    first = _tiny(verbose=1, memory=str(tmp_path)).fit(ising4, 3.0)
    assert "taken from the cache" not in capsys.readouterr().out
    second = _tiny(verbose=1, memory=str(tmp_path), ednn__context=0).fit(ising4, 3.0)
    assert "taken from the cache" in capsys.readouterr().out
    np.testing.assert_array_equal(first.labels_["energy"], second.labels_["energy"])
    # each pipeline holds its own copy: changing one leaves the other alone
    assert second.rnn_ is not first.rnn_ and second.labels_["X"] is not first.labels_["X"]
    second.labels_["energy"][:] = 0.0
    assert np.any(first.labels_["energy"] != 0.0)


def test_without_memory_nothing_is_cached(ising4, capsys):
    _tiny(verbose=1).fit(ising4, 3.0)
    _tiny(verbose=1, ednn__context=0).fit(ising4, 3.0)
    assert "taken from the cache" not in capsys.readouterr().out


def test_grid_search_over_locality_without_labels(tmp_path):
    X = make_snapshots(IsingModel(), 8, 2.5, 2000, random_state=0)
    pipeline = _tiny(n_labels=1500, ednn__epochs=10, refine_epochs=3,
                     ednn__hidden_layer_sizes=(16, 16), memory=str(tmp_path))
    search = GridSearchCV(pipeline, {"ednn__focus": [1, 2], "ednn__context": [0, 1]}, cv=2)
    search.fit(X, np.full(len(X), 2.5))
    scores = {(p["ednn__focus"], p["ednn__context"]): s for p, s in
              zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])}
    assert scores[(1, 0)] < min(scores[(1, 1)], scores[(2, 1)])
    assert search.best_params_["ednn__context"] == 1


def test_simulate_under_either_model(fitted):
    table = fitted.simulate([2.0, 4.0], 8, n_chains=4, n_sweeps=20, n_equilibration=5)
    assert list(table["T"]) == [2.0, 4.0] and set(table["L"]) == {8}
    assert np.all(np.isfinite(table["energy"]))
    again = fitted.simulate([2.0, 4.0], 8, n_chains=4, n_sweeps=20, n_equilibration=5)
    np.testing.assert_array_equal(table["energy"], again["energy"])
    rnn = fitted.simulate([3.0], 4, energy="rnn", n_chains=2, n_sweeps=4, n_equilibration=1)
    assert rnn["energy"].notna().all()
    with pytest.raises(ValueError, match="energy must be"):
        fitted.simulate([3.0], 4, energy="exact")


def test_pickle_round_trip(ising4, fitted, tmp_path):
    assert_round_trips(fitted, ising4[:20], tmp_path)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.rnn_.predict(ising4[:20]),
                                  fitted.rnn_.predict(ising4[:20]))
    assert clone(fitted).get_params()["ednn__focus"] == fitted.get_params()["ednn__focus"]


def test_potts_snapshots_are_recognised():
    X = make_snapshots(PottsModel(q=3), 4, 1.0, 400, random_state=0)
    pipeline = _tiny(ednn__focus=1).fit(X, 1.0)
    assert (pipeline.spin_kind, pipeline.n_states) == ("potts", 3)
    assert set(np.unique(pipeline.labels_["X"])) <= {0, 1, 2}
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        pipeline.predict(np.full((1, 4, 4), 3))


@pytest.mark.parametrize("X, y, match", [
    (np.ones((5, 4, 4)), 0.0, "T_obs"),
    (np.ones((5, 4, 4)), np.full(4, 3.0), r"shape \(5,\)"),
    (np.ones((5, 4, 4)), [3.0, 3.0, 3.0, 3.0, 2.0], "one temperature"),
    (np.ones((5, 2, 4, 4)), 3.0, "rank"),
    (np.where(np.eye(4)[None] > 0, np.nan, 1.0).repeat(5, 0), 3.0, "NaN"),
    (np.full((5, 4, 4), 1.5), 3.0, "integer"),
])
def test_bad_inputs(X, y, match):
    with pytest.raises(ValueError, match=match):
        _tiny().fit(X, y)


@pytest.mark.parametrize("params, match", [
    (dict(label_mix=(1.0, 0.0)), "label_mix"),
    (dict(label_mix=(-1.0, 1.0, 1.0)), "label_mix"),
    (dict(label_temperatures=(0.5, -1.0)), "label_temperatures"),
    (dict(n_labels=5), "n_labels"),
    (dict(refine_learning_rate=0.0), "refine_learning_rate"),
])
def test_bad_parameters(ising4, params, match):
    with pytest.raises(ValueError, match=match):
        _tiny(**params).fit(ising4, 3.0)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        DCLPipeline().predict(np.ones((1, 4, 4)))


# ---------------------------------------------------------------------- slow: accuracy figures


@pytest.fixture(scope="module")
def ising8():
    X = make_snapshots(IsingModel(), 8, 4.0, 100_000, random_state=0)
    return DCLPipeline(random_state=0).fit(X, 4.0), X


@pytest.mark.slow
def test_ising_energy_accuracy(ising8):
    ising8, _ = ising8
    X_test, _ = make_protocol_test_set(IsingModel(), 8, 1000, random_state=1)
    E = IsingModel().energy(X_test)
    assert energy_rmse(E, ising8.predict(X_test)) <= 0.3
    assert sum(ising8.timings_.values()) <= 600


@pytest.mark.slow
def test_ising_thermodynamics_on_16x16(ising8):
    pipeline, X = ising8
    temperatures = [1.5, 2.0, 2.269, 2.5, 3.0, 4.0]
    table = pipeline.simulate(temperatures, 16, n_chains=32, n_sweeps=10_000,
                              n_equilibration=2000)
    exact = ising_exact(16, temperatures)["energy"].to_numpy()
    learned = table["energy"].to_numpy() + energy_offset(IsingModel(), pipeline, X)
    assert np.all(np.abs(learned - exact) <= 0.02)


@pytest.mark.slow
def test_ising_specific_heat_peak_on_16x16(ising8):
    pipeline, _ = ising8
    temperatures = np.round(np.arange(2.10, 2.50, 0.02), 3)
    table = pipeline.simulate(temperatures, 16, n_chains=32, n_sweeps=10_000,
                            n_equilibration=2000)
    fine = ising_exact(16, np.linspace(2.0, 2.6, 601))
    exact_peak = fine["T"][fine["specific_heat"].idxmax()]
    peak = table["T"][table["specific_heat"].idxmax()]
    assert abs(peak / exact_peak - 1) <= 0.03


@pytest.mark.slow
def test_potts_energy_down_to_low_temperature():
    potts = PottsModel(q=3)
    X = make_snapshots(potts, 8, 2.0, 100_000, random_state=0)
    # 3x3 windows: 3**9 states, tabulated for Monte Carlo
    pipeline = DCLPipeline(ednn=EDNNEnergyModel(focus=1), random_state=0).fit(X, 2.0)
    temperatures = [0.7, 0.9, 1.0, 1.2, 1.5, 2.0]
    learned = pipeline.simulate(temperatures, 16, n_chains=16, n_sweeps=4000,
                                n_equilibration=2000)
    exact = MetropolisSimulator(potts, random_state=0).thermodynamics(
        temperatures, 16, n_chains=16, n_sweeps=4000, n_equilibration=2000)
    shifted = learned["energy"] + energy_offset(potts, pipeline, X)
    assert np.all(np.abs(shifted - exact["energy"]) <= 0.03)


@pytest.mark.slow
def test_spin_glass_energy_down_to_low_temperature():
    glass = EdwardsAndersonModel(L=8, random_state=0)
    X = make_snapshots(glass, 8, 4.0, 100_000, random_state=0)
    pipeline = DCLPipeline(rnn=RNNEnergyModel(symmetrize="none", shared=False),
                           ednn=EDNNEnergyModel(shared=False), refine="all",
                           refine_learning_rate=1e-2, random_state=0).fit(X, 4.0)
    temperatures = [1.0, 1.5, 2.0, 3.0, 4.0]
    learned = pipeline.simulate(temperatures, 8, n_chains=16, n_sweeps=4000,
                                n_equilibration=2000, init="random")
    exact = MetropolisSimulator(glass, random_state=0).thermodynamics(
        temperatures, 8, n_chains=16, n_sweeps=4000, n_equilibration=2000, init="random")
    shifted = learned["energy"] + energy_offset(glass, pipeline, X)
    assert np.all(np.abs(shifted - exact["energy"]) <= 0.03)


@pytest.mark.parametrize("encoding", ["spins", "labels"])
def test_two_state_snapshots_in_either_encoding(ising4, encoding):
    X = ising4 if encoding == "spins" else ((ising4 + 1) // 2).astype(np.int8)
    pipeline = _tiny(rnn__kind="ising").fit(X, 3.0)
    assert pipeline.sites_.kind == "ising" and pipeline.sites_.two_state
    assert pipeline.ednn_.sites_ == pipeline.interactions_.sites_ == pipeline.sites_
    configs = X[:4]
    changes = local_energy_changes(pipeline.local_kernel((4, 4)), configs, pipeline.sites)
    states = pipeline.sites.states(configs)
    for i, j in [(0, 0), (2, 3)]:
        moved = states.copy()
        moved[:, i, j] = 1 - moved[:, i, j]
        expected = pipeline.predict(pipeline.sites.from_states(moved)) - pipeline.predict(configs)
        np.testing.assert_allclose(changes[:, i, j, 0], expected, rtol=1e-4, atol=1e-4)
    simulated = MetropolisSimulator(pipeline, temperature=3.0, n_sweeps=3,
                                    random_state=0).fit_transform(configs)
    assert set(np.unique(simulated)) <= set(pipeline.sites.values.tolist())
