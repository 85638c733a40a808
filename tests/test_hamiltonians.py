import numpy as np
import pytest

from skdcl import EdwardsAndersonModel, IsingModel, PottsModel


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
                total -= Jx * s * right + Jy * s * down + model.h * s
            elif isinstance(model, PottsModel):
                total -= model.J * (int(s == right) + int(s == down))
            else:
                total -= model.Jx[i, j] * s * right + model.Jy[i, j] * s * down
    return total


MODELS = [IsingModel(), IsingModel(J=(1.0, -0.5), h=0.3), PottsModel(q=3), PottsModel(q=4, J=0.7),
          EdwardsAndersonModel(L=(3, 5), random_state=1)]


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
