import numpy as np
import pytest

from skdcl import IsingModel, PottsModel, make_snapshots
from skdcl.metrics import pseudo_log_likelihood


@pytest.mark.parametrize("model", [IsingModel(J=(1.0, 0.4), h=0.2), PottsModel(q=3)], ids=repr)
def test_pseudo_likelihood_matches_brute_force(model):
    X = model.random_configurations(3, (3, 4), random_state=0)
    values = range(model.n_states) if model.spin_kind == "potts" else (-1, 1)
    T, total = 1.7, 0.0
    for x in X:
        for i in range(3):
            for j in range(4):
                energies = []
                for v in values:
                    y = x.copy()
                    y[i, j] = v
                    energies.append(model.energy(y[None])[0])
                own = model.energy(x[None])[0]
                total += -own / T - np.log(np.sum(np.exp(-np.array(energies) / T)))
    assert pseudo_log_likelihood(model, X, T) == pytest.approx(total / X.size, abs=1e-10)


def test_pseudo_likelihood_peaks_near_the_true_temperature():
    X = make_snapshots(IsingModel(), 8, 3.0, 2000, random_state=0)
    scores = [pseudo_log_likelihood(IsingModel(), X, T) for T in (2.0, 3.0, 4.5)]
    assert scores[1] > scores[0] and scores[1] > scores[2]
