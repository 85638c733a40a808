import numpy as np
import pytest

from skdcl import EdwardsAndersonModel, IsingModel, MetropolisSimulator, PottsModel, enumerate_exact


def _brute_energy(model, config):
    """Energy by an explicit loop over bonds, independent of the vectorised code."""
    Ly, Lx = config.shape
    total = 0.0
    for i in range(Ly):
        for j in range(Lx):
            right, down = config[i, (j + 1) % Lx], config[(i + 1) % Ly, j]
            s = config[i, j]
            if isinstance(model, IsingModel):
                Jx, Jy = (model.J, model.J) if np.ndim(model.J) == 0 else model.J
                diagonal = config[(i + 1) % Ly, (j + 1) % Lx]
                total -= Jx * s * right + Jy * s * down + model.h * s \
                    + model.K * s * right * down * diagonal
            elif isinstance(model, PottsModel):
                total -= model.J * (int(s == right) + int(s == down))
            else:
                total -= model.Jx[i, j] * s * right + model.Jy[i, j] * s * down
    return total


MODELS = [IsingModel(), IsingModel(J=(1.0, -0.5), h=0.3), IsingModel(J=(1.0, -0.5), h=0.3, K=0.7),
          PottsModel(q=3), PottsModel(q=4, J=0.7), EdwardsAndersonModel(L=(3, 5), random_state=1)]


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_energy_matches_loop_over_bonds(model):
    X = model.random_configurations(5, (3, 5), random_state=0)
    expected = [_brute_energy(model, x) for x in X]
    np.testing.assert_allclose(model.energy(X), expected)


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_local_kernel_matches_energy_difference(model):
    X = model.random_configurations(3, (3, 5), random_state=1)
    kernel = model.local_kernel((3, 5))
    rng = np.random.default_rng(0)
    for config in X:
        for _ in range(10):
            i, j = rng.integers(3), rng.integers(5)
            new = -config[i, j] if model.spin_kind == "ising" else (config[i, j] + 1) % model.q
            after = config.copy()
            after[i, j] = new
            dE = kernel.delta_energy(config, i, j, np.int8(new), kernel.params)
            expected = model.energy(after[None])[0] - model.energy(config[None])[0]
            assert dE == pytest.approx(expected, abs=1e-12)


def test_edwards_anderson_couplings_fixed_by_seed():
    a, b = EdwardsAndersonModel(L=4, random_state=3), EdwardsAndersonModel(L=4, random_state=3)
    np.testing.assert_array_equal(a.Jx, b.Jx)
    assert not np.allclose(a.Jx, EdwardsAndersonModel(L=4, random_state=4).Jx)
    assert abs(np.concatenate([a.Jx.ravel(), a.Jy.ravel()]).std() - 1) < 0.5


def test_edwards_anderson_rejects_other_sizes():
    with pytest.raises(ValueError, match="shape"):
        EdwardsAndersonModel(L=4, random_state=0).energy(np.ones((1, 5, 5)))


@pytest.mark.parametrize("model, X, match", [
    (IsingModel(), np.zeros((1, 4, 4)), "Ising spins"),
    (PottsModel(q=3), np.full((1, 4, 4), 3), r"\[0, 3\)"),
    (PottsModel(q=1), np.zeros((1, 4, 4)), "q must be"),
    (IsingModel(), np.ones((4, 4, 4, 4)), "rank"),
])
def test_energy_rejects_bad_configurations(model, X, match):
    with pytest.raises(ValueError, match=match):
        model.energy(X)


@pytest.mark.parametrize("shape", [(4, 4), (4, 6)])
def test_plaquette_kernel_matches_energy_difference(shape):
    model = IsingModel(J=(0.8, -0.3), h=0.25, K=0.6)
    kernel = model.local_kernel(shape)
    for config in model.random_configurations(4, shape, random_state=2):
        for i in range(shape[0]):
            for j in range(shape[1]):
                after = config.copy()
                after[i, j] = -config[i, j]
                dE = kernel.delta_energy(config, i, j, np.int8(-config[i, j]), kernel.params)
                expected = model.energy(after[None])[0] - model.energy(config[None])[0]
                assert dE == pytest.approx(expected, abs=1e-12)


def test_plaquette_term_drops_the_checkerboard_sweep():
    plain = IsingModel(J=(1.0, 0.5), h=0.2).local_kernel((4, 4))
    assert plain.sweep is not None and plain.site_update is not None
    assert plain.acceptance_table is not None and len(plain.params) == 3
    for K in (0.0, -0.0, 0):
        assert IsingModel(K=K).local_kernel((4, 4)).sweep is not None
    kernel = IsingModel(J=(1.0, 0.5), h=0.2, K=0.5).local_kernel((4, 4))
    assert kernel.sweep is None and kernel.site_update is None
    assert kernel.acceptance_table is None
    assert kernel.params == (1.0, 0.5, 0.2, 0.5)


def test_plaquette_monte_carlo_matches_exact_enumeration():
    model, T = IsingModel(K=0.5), 3.5
    exact = enumerate_exact(model, 4, T).iloc[0]
    # the enumeration (a Gray code through the kernel) agrees with a sum over energy()
    bits = (np.arange(2**16)[:, None] >> np.arange(16)) & 1
    E = model.energy((2 * bits - 1).astype(np.int8).reshape(-1, 4, 4))
    w = np.exp(-(E - E.min()) / T)
    assert exact.energy == pytest.approx(np.dot(w, E) / w.sum() / 16, abs=1e-10)
    row = MetropolisSimulator(model, random_state=0).thermodynamics(
        [T], 4, n_chains=32, n_sweeps=4000, n_equilibration=500, init="random").iloc[0]
    assert row.energy_err < 0.01
    assert abs(row.energy - exact.energy) < 4 * row.energy_err, (row.energy, exact.energy)


@pytest.mark.parametrize("J, h, K, L", [(1.0, 0.0, 0.5, 4), ((0.7, -0.4), 0.3, -1.2, 5),
                                        ((1.0, 2.0), -0.5, 0.25, (4, 6))])
def test_ordered_energy_includes_plaquettes(J, h, K, L):
    model = IsingModel(J=J, h=h, K=K)
    Jx, Jy = (J, J) if np.ndim(J) == 0 else J
    X = model.ordered_configuration(L)[None]
    assert model.energy(X)[0] == pytest.approx(-(Jx + Jy + h + K) * X[0].size)


@pytest.mark.parametrize("K", [np.nan, np.inf, -np.inf, "strong", None])
def test_plaquette_coupling_must_be_finite(K):
    model = IsingModel(K=K)
    with pytest.raises(ValueError, match="K must be"):
        model.energy(np.ones((1, 4, 4)))
    with pytest.raises(ValueError, match="K must be"):
        model.local_kernel((4, 4))
