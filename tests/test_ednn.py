"""Tests of EDNNEnergyModel.

The default tests use small lattices and few epochs; the accuracy figures of the issue (8x8 Ising
and Potts on exact labels, noise, size transfer, 16x16 thermodynamics, grid search) are marked
``slow``.
"""

import itertools
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from skdcl import IsingModel, MetropolisSimulator, PottsModel, ising_exact
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.ednn import EDNNEnergyModel
from skdcl.ednn._geometry import packed_site_tiles, tile_geometry
from skdcl.ednn._kernel import network_kernel, table_kernel
from skdcl.ednn._refinement import PseudoLikelihoodLoss
from skdcl.metrics import energy_rmse, pseudo_log_likelihood
from skdcl.montecarlo import ChainState, local_energy_changes, run_chains, seed_streams
from skdcl.sites import SiteVariables

from .roundtrip import assert_round_trips

TINY = dict(hidden_layer_sizes=(8, 8), epochs=2, random_state=0)


def _spread(model, L, n, temperatures, seed=0):
    """Configurations from exact Monte Carlo over a range of temperatures."""
    rng = np.random.RandomState(seed)
    parts = [make_snapshots(model, L, T, n // len(temperatures), thin=5, random_state=rng)
             for T in temperatures]
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def ising4():
    X = _spread(IsingModel(), 4, 1200, (1.5, 2.5, 4.0))
    return X, IsingModel().energy(X)


@pytest.fixture(scope="module")
def fitted(ising4):
    X, E = ising4
    return EDNNEnergyModel(**TINY).fit(X, E)


def _flip_differences(model, config, moves):
    base = model.predict(config[None])[0]
    out = []
    for i, j, value in moves:
        moved = config.copy()
        moved[i, j] = value
        out.append(model.predict(moved[None])[0] - base)
    return np.array(out)


def _kernel(model, shape):
    """The model's Monte Carlo kernel; a slow untabulated one comes with a warning."""
    if model.tabulated:
        return model.local_kernel(shape)
    with pytest.warns(UserWarning, match="too many to tabulate"):
        return model.local_kernel(shape)


def _kernel_differences(kernel, config, moves):
    return np.array([kernel.delta_energy(config, i, j, np.int8(value), kernel.params)
                     for i, j, value in moves])


def test_predict_any_size_and_extensive(fitted):
    X8 = make_snapshots(IsingModel(), 8, 2.5, 5, random_state=1)
    tiled = np.tile(X8, (1, 2, 2))  # a 16x16 lattice made of four copies
    np.testing.assert_allclose(fitted.predict(tiled), 4 * fitted.predict(X8), rtol=1e-5)
    assert fitted.predict(np.ones((2, 6, 10))).shape == (2,)
    # flat rows are read as lattices of the fitted shape, never guessed
    shape = fitted.lattice_shape_
    X = make_snapshots(IsingModel(), shape, 2.5, 5, random_state=2)
    np.testing.assert_allclose(fitted.predict(X.reshape(5, -1)), fitted.predict(X))
    with pytest.raises(ValueError, match="sites per row"):
        fitted.predict(np.ones((2, shape[0] * shape[1] + 4), dtype=np.int8))


def test_fit_learns_exact_energies():
    # on 8x8 the 4x4 windows are local: 3000 configurations teach every window pattern
    X = _spread(IsingModel(), 8, 3000, (1.5, 2.5, 4.0))
    model = EDNNEnergyModel(epochs=30, random_state=0).fit(X, IsingModel().energy(X))
    X_test = _spread(IsingModel(), 8, 300, (1.5, 2.5, 4.0), seed=5)
    E_test = IsingModel().energy(X_test)
    assert energy_rmse(E_test, model.predict(X_test)) < 0.1 * E_test.std()
    assert model.score(X_test, E_test) > 0.99
    assert model.n_epochs_ == len(model.history_["loss"])


def test_reproducible_with_random_state(ising4, fitted):
    X, E = ising4
    again = EDNNEnergyModel(**TINY).fit(X, E)
    np.testing.assert_array_equal(again.predict(X[:50]), fitted.predict(X[:50]))


def test_packed_site_tiles_pad_with_moves_that_change_nothing():
    # 5x5 windows of 3x3 tiles on 6x6: a site lies in the windows of one or two tiles per axis
    geometry = tile_geometry((6, 6), 3, 1, 2)
    counts = geometry["site_counts"]
    assert counts.min() < counts.max()
    records = packed_site_tiles(geometry, np.arange(4), 10).reshape(len(counts), -1, 3)
    for site, count in enumerate(counts):
        tiles = geometry["site_tiles"][site, :count]
        np.testing.assert_array_equal(records[site, :count, 0], tiles)
        np.testing.assert_array_equal(records[site, :count, 1], 10 * tiles)
        np.testing.assert_array_equal(records[site, :count, 2],
                                      geometry["site_weights"][site, :count])
        assert not records[site, count:].any()


@pytest.mark.parametrize("params, shape", [
    (dict(focus=2, context=1), (8, 8)),            # tabulated, 2x2 tiles per site
    (dict(focus=1, context=1), (6, 5)),            # tabulated, rectangular, odd side
    (dict(focus=2, context=2), (4, 4)),            # window wider than the lattice: wraps on itself
    (dict(focus=2, context=2), (8, 8)),            # 36-site window: network kernel
    (dict(focus=2, context=1, shared=False), (4, 4)),   # one network per tile
])
def test_local_kernel_matches_energy_differences(ising4, params, shape):
    X, E = ising4
    if shape != (4, 4) and params.get("shared", True) is False:
        pytest.skip("unshared models apply to their own size")
    model = EDNNEnergyModel(**{**TINY, **params}).fit(X, E)
    config = IsingModel().random_configurations(1, shape, random_state=0)[0]
    moves = [(i, j, -config[i, j]) for i, j in [(0, 0), (1, 2), (shape[0] - 1, shape[1] - 1)]]
    kernel = _kernel(model, shape)
    np.testing.assert_allclose(_kernel_differences(kernel, config, moves),
                               _flip_differences(model, config, moves), atol=1e-4)
    window = (model.focus + 2 * model.context) ** 2
    assert model.tabulated == (window <= 20)


@pytest.mark.parametrize("params", [dict(focus=1, context=1), dict(focus=2, context=1)])
def test_potts_kernel_matches_energy_differences(params):
    X = _spread(PottsModel(q=3), 4, 600, (0.7, 1.0, 2.0))
    model = EDNNEnergyModel(**{**TINY, **params}).fit(X, PottsModel(q=3).energy(X))
    assert (model.spin_kind, model.n_states) == ("potts", 3)
    assert model.tabulated == (params["focus"] == 1)
    config = X[0].copy()
    moves = [(i, j, (config[i, j] + k) % 3) for (i, j), k in [((0, 0), 1), ((2, 3), 2)]]
    kernel = _kernel(model, (4, 4))
    np.testing.assert_allclose(_kernel_differences(kernel, config, moves),
                               _flip_differences(model, config, moves), atol=1e-4)


@pytest.mark.parametrize("q", [0, 3])
def test_monte_carlo_tracks_the_model_energy(q):
    model_exact = IsingModel() if q == 0 else PottsModel(q=q)
    X = _spread(model_exact, 4, 600, (1.0, 3.0))
    params = dict(focus=2, context=1) if q == 0 else dict(focus=1, context=1)
    model = EDNNEnergyModel(**{**TINY, **params}).fit(X, model_exact.energy(X))
    configs = model_exact.random_configurations(6, (8, 8), random_state=0)
    state = ChainState(configs, model.energy(configs), seed_streams(6, 0))
    run = run_chains(model.local_kernel((8, 8)), state, 2.0, 30, sites=model.sites)
    assert run.accepted.sum() > 0
    np.testing.assert_allclose(state.energies, model.energy(state.configs), atol=1e-3)


def test_potts_proposals_after_an_ising_model_shares_the_compiled_sweep(fitted):
    # Ising and Potts EDNNs share the table update but not the random bits a move reads
    run_chains(fitted.local_kernel((4, 4)), ChainState(
        np.ones((1, 4, 4), np.int8), np.zeros(1), seed_streams(1, 0)), 2.0, 1)
    X = _spread(PottsModel(q=3), 4, 300, (1.0, 2.0))
    potts = EDNNEnergyModel(**{**TINY, "focus": 1}).fit(X, PottsModel(q=3).energy(X))
    configs = np.zeros((4, 8, 8), dtype=np.int8)
    state = ChainState(configs, potts.energy(configs), seed_streams(4, 0))
    run_chains(potts.local_kernel((8, 8)), state, 1e6, 1, sites=potts.sites)  # all accepted
    counts = np.bincount(state.configs.ravel(), minlength=3)
    assert counts[0] == 0 and min(counts[1:]) > 0.4 * counts.sum()


# Every encoding of the site variables: the network reads a two-state site as one +-1 feature and
# the kernels read state indices, whichever values store it.
ENCODINGS = {
    "ising +-1": (lambda X: X, {}, SiteVariables("ising", 2)),
    "ising 0/1": (lambda X: (X + 1) // 2, {"kind": "ising"},
                  SiteVariables("ising", 2, values="labels")),
    "potts q=2": (lambda X: (X + 1) // 2, {}, SiteVariables("potts", 2)),
    "potts q=3": (None, {}, SiteVariables("potts", 3)),
}


@pytest.fixture(scope="module", params=list(ENCODINGS))
def encoded(request):
    """An EDNN fitted on one encoding of the site variables (tabulated windows)."""
    encode, params, sites = ENCODINGS[request.param]
    if encode is None:
        X = _spread(PottsModel(q=3), 4, 300, (0.7, 2.0))
        E = PottsModel(q=3).energy(X)
        params = {**params, "focus": 1}  # 3 ** 9 window states
    else:
        spins = _spread(IsingModel(), 4, 300, (1.5, 4.0))
        X, E = encode(spins).astype(np.int8), IsingModel().energy(spins)
    model = EDNNEnergyModel(**{**TINY, **params}).fit(X, E)
    assert model.sites == sites and model.tabulated
    return model, X


def _builder_kernel(model, shape, kind):
    build = table_kernel if kind == "table" else network_kernel
    return build(model.model_.get_layer("tiles"), shape, model.energy_scale_)


@pytest.mark.parametrize("kind", ["table", "network"])
def test_kernel_changes_equal_predicted_differences_in_every_encoding(encoded, kind):
    model, _ = encoded
    sites, shape = model.sites, (4, 6)
    configs = sites.random(3, shape, random_state=1)
    kernel = model.local_kernel(shape) if kind == "table" else _builder_kernel(model, shape, kind)
    changes = local_energy_changes(kernel, configs, sites)
    # every single-site move, through predict
    expected = np.zeros(configs.shape + (sites.n_channels,))
    base = model.predict(configs)
    for c, i, j in itertools.product(range(len(configs)), range(shape[0]), range(shape[1])):
        own = sites.states(configs[c, i, j])
        others = [1 - own] if sites.two_state else [k for k in range(sites.n_states) if k != own]
        moved = np.repeat(configs[c][None], len(others), axis=0)
        moved[:, i, j] = sites.from_states(others)
        columns = [0] if sites.two_state else others
        expected[c, i, j, columns] = model.predict(moved) - base[c]
    np.testing.assert_allclose(changes, expected, atol=1e-4)


@pytest.mark.parametrize("kind", ["table", "network"])
def test_monte_carlo_keeps_the_encoding_and_tracks_the_energy(encoded, kind):
    model, X = encoded
    sites, shape = model.sites, (4, 6)
    configs = sites.random(4, shape, random_state=2)
    state = ChainState(configs, model.energy(configs), seed_streams(4, 0))
    run = run_chains(_builder_kernel(model, shape, kind), state, 2.0, 10, sites=sites)
    assert run.accepted.sum() > 0
    assert set(np.unique(state.configs)) <= set(sites.values.tolist())
    np.testing.assert_allclose(state.energies, model.energy(state.configs), atol=1e-3)
    if kind == "table":
        out = MetropolisSimulator(model, temperature=2.0, n_sweeps=3,
                                  random_state=0).fit_transform(X[:8])
        assert set(np.unique(out)) == set(sites.values.tolist())  # 0/1 stays 0/1
        assert not np.array_equal(out, X[:8])


def test_monte_carlo_samples_the_boltzmann_distribution_of_the_model(fitted):
    # every 4x4 configuration: the exact thermal averages under the learned energy
    configs = np.array(list(itertools.product((-1, 1), repeat=16)), dtype=np.int8)
    energies = fitted.predict(configs.reshape(-1, 4, 4))
    T = 3.0
    weights = np.exp(-(energies - energies.min()) / T)
    weights /= weights.sum()
    exact_energy = weights @ energies / 16
    table = MetropolisSimulator(fitted, random_state=0).thermodynamics(
        [T], 4, n_chains=32, n_sweeps=4000, n_equilibration=200, init="random")
    row = table.iloc[0]
    assert abs(row.energy - exact_energy) < 4 * row.energy_err


@pytest.mark.parametrize("kind", ["ising", "potts"])
def test_pseudo_likelihood_loss_matches_the_kernel(kind):
    exact = IsingModel() if kind == "ising" else PottsModel(q=3)
    X = _spread(exact, 4, 300, (1.0, 2.5))
    focus = 2 if kind == "ising" else 1  # tabulated windows either way
    model = EDNNEnergyModel(**TINY, focus=focus).fit(X, exact.energy(X))
    core = model.model_.get_layer("tiles")
    T = 2.0
    loss = PseudoLikelihoodLoss(core, (4, 4), model.energy_scale_ / T)(X[:40].astype("float32"))
    expected = pseudo_log_likelihood(model, X[:40], T)
    assert float(np.mean(loss)) == pytest.approx(-expected, rel=1e-4)


@pytest.fixture(scope="module")
def half_scale():
    """An EDNN fitted to half the true energies, and snapshots at T = 3."""
    labels = _spread(IsingModel(), 8, 3000, (1.5, 2.5, 4.0))
    model = EDNNEnergyModel(epochs=20, random_state=0).fit(labels,
                                                          0.5 * IsingModel().energy(labels))
    X = make_snapshots(IsingModel(), 8, 3.0, 5000, random_state=0)
    held_out = make_snapshots(IsingModel(), 8, 3.0, 1000, random_state=2)
    return model, X, held_out


def test_scale_refinement_corrects_a_wrong_energy_scale(half_scale):
    model, X, held_out = half_scale
    model = pickle.loads(pickle.dumps(model))
    X_test, _ = make_protocol_test_set(IsingModel(), 8, 100, random_state=1)
    E_test = IsingModel().energy(X_test)
    before = energy_rmse(E_test, model.predict(X_test))
    model.refine_pseudo_likelihood(X, 3.0)
    assert model.scale_factor_ == pytest.approx(2.0, rel=0.05)
    assert energy_rmse(E_test, model.predict(X_test)) < before / 5
    assert abs(model.predict(X).mean()) < 1e-6 * 64 * len(X)


@pytest.mark.parametrize("parameters", ["output", "all"])
def test_fine_tuning_raises_the_pseudo_likelihood(half_scale, parameters):
    model, X, held_out = half_scale
    model = pickle.loads(pickle.dumps(model))
    score_before = pseudo_log_likelihood(model, held_out, 3.0)
    model.refine_pseudo_likelihood(X, 3.0, parameters=parameters, epochs=5,
                                   learning_rate=1e-3, random_state=0)
    assert pseudo_log_likelihood(model, held_out, 3.0) > score_before + 0.01
    assert all(w.trainable for w in model.model_.get_layer("tiles").weights)
    with pytest.raises(ValueError, match="parameters must be"):
        model.refine_pseudo_likelihood(X, 3.0, parameters="bias")


def test_grid_search_ranks_blind_settings_last():
    X = _spread(IsingModel(), 8, 2000, (1.5, 2.5, 4.0))
    search = GridSearchCV(EDNNEnergyModel(hidden_layer_sizes=(16, 16), epochs=5,
                                          random_state=0),
                          {"focus": [1, 2], "context": [0, 1]}, cv=2, n_jobs=2)
    search.fit(X, IsingModel().energy(X))
    scores = {(p["focus"], p["context"]): s for p, s in
              zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])}
    assert scores[(1, 0)] < 0.5 < min(scores[(1, 1)], scores[(2, 1)])
    assert search.best_params_["context"] == 1


def test_clone_pickle_joblib(ising4, fitted, tmp_path):
    X, _ = ising4
    assert clone(fitted).get_params() == fitted.get_params()
    fitted.local_kernel((4, 4))  # a cached kernel is not pickled
    assert_round_trips(fitted, X[:20], tmp_path)


def test_verbose_prints_progress(ising4, capsys):
    X, E = ising4
    EDNNEnergyModel(verbose=1, **TINY).fit(X, E)
    assert "[EDNNEnergyModel] epoch 1/2" in capsys.readouterr().out
    EDNNEnergyModel(**TINY).fit(X, E)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("params, X, y, match", [
    (dict(focus=3), np.ones((4, 4, 4)), np.zeros(4), "multiples of focus=3"),
    (dict(context=-1), np.ones((4, 4, 4)), np.zeros(4), "context"),
    (dict(focus=0), np.ones((4, 4, 4)), np.zeros(4), "focus"),
    (dict(hidden_layer_sizes=(8, 0)), np.ones((4, 4, 4)), np.zeros(4), "hidden_layer_sizes"),
    ({}, np.ones((4, 4, 4)), np.zeros(3), r"shape \(4,\)"),
    ({}, np.ones((4, 4, 4)), np.array([0.0, np.nan, 1.0, 2.0]), "NaN"),
    ({}, np.ones((4, 4, 4)), None, "requires y"),
    ({}, [np.ones((4, 4)), np.ones((6, 6))], np.zeros(2), "different lattice shapes"),
    ({}, np.ones((4, 2, 4, 4)), np.zeros(4), "rank"),
    (dict(kind="ising"), np.full((4, 4, 4), 2), np.zeros(4), "Ising spins"),
])
def test_bad_inputs(params, X, y, match):
    with pytest.raises(ValueError, match=match):
        EDNNEnergyModel(**{**TINY, **params}).fit(X, y)


def test_bad_prediction_inputs(ising4, fitted):
    X, E = ising4
    with pytest.raises(ValueError, match="multiples of focus=2"):
        fitted.predict(np.ones((2, 6, 5)))
    with pytest.raises(ValueError, match="multiples of focus=2"):
        fitted.local_kernel((6, 5))
    with pytest.raises(ValueError, match="Ising spins"):
        fitted.predict(np.zeros((2, 4, 4)))
    unshared = EDNNEnergyModel(shared=False, **TINY).fit(X, E)
    with pytest.raises(ValueError, match="applies to that size only"):
        unshared.predict(np.ones((1, 8, 8)))
    with pytest.raises(NotFittedError):
        EDNNEnergyModel().predict(X)


# ---------------------------------------------------------------------- slow: accuracy figures


def _training_set(model, temperatures, n=50_000, L=8):
    X = _spread(model, L, n * len(temperatures) // (len(temperatures) + 1), temperatures)
    random = model.random_configurations(n - len(X), L, random_state=1)
    return np.concatenate([X, random])


ISING_TEMPERATURES = (1.0, 1.5, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0)


@pytest.fixture(scope="module")
def ising8_exact():
    X = _training_set(IsingModel(), ISING_TEMPERATURES)
    E = IsingModel().energy(X)
    return X, E, EDNNEnergyModel(random_state=0).fit(X, E)


@pytest.mark.slow
def test_exact_labels_accuracy_and_size_transfer(ising8_exact):
    _, _, model = ising8_exact
    X_test, _ = make_protocol_test_set(IsingModel(), 8, 1000, random_state=1)
    assert energy_rmse(IsingModel().energy(X_test), model.predict(X_test)) <= 0.05
    X32, _ = make_protocol_test_set(IsingModel(), 32, 200, random_state=2)
    assert energy_rmse(IsingModel().energy(X32), model.predict(X32)) / 16 <= 0.1


@pytest.mark.slow
def test_noisy_labels_are_averaged(ising8_exact):
    X, E, _ = ising8_exact
    noisy = E + np.random.RandomState(3).normal(0.0, 2.0, size=len(E))
    model = EDNNEnergyModel(random_state=0).fit(X, noisy)
    X_test, _ = make_protocol_test_set(IsingModel(), 8, 1000, random_state=1)
    assert energy_rmse(IsingModel().energy(X_test), model.predict(X_test)) <= 0.5


@pytest.mark.slow
def test_thermodynamics_on_16x16(ising8_exact):
    _, _, model = ising8_exact
    temperatures = [1.5, 2.0, 2.269, 2.5, 3.0, 4.0]
    table = MetropolisSimulator(model, random_state=0).thermodynamics(
        temperatures, 16, n_chains=32, n_sweeps=10_000, n_equilibration=2000)
    exact = ising_exact(16, temperatures)["energy"].to_numpy()
    assert np.all(np.abs(table["energy"].to_numpy() - exact) <= 0.01)


@pytest.mark.slow
def test_potts_exact_labels_accuracy():
    potts = PottsModel(q=3)
    X = _training_set(potts, (0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.3, 1.6, 2.0, 3.0))
    # 3x3 windows (each holds every bond of its centre site): 27 one-hot inputs
    model = EDNNEnergyModel(focus=1, random_state=0).fit(X, potts.energy(X))
    X_test, _ = make_protocol_test_set(potts, 8, 1000, random_state=1)
    assert energy_rmse(potts.energy(X_test), model.predict(X_test)) <= 0.1
