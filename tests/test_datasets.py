import numpy as np
import pytest

from skdcl import IsingModel, PottsModel, energy_rmse, make_protocol_test_set, make_snapshots


def test_make_snapshots_shape_dtype_and_reproducibility():
    X = make_snapshots(PottsModel(q=3), (6, 4), 1.5, 50, n_chains=7, random_state=0)
    assert X.shape == (50, 6, 4) and X.dtype == np.int8
    assert X.min() >= 0 and X.max() < 3
    np.testing.assert_array_equal(
        X, make_snapshots(PottsModel(q=3), (6, 4), 1.5, 50, n_chains=7, random_state=0))
    assert not np.array_equal(
        X, make_snapshots(PottsModel(q=3), (6, 4), 1.5, 50, n_chains=7, random_state=1))


def test_make_snapshots_are_equilibrated():
    X = make_snapshots(IsingModel(), 8, 3.0, 4000, random_state=0)
    e = IsingModel().energy(X) / 64
    # thin=10 at T=3 leaves snapshots of one chain nearly independent
    assert abs(e.mean() - -0.8413154279) < 4 * e.std(ddof=1) / np.sqrt(len(e))


@pytest.mark.parametrize("moves", ["auto", "cluster"])
def test_make_snapshots_with_cluster_moves_at_the_critical_point(moves):
    X = make_snapshots(IsingModel(), 8, 2.269, 4000, moves=moves, random_state=0)
    e = IsingModel().energy(X) / 64
    # cluster moves leave snapshots thin=10 sweeps apart nearly independent even at T_c
    assert abs(e.mean() - -1.4918013791) < 4 * e.std(ddof=1) / np.sqrt(len(e))


def test_make_snapshots_default_moves_are_auto():
    auto = make_snapshots(PottsModel(q=3), 4, 1.0, 20, random_state=0)
    assert np.array_equal(auto, make_snapshots(PottsModel(q=3), 4, 1.0, 20, moves="auto",
                                               random_state=0))
    assert not np.array_equal(auto, make_snapshots(PottsModel(q=3), 4, 1.0, 20,
                                                   moves="cluster", random_state=0))


@pytest.mark.parametrize("kwargs, match", [
    ({"T": 0.0}, "T"), ({"T": float("nan")}, "T"), ({"L": 1}, "L"),
    ({"n_samples": 0}, "n_samples"), ({"thin": 0}, "thin"), ({"init": "cold"}, "init"),
    ({"moves": "wolff"}, "moves"), ({"model": IsingModel(K=0.5), "moves": "cluster"}, "moves"),
])
def test_make_snapshots_rejects_bad_input(kwargs, match):
    args = {"model": IsingModel(), "L": 4, "T": 2.0, "n_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_snapshots(**args)


def test_potts_rejects_q_below_two():
    with pytest.raises(ValueError, match="q"):
        make_snapshots(PottsModel(q=1), 4, 1.0, 10)


def test_protocol_test_set_covers_all_sources():
    X, source = make_protocol_test_set(IsingModel(), 6, 20, random_state=0)
    assert X.shape == (160, 6, 6)
    assert sorted(set(source)) == [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, np.inf]
    e = IsingModel().energy(X)
    assert e[source == 1.0].mean() < e[source == 6.0].mean() < e[np.isinf(source)].mean() + 10


def test_energy_rmse_ignores_constant_offsets():
    assert energy_rmse([1.0, 2.0], [5.0, 6.0]) == 0.0
    assert energy_rmse([0.0, 2.0], [0.0, 0.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="energies_true"):
        energy_rmse([1.0], [1.0, 2.0])
