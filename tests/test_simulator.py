import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from skdcl import IsingModel, MetropolisSimulator, PottsModel
from skdcl.simulator import DIAGNOSTIC_SUFFIXES, THERMODYNAMICS_COLUMNS


def test_transform_keeps_rows_and_layout():
    X = np.ones((5, 16), dtype=np.int8)
    simulator = MetropolisSimulator(temperature=5.0, n_sweeps=3, random_state=0)
    with pytest.raises(ValueError, match="shape is unknown"):  # 4x4 or 2x8: never guessed
        simulator.fit_transform(X)
    out = simulator.fit(X.reshape(5, 4, 4)).transform(X)  # flat rows of the fitted shape
    assert out.shape == X.shape and out.dtype == np.int8
    assert set(np.unique(out)) <= {-1, 1}
    assert not np.array_equal(out, X)  # at T = 5 spins flip


def test_transform_is_a_markov_kernel_that_equilibrates():
    X = np.ones((200, 8, 8), dtype=np.int8)
    out = MetropolisSimulator(IsingModel(), temperature=4.0, n_sweeps=200,
                              random_state=0).fit_transform(X)
    e = IsingModel().energy(out) / 64
    se = e.std(ddof=1) / np.sqrt(len(e))
    assert abs(e.mean() - -0.5584911366) < 4 * se


def test_transform_at_zero_sweeps_is_identity_and_seed_reproducible():
    X = PottsModel(q=4).random_configurations(3, 5, random_state=0)
    sim = MetropolisSimulator(PottsModel(q=4), n_sweeps=0)
    np.testing.assert_array_equal(sim.fit_transform(X), X)
    sim = MetropolisSimulator(PottsModel(q=4), temperature=1.0, n_sweeps=5, random_state=3)
    np.testing.assert_array_equal(sim.fit_transform(X), clone(sim).fit_transform(X))


def test_composes_in_a_pipeline():
    pipe = make_pipeline(MetropolisSimulator(temperature=1.0, n_sweeps=5, random_state=0),
                         MetropolisSimulator(temperature=3.0, n_sweeps=5, random_state=1))
    assert pipe.fit_transform(np.ones((4, 6, 6))).shape == (4, 6, 6)


def test_thermodynamics_table_columns():
    table = MetropolisSimulator(random_state=0).thermodynamics(
        [1.5, 3.0], 6, n_chains=4, n_sweeps=40, n_equilibration=10)
    assert isinstance(table, pd.DataFrame) and len(table) == 2
    for name in THERMODYNAMICS_COLUMNS:
        assert name in table and name + "_err" in table
        assert np.all(np.isfinite(table[name]))
        if name != "acceptance":
            assert all(f"{name}_{suffix}" in table for suffix in DIAGNOSTIC_SUFFIXES)
    assert {"converged", "n_sweeps", "n_equilibration"} <= set(table.columns)
    assert table.energy[0] < table.energy[1]
    assert table.abs_magnetization[0] > table.abs_magnetization[1]
    assert np.all((table.acceptance > 0) & (table.acceptance < 1))


@pytest.mark.parametrize("kwargs, match", [
    ({"temperatures": [1.0, -1.0]}, "temperatures"),
    ({"temperatures": [np.nan]}, "temperatures"),
    ({"L": 1}, "L"),
    ({"n_chains": 0}, "n_chains"),
    ({"n_sweeps": 1}, "n_sweeps"),
    ({"init": "hot"}, "init"),
])
def test_thermodynamics_rejects_bad_input(kwargs, match):
    args = {"temperatures": [1.0], "L": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        MetropolisSimulator().thermodynamics(**args)


def test_transform_rejects_bad_input():
    with pytest.raises(ValueError, match="Ising spins"):
        MetropolisSimulator().fit_transform(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="temperature"):
        MetropolisSimulator(temperature=0.0).fit(np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        MetropolisSimulator(PottsModel(q=3)).fit_transform(np.full((1, 4, 4), 5))


def test_parallel_temperatures_give_the_same_table():
    from joblib import parallel_config

    sim = MetropolisSimulator(random_state=0)
    serial = sim.thermodynamics([1.0, 2.0, 3.0], 6, n_chains=4, n_sweeps=30, n_equilibration=5)
    with parallel_config(backend="threading"):  # processes would only add compile time here
        parallel = MetropolisSimulator(n_jobs=2, random_state=0).thermodynamics(
            [1.0, 2.0, 3.0], 6, n_chains=4, n_sweeps=30, n_equilibration=5)
    pd.testing.assert_frame_equal(serial, parallel)


def test_thermodynamics_runs_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    sim = MetropolisSimulator(n_jobs=-1, random_state=0)
    local = sim.thermodynamics([1.0, 3.0], 6, n_chains=4, n_sweeps=30, n_equilibration=5)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with parallel_config(backend="dask"):
            remote = sim.thermodynamics([1.0, 3.0], 6, n_chains=4, n_sweeps=30,
                                        n_equilibration=5)
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(local, remote)
