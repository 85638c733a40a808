import numpy as np
import pytest

from skdcl import EdwardsAndersonModel, IsingModel, energy_rmse, make_snapshots
from skdcl.baselines import PseudoLikelihoodIsing


@pytest.fixture(scope="module")
def ising_data():
    return make_snapshots(IsingModel(J=(1.0, 0.5)), 6, 3.0, 5000, random_state=0)


def test_recovers_anisotropic_nearest_neighbour_couplings(ising_data):
    model = PseudoLikelihoodIsing().fit(ising_data, 3.0)
    J = model.couplings_
    assert J[0, 1] == pytest.approx(1.0, abs=0.05)   # along x
    assert J[0, 6] == pytest.approx(0.5, abs=0.05)   # along y
    assert np.abs(J[0, [2, 3, 7, 14]]).max() < 0.05  # no longer-range couplings
    assert abs(model.fields_[0]) < 0.05


def test_energies_match_the_true_model(ising_data):
    model = PseudoLikelihoodIsing().fit(ising_data, np.full(len(ising_data), 3.0))
    X = make_snapshots(IsingModel(J=(1.0, 0.5)), 6, 2.0, 300, random_state=1)
    assert energy_rmse(IsingModel(J=(1.0, 0.5)).energy(X), model.predict(X)) < 0.3
    assert abs(model.predict(ising_data).mean()) < 1e-9


def test_spin_glass_needs_pair_specific_couplings():
    glass = EdwardsAndersonModel(L=4, random_state=0)
    X = make_snapshots(glass, 4, 3.0, 20000, random_state=0)
    general = PseudoLikelihoodIsing(translation_invariant=False).fit(X, 3.0)
    tied = PseudoLikelihoodIsing().fit(X, 3.0)
    assert general.couplings_[0, 1] == pytest.approx(glass.Jx[0, 0], abs=0.15)
    assert general.score(X) > tied.score(X)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="Ising spins"):
        PseudoLikelihoodIsing().fit(np.zeros((3, 4, 4)), 1.0)
    with pytest.raises(ValueError, match="y"):
        PseudoLikelihoodIsing().fit(np.ones((3, 4, 4)), -1.0)
    X = make_snapshots(IsingModel(), 4, 3.0, 50, random_state=0)
    model = PseudoLikelihoodIsing().fit(X, 3.0)
    with pytest.raises(ValueError, match="shape"):
        model.predict(np.ones((2, 5, 5)))
