"""Tests of LocalInteractionModel: convex pseudo-likelihood over every 3x3-window interaction."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdcl import IsingModel, PottsModel
from skdcl.baselines import PseudoLikelihoodIsing
from skdcl.datasets import make_snapshots
from skdcl.interactions import (
    LocalInteractionModel,
    _loss_and_gradient,
    _strongest_within_errors,
    code_orbits,
    local_part,
    low_order_part,
    window_codes,
)
from skdcl.metrics import energy_rmse
from skdcl.montecarlo import local_energy_changes
from skdcl.sites import SiteVariables
from skdcl.symmetry import POINT_GENERATORS

FULL = POINT_GENERATORS + ("flip",)


def _test_energies(model, n=300, seed=5):
    X = np.concatenate([make_snapshots(model, 6, T, n, random_state=seed) for T in (2.0, 4.0)]
                       + [model.random_configurations(n, 6, seed)])
    return X, model.energy(X)


def test_low_order_part_is_the_projection_on_pairs():
    rng = np.random.RandomState(0)
    table = rng.normal(size=3**9)
    low = low_order_part(table, 3)
    np.testing.assert_allclose(low_order_part(low, 3), low, atol=1e-12)  # a projection
    assert abs(np.dot(low - low.mean(), table - low)) < 1e-8 * len(table)  # orthogonal
    digits = (np.arange(3**9)[:, None] // 3 ** np.arange(9)) % 3
    pair = (digits[:, 0] == digits[:, 4]).astype(float)  # a Potts bond
    np.testing.assert_allclose(low_order_part(pair, 3), pair, atol=1e-12)


def test_symmetries_tie_window_states():
    ising = SiteVariables.ising()
    free, full = code_orbits(ising, ()), code_orbits(ising, FULL)
    assert free.max() + 1 == 512
    assert full.max() + 1 < 512 // 8
    codes = np.arange(512)
    np.testing.assert_array_equal(full[codes ^ 511], full)  # the flip ties complements
    potts = code_orbits(SiteVariables.potts(3), POINT_GENERATORS + ("label_swap", "label_cycle"))
    assert potts.max() + 1 < 3**9 // 24


@pytest.mark.parametrize("q, ising", [(2, True), (3, False)])
def test_gradient_matches_finite_differences(q, ising):
    model = IsingModel() if ising else PottsModel(q=q)
    X = make_snapshots(model, 4, 3.0 if ising else 1.5, 20, random_state=0)
    codes = window_codes(X, model.sites)
    table = np.random.RandomState(0).normal(size=q**9)
    loss, grad = _loss_and_gradient(table, codes, q, 1, 0.5, 2)
    for index in codes[0, :2].ravel().tolist() + [0]:
        step = np.zeros(q**9)
        step[index] = 1e-6
        numeric = (_loss_and_gradient(table + step, codes, q, 1, 0.5, 1)[0]
                   - _loss_and_gradient(table - step, codes, q, 1, 0.5, 1)[0]) / 2e-6
        assert numeric == pytest.approx(grad[index], rel=1e-5, abs=1e-6)


def test_the_strongest_penalty_within_the_allowed_errors_is_chosen():
    excess = {10.0: (0.5, 0.1), 1.0: (0.14, 0.1), 0.1: (0.0, 0.0)}
    assert _strongest_within_errors([10.0, 1.0, 0.1], excess) == 1.0  # 1.4 errors off
    assert _strongest_within_errors([10.0, 1.0, 0.1], excess, n_errors=1.0) == 0.1
    assert _strongest_within_errors([10.0, 0.1], {10.0: (0.5, 0.1), 0.1: (0.0, 0.0)}) == 0.1


def test_local_part_keeps_nearest_neighbour_bonds_and_drops_distant_pairs():
    rng = np.random.RandomState(1)
    table = rng.normal(size=3**9)
    local = local_part(table, 3)
    np.testing.assert_allclose(local_part(local, 3), local, atol=1e-12)  # a projection
    np.testing.assert_allclose(local_part(low_order_part(table, 3), 3), local, atol=1e-12)
    digits = (np.arange(3**9)[:, None] // 3 ** np.arange(9)) % 3
    bond = (digits[:, 4] == digits[:, 5]).astype(float)  # centre and its neighbour along x
    diagonal = (digits[:, 0] == digits[:, 4]).astype(float)
    np.testing.assert_allclose(local_part(bond, 3), bond, atol=1e-12)
    np.testing.assert_allclose(local_part(diagonal, 3), diagonal.mean(), atol=1e-12)


def test_recovers_a_field_and_unequal_couplings():
    model = IsingModel(J=(1.0, 0.5), h=0.3)
    X = make_snapshots(model, 6, 3.0, 4000, random_state=0)
    fitted = LocalInteractionModel(symmetry=("mirror_x", "mirror_y", "rot180"),
                                   random_state=0).fit(X, 3.0)
    X_test, E = _test_energies(model)
    baseline = PseudoLikelihoodIsing().fit(X, 3.0)
    ours, theirs = energy_rmse(E, fitted.predict(X_test)), energy_rmse(E, baseline.predict(X_test))
    assert ours < 2 * theirs
    assert ours < 0.05 * E.std()


def test_learns_a_four_spin_term_no_pairwise_model_holds():
    model = IsingModel(K=0.5)
    X = make_snapshots(model, 6, 4.0, 4000, random_state=0)
    fitted = LocalInteractionModel(symmetry=FULL, random_state=0).fit(X, 4.0)
    X_test, E = _test_energies(model)
    baseline = PseudoLikelihoodIsing().fit(X, 4.0)
    ours, theirs = energy_rmse(E, fitted.predict(X_test)), energy_rmse(E, baseline.predict(X_test))
    assert ours < theirs / 4
    assert fitted.penalty_ < max(fitted.penalties)  # the snapshots demanded many-spin terms


def test_energies_respect_the_symmetries_and_any_size():
    X = make_snapshots(IsingModel(), 4, 3.0, 500, random_state=0)
    fitted = LocalInteractionModel(symmetry=FULL, penalties=(1.0,)).fit(X, 3.0)
    big = make_snapshots(IsingModel(), 8, 3.0, 5, random_state=1)
    reference = fitted.predict(big)
    np.testing.assert_allclose(fitted.predict(-big), reference, atol=1e-9)
    np.testing.assert_allclose(fitted.predict(np.rot90(big, 1, axes=(1, 2))), reference,
                               atol=1e-9)
    assert abs(fitted.predict(X).mean()) < 1e-9


@pytest.mark.parametrize("X, y, match", [
    (np.full((5, 4, 4), 0.5), 3.0, "integer"),
    (np.ones((5, 2, 2), dtype=np.int8), 3.0, "at least 3"),
    (np.ones((5, 4, 4), dtype=np.int8), -1.0, "T_obs"),
])
def test_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        LocalInteractionModel().fit(X, y)


def test_bad_penalties():
    X = make_snapshots(IsingModel(), 4, 3.0, 50, random_state=0)
    for penalties in ((), (-1.0,), (np.nan,)):
        with pytest.raises(ValueError, match="penalties"):
            LocalInteractionModel(penalties=penalties).fit(X, 3.0)


def test_potts_coupling_is_learned():
    model = PottsModel(q=3)
    X = make_snapshots(model, 6, 1.5, 3000, random_state=0)
    fitted = LocalInteractionModel(symmetry=POINT_GENERATORS + ("label_swap", "label_cycle"),
                                   random_state=0).fit(X, 1.5)
    X_test, E = _test_energies(model)
    assert fitted.sites_ == SiteVariables.potts(3)
    assert energy_rmse(E, fitted.predict(X_test)) < 0.05 * E.std()


def test_too_many_window_states_are_refused():
    X = np.random.RandomState(0).randint(0, 5, size=(50, 4, 4)).astype(np.int8)
    with pytest.raises(ValueError, match="q <= 4"):
        LocalInteractionModel().fit(X, 1.0)


def test_an_unconverged_fit_says_so():
    X = make_snapshots(IsingModel(), 4, 3.0, 200, random_state=0)
    with pytest.warns(ConvergenceWarning, match="raise max_iter"):
        LocalInteractionModel(penalties=(1e-4,), max_iter=1).fit(X, 3.0)


@pytest.mark.parametrize("encoding", ["spins", "labels", "potts2", "potts3"])
def test_monte_carlo_energy_changes_match_predict(encoding):
    model = PottsModel(q=3) if encoding == "potts3" else IsingModel(J=(1.0, 0.5), h=0.2)
    X = make_snapshots(model, 4, 2.0, 400, random_state=0)
    kind = "ising" if encoding in ("spins", "labels") else "auto"
    if encoding in ("labels", "potts2"):
        X = ((X + 1) // 2).astype(np.int8)
    fitted = LocalInteractionModel(kind=kind, penalties=(1.0,)).fit(X, 2.0)
    assert fitted.sites_.n_states == model.n_states
    configs = X[:3]
    changes = local_energy_changes(fitted.local_kernel((4, 4)), configs, fitted.sites_)
    base = fitted.predict(configs)
    states = fitted.sites_.states(configs)
    for i, j in [(0, 0), (1, 3), (3, 2)]:
        for k in range(fitted.sites_.n_states):
            moved = states.copy()
            moved[:, i, j] = 1 - states[:, i, j] if fitted.sites_.two_state else k
            expected = fitted.predict(fitted.sites_.from_states(moved)) - base
            column = 0 if fitted.sites_.two_state else k
            np.testing.assert_allclose(changes[:, i, j, column], expected, atol=1e-9)
