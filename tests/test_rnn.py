"""Tests of RNNEnergyModel.

The default tests use tiny networks and a 4x4 lattice and run in seconds; the accuracy figures
of the issue (8x8 Ising and Potts, exact log P on 4x4, Monte Carlo and sampling) are marked
``slow``.
"""

import itertools
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skdcl import EdwardsAndersonModel, IsingModel, PottsModel
from skdcl.datasets import make_protocol_test_set, make_snapshots
from skdcl.exact import ising_exact
from skdcl.metrics import energy_offset, energy_rmse
from skdcl.montecarlo import ChainState, local_energy_changes, run_chains, seed_streams
from skdcl.rnn import RNNEnergyModel
from skdcl.sites import SiteVariables
from skdcl.symmetry import POINT_GENERATORS, SymmetryGroup

from .roundtrip import assert_round_trips

TINY = dict(units=8, epochs=1, batch_size=64, random_state=0)


def _ising_snapshots(L=4, T=3.0, n=1000, seed=0):
    return make_snapshots(IsingModel(), L, T, n, random_state=seed)


@pytest.fixture(scope="module")
def ising4():
    return _ising_snapshots()


@pytest.fixture(scope="module")
def fitted(ising4):
    return RNNEnergyModel(symmetrize="full", **TINY).fit(ising4, 3.0)


def _all_configurations(values, shape):
    n = shape[0] * shape[1]
    return np.array(list(itertools.product(values, repeat=n)), dtype=np.int8).reshape((-1,) + shape)


@pytest.mark.parametrize("cell", ["masked_conv", "gru"])
@pytest.mark.parametrize("ordering", ["snake", "raster", "spiral"])
def test_probabilities_sum_to_one(ising4, cell, ordering):
    model = RNNEnergyModel(cell=cell, ordering=ordering, symmetrize="none", **TINY)
    model.fit(ising4, 3.0)
    total = np.exp(model.score_samples(_all_configurations((-1, 1), (4, 4)))).sum()
    assert total == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("cell", ["masked_conv", "gru"])
def test_potts_probabilities_sum_to_one(cell):
    X = make_snapshots(PottsModel(q=3), 3, 1.0, 300, random_state=0)
    model = RNNEnergyModel(cell=cell, symmetrize="none", **TINY).fit(X, 1.0)
    assert (model.spin_kind, model.n_states) == ("potts", 3)
    total = np.exp(model.score_samples(_all_configurations(range(3), (3, 3)))).sum()
    assert total == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("cell", ["masked_conv", "gru"])
def test_sampling_steps_match_teacher_forcing(ising4, cell):
    model = RNNEnergyModel(cell=cell, **TINY).fit(ising4, 3.0)
    core = model.model_.layers[-1]
    sequences = np.random.default_rng(0).choice([-1.0, 1.0], size=(5, 16)).astype(np.float32)
    full = np.asarray(model.model_(sequences))
    state = core.initial_state(5)
    for t in range(16):
        logits, state = core.step(sequences, t, state)
        np.testing.assert_allclose(logits, full[:, t], atol=1e-5)


def test_position_weights_keep_a_normalised_model_and_exact_kernel(ising4):
    model = RNNEnergyModel(shared=False, symmetrize="none", **TINY).fit(ising4, 3.0)
    total = np.exp(model.score_samples(_all_configurations((-1, 1), (4, 4)))).sum()
    assert total == pytest.approx(1.0, abs=1e-5)
    core = model.model_.layers[-1]
    sequences = np.random.default_rng(0).choice([-1.0, 1.0], size=(5, 16)).astype(np.float32)
    full, state = np.asarray(model.model_(sequences)), None
    for t in range(16):
        logits, state = core.step(sequences, t, state)
        np.testing.assert_allclose(logits, full[:, t], atol=1e-5)
    kernel = model.local_kernel((4, 4))
    config, moved = ising4[0].copy(), ising4[0].copy()
    moved[2, 1] *= -1
    delta = kernel.delta_energy(config, 2, 1, np.int8(moved[2, 1]), kernel.params)
    assert delta == pytest.approx(model.energy(moved[None])[0] - model.energy(config[None])[0],
                                  abs=1e-4)


def test_position_weights_learn_site_dependent_couplings():
    glass = EdwardsAndersonModel(L=4, random_state=0)
    X = make_snapshots(glass, 4, 1.5, 4000, random_state=0)
    held_out = make_snapshots(glass, 4, 1.5, 1000, random_state=1)
    scores = {shared: RNNEnergyModel(shared=shared, symmetrize="none", units=16, epochs=8,
                                     random_state=0).fit(X, 1.5).score(held_out)
              for shared in (True, False)}
    assert scores[False] > scores[True] + 0.5


def test_predict_is_relative_to_training_mean(ising4, fitted):
    assert abs(fitted.predict(ising4).mean()) < 1e-6
    np.testing.assert_allclose(fitted.energy(ising4[:5]), fitted.predict(ising4[:5]))
    expected = -3.0 * fitted.score_samples(ising4[:5]) - fitted.offset_
    np.testing.assert_allclose(fitted.predict(ising4[:5]), expected)
    assert fitted.score(ising4[:20]) == pytest.approx(fitted.score_samples(ising4[:20]).mean())


def test_symmetrize_gives_invariant_energies(ising4, fitted):
    X = ising4[:10]
    reference = fitted.predict(X)
    group = SymmetryGroup((4, 4), SiteVariables.ising(), POINT_GENERATORS)
    for image in list(group.images(X)) + [-X]:
        np.testing.assert_allclose(fitted.predict(image), reference, atol=1e-4)
    try:  # the shared fixture is put back even when the assertion fails
        assert not np.allclose(fitted.set_params(symmetrize="none").predict(X[:, ::-1]),
                               fitted.predict(X), atol=1e-3)
    finally:
        fitted.set_params(symmetrize="full")


def test_odd_conditionals_make_flip_exact(ising4):
    model = RNNEnergyModel(symmetrize="dihedral", **TINY).fit(ising4, 3.0)
    assert not model.model_.layers[-1].odd
    model = RNNEnergyModel(symmetrize="full", **TINY).fit(ising4, 3.0)
    np.testing.assert_allclose(model.set_params(symmetrize="none").score_samples(-ising4[:5]),
                               model.score_samples(ising4[:5]), atol=1e-5)


def test_flat_input_and_per_sample_temperature(ising4, fitted):
    flat = ising4.reshape(len(ising4), -1)
    with pytest.raises(ValueError, match="shape is unknown"):  # 4x4 or 2x8: never guessed
        RNNEnergyModel(**TINY).fit(flat, 3.0)
    model = RNNEnergyModel(symmetrize="full", **TINY).fit(ising4, np.full(len(flat), 3.0))
    np.testing.assert_allclose(model.predict(flat[:5]), fitted.predict(ising4[:5]), atol=1e-5)
    assert model.T_obs_ == 3.0 and model.lattice_shape_ == (4, 4)


def test_reproducible_with_random_state(ising4, fitted):
    again = RNNEnergyModel(symmetrize="full", **TINY).fit(ising4, 3.0)
    np.testing.assert_array_equal(again.predict(ising4[:20]), fitted.predict(ising4[:20]))


def test_sample(ising4, fitted):
    X = fitted.sample(50, random_state=0)
    assert X.shape == (50, 4, 4) and X.dtype == np.int8
    assert set(np.unique(X)) <= {-1, 1}
    np.testing.assert_array_equal(fitted.sample(50, random_state=0), X)
    cold = IsingModel().energy(fitted.sample(200, temperature=0.5, random_state=1)).mean()
    hot = IsingModel().energy(fitted.sample(200, temperature=20.0, random_state=1)).mean()
    assert cold < hot
    with pytest.raises(ValueError, match="temperature"):
        fitted.sample(3, temperature=-1.0)
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(0)


def test_verbose_prints_progress(ising4, capsys):
    RNNEnergyModel(verbose=1, **TINY).fit(ising4, 3.0)
    assert "[RNNEnergyModel] epoch 1/1" in capsys.readouterr().out
    RNNEnergyModel(**TINY).fit(ising4, 3.0)
    assert capsys.readouterr().out == ""


def test_early_stopping_and_history(ising4):
    model = RNNEnergyModel(units=8, epochs=30, n_iter_no_change=1, learning_rate=0.5,
                           batch_size=500, random_state=0).fit(ising4, 3.0)
    assert set(model.history_) == {"loss", "val_loss"}
    # it stopped early, one epoch after the best validation loss, and kept the best weights
    val_loss = model.history_["val_loss"]
    assert model.n_epochs_ == len(val_loss) < 30
    assert val_loss[-1] > min(val_loss) and int(np.argmin(val_loss)) == len(val_loss) - 2
    model = RNNEnergyModel(units=8, epochs=30, n_iter_no_change=1, learning_rate=0.5,
                           batch_size=500, random_state=0, early_stopping=False).fit(ising4, 3.0)
    assert model.n_epochs_ == 30
    model = RNNEnergyModel(validation_fraction=0.0, **TINY).fit(ising4, 3.0)
    assert set(model.history_) == {"loss"}


@pytest.mark.parametrize("X, y, match", [
    (np.ones((5, 2, 4, 4)), 3.0, "rank"),
    (np.full((5, 4, 4), 2), 3.0, "Ising spins"),
    (np.where(np.eye(4)[None] > 0, np.nan, 1.0).repeat(5, 0), 3.0, "NaN"),
    (np.ones((5, 4, 4)), 0.0, "T_obs"),
    (np.ones((5, 4, 4)), -2.0, "T_obs"),
    (np.ones((5, 4, 4)), [3.0, 3.0, 3.0, 3.0, 2.0], "one temperature"),
    (np.ones((5, 4, 4)), [3.0, 3.0], r"shape \(5,\)"),
    (np.ones((5, 4, 4)), None, "T_obs"),
])
def test_bad_fit_inputs(X, y, match):
    with pytest.raises(ValueError, match=match):
        RNNEnergyModel(kind="ising", **TINY).fit(X, y)


def test_bad_prediction_inputs(fitted):
    with pytest.raises(ValueError, match="tied to the lattice size"):
        fitted.predict(np.ones((2, 8, 8)))
    with pytest.raises(ValueError, match="tied to the lattice size"):
        fitted.score_samples(np.ones((2, 64)))
    with pytest.raises(ValueError, match="Ising spins"):
        fitted.predict(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="rank"):
        fitted.predict(np.ones(16))
    X = make_snapshots(PottsModel(q=3), 3, 1.0, 100, random_state=0)
    potts = RNNEnergyModel(**TINY).fit(X, 1.0)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        potts.predict(np.full((1, 3, 3), 3))


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RNNEnergyModel().predict(np.ones((1, 4, 4)))
    with pytest.raises(NotFittedError):
        RNNEnergyModel().spin_kind


def test_clone_pickle_joblib(ising4, fitted, tmp_path):
    assert clone(fitted).get_params() == fitted.get_params()
    assert_round_trips(fitted, ising4[:20], tmp_path)


def test_grid_search_in_parallel(ising4):
    """Two joblib workers find exactly what one process finds (seeded fits are deterministic,
    and fitted Keras models come back from the workers)."""
    grid = {"units": [1, 8], "symmetrize": ["none"]}
    results = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(RNNEnergyModel(**TINY), grid, cv=2, n_jobs=n_jobs)
        search.fit(ising4[:400], np.full(400, 3.0))
        results[n_jobs] = search
    np.testing.assert_allclose(results[2].cv_results_["mean_test_score"],
                               results[1].cv_results_["mean_test_score"], rtol=1e-6)
    assert results[2].best_params_ == results[1].best_params_
    np.testing.assert_allclose(results[2].best_estimator_.predict(ising4[:5]),
                               results[1].best_estimator_.predict(ising4[:5]), rtol=1e-5)


def test_local_kernel_matches_energy_differences(ising4):
    for symmetrize in ("none", "full"):
        model = RNNEnergyModel(symmetrize=symmetrize, **TINY).fit(ising4, 3.0)
        kernel = model.local_kernel((4, 4))
        config = ising4[0].copy()
        before = model.energy(config[None])[0]
        for i, j in [(0, 0), (1, 2), (3, 3)]:
            flipped = config.copy()
            flipped[i, j] *= -1
            expected = model.energy(flipped[None])[0] - before
            delta = kernel.delta_energy(config, i, j, np.int8(-config[i, j]), kernel.params)
            assert delta == pytest.approx(expected, abs=1e-4)
    with pytest.raises(ValueError, match="tied to the lattice size"):
        model.local_kernel((8, 8))
    assert not hasattr(RNNEnergyModel(cell="gru", **TINY).fit(ising4, 3.0), "local_kernel")


def test_two_state_values_are_modelled_alike(ising4):
    """Spins stored as +-1 or 0/1, and two Potts labels, are one variable to the network."""
    labels = ((ising4 + 1) // 2).astype(np.int8)
    settings = dict(symmetrize="none", **TINY)
    spins = RNNEnergyModel(**settings).fit(ising4, 3.0)
    ising01 = RNNEnergyModel(kind="ising", **settings).fit(labels, 3.0)
    potts2 = RNNEnergyModel(**settings).fit(labels, 3.0)  # "auto": no value is negative
    assert spins.sites_ == SiteVariables.ising()
    assert ising01.sites_ == SiteVariables("ising", 2, values="labels")
    assert potts2.sites_ == SiteVariables.potts(2)
    assert (ising01.spin_kind, ising01.n_states) == ("ising", 2)
    assert not hasattr(ising01, "spin_kind_") and not hasattr(ising01, "n_states_")
    # the same +-1 features reach the same network: the same fit, to rounding (in fact exactly)
    expected = spins.predict(ising4[:50])
    for model in (ising01, potts2):
        np.testing.assert_allclose(model.predict(labels[:50]), expected, rtol=1e-4, atol=1e-6)
        X = model.sample(50, random_state=0)
        assert X.dtype == np.int8 and set(np.unique(X)) <= {0, 1}
        np.testing.assert_array_equal(X, (spins.sample(50, random_state=0) + 1) // 2)
    with pytest.raises(ValueError, match="Ising spins 0 or 1"):
        ising01.predict(ising4[:2])


def _site_data(name):
    """Snapshots, estimator parameters and T_obs of each way of storing site values."""
    if name == "potts3":
        return make_snapshots(PottsModel(q=3), 3, 1.0, 600, random_state=0), {}, 1.0
    X = _ising_snapshots(n=600)
    if name == "spins":
        return X, {}, 3.0
    # 0/1: Ising spins stored as labels, or (kind "auto") two Potts labels
    return ((X + 1) // 2).astype(np.int8), {"kind": "ising"} if name == "labels" else {}, 3.0


@pytest.mark.parametrize("data", ["spins", "labels", "potts2", "potts3"])
def test_local_kernel_matches_single_site_moves(data):
    X, params, T = _site_data(data)
    model = RNNEnergyModel(symmetrize="full", **params, **TINY).fit(X, T)
    sites = model.sites
    assert model.model_.layers[-1].odd == sites.two_state  # "full" holds the flip / swap
    configs = X[:3]
    changes = local_energy_changes(model.local_kernel(X.shape[1:]), configs, sites)
    assert changes.shape == configs.shape + (sites.n_channels,)
    moved, where = [], []
    for c, i, j in itertools.product(*map(range, configs.shape)):
        own = int(sites.states(configs[c, i, j]))
        for k in range(sites.n_channels):
            new = 1 - own if sites.two_state else k
            if new == own:
                assert changes[c, i, j, k] == 0.0
                continue
            config = configs[c].copy()
            config[i, j] = sites.from_states(new)
            moved.append(config)
            where.append((c, i, j, k))
    where = np.array(where)
    expected = model.predict(np.array(moved)) - model.predict(configs)[where[:, 0]]
    # predict runs the float32 network: its energies, of size scale, carry rounding ~1e-7 scale
    scale = T * np.abs(model.score_samples(configs)).max()
    np.testing.assert_allclose(changes[tuple(where.T)], expected, rtol=0, atol=1e-6 * scale)


def test_monte_carlo_engine_runs_on_the_model(fitted):
    kernel = fitted.local_kernel((4, 4))
    configs = np.ones((4, 4, 4), dtype=np.int8)
    state = ChainState(configs, fitted.energy(configs), seed_streams(4, 0))
    run_chains(kernel, state, 3.0, 5)
    np.testing.assert_allclose(state.energies, fitted.energy(state.configs), atol=1e-3)


# ---------------------------------------------------------------------- slow: accuracy figures


@pytest.fixture(scope="module")
def ising8():
    X = make_snapshots(IsingModel(), 8, 4.0, 100_000, random_state=0)
    start = time.perf_counter()
    model = RNNEnergyModel(random_state=0).fit(X, 4.0)
    return model, time.perf_counter() - start, X


@pytest.mark.slow
def test_ising_energy_accuracy(ising8):
    model, fit_time, _ = ising8
    X_test, _ = make_protocol_test_set(IsingModel(), 8, 1000, random_state=1)
    rmse = energy_rmse(IsingModel().energy(X_test), model.predict(X_test))
    assert rmse <= 1.0
    assert fit_time <= 600


@pytest.mark.slow
def test_potts_energy_accuracy():
    X = make_snapshots(PottsModel(q=3), 8, 2.0, 100_000, random_state=0)
    model = RNNEnergyModel(random_state=0).fit(X, 2.0)
    X_test, _ = make_protocol_test_set(PottsModel(q=3), 8, 1000, random_state=1)
    assert energy_rmse(PottsModel(q=3).energy(X_test), model.predict(X_test)) <= 1.0


@pytest.mark.slow
def test_exact_log_probability_on_4x4():
    T = 3.0
    X = make_snapshots(IsingModel(), 4, T, 60_000, random_state=0)
    held_out = make_snapshots(IsingModel(), 4, T, 10_000, random_state=1)
    model = RNNEnergyModel(random_state=0).fit(X, T)
    configurations = _all_configurations((-1, 1), (4, 4))
    energies = IsingModel().energy(configurations)
    log_z = np.logaddexp.reduce(-energies / T)
    exact = (-IsingModel().energy(held_out) / T - log_z).mean()
    assert abs(model.score(held_out) / exact - 1) <= 0.005


@pytest.mark.slow
@pytest.mark.parametrize("T", [3.0, 4.0])
def test_monte_carlo_on_learned_energy(ising8, T):
    from skdcl.simulator import MetropolisSimulator

    model, _, X = ising8
    model.set_params(symmetrize="none")  # the compiled kernel of the raw model
    try:  # the shared fixture is put back even when a call fails
        table = MetropolisSimulator(model, random_state=0).thermodynamics(
            [T], 8, n_chains=16, n_sweeps=400, n_equilibration=100)
        # learned energies are defined up to a constant: align their mean over the observed
        # snapshots with the exact one
        offset = energy_offset(IsingModel(), model, X[:20_000])
    finally:
        model.set_params(symmetrize="full")
    exact = ising_exact(8, T).energy.iloc[0]
    assert abs(table.energy.iloc[0] + offset - exact) <= 0.05


@pytest.mark.slow
def test_samples_match_exact_monte_carlo(ising8):
    model, _, _ = ising8
    sampled = IsingModel().energy(model.sample(20_000, random_state=0)).mean() / 64
    assert abs(sampled - ising_exact(8, 4.0).energy.iloc[0]) <= 0.02
