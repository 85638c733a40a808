"""Scale-out on a Dask cluster whose workers are separate processes.

Fitted models travel to the workers by pickle (their Keras networks inside), the workers compile
the Monte Carlo kernels themselves, and the results equal a run on one machine.
"""

import numpy as np
import pandas as pd
import pytest

from skdcl import EDNNEnergyModel, IsingModel, MetropolisSimulator, make_snapshots

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def ednn():
    X = make_snapshots(IsingModel(), 6, 3.0, 300, random_state=0)
    return EDNNEnergyModel(focus=1, context=1, hidden_layer_sizes=(4,), epochs=2,
                           random_state=0).fit(X, IsingModel().energy(X))


def test_learned_model_thermodynamics_on_worker_processes(client, ednn):
    from joblib import parallel_config

    sim = MetropolisSimulator(ednn, n_jobs=2, random_state=0)
    settings = dict(n_chains=2, n_sweeps=20, n_equilibration=5)
    local = sim.thermodynamics([1.5, 3.0], 6, **settings)
    with parallel_config(backend="dask"):
        remote = sim.thermodynamics([1.5, 3.0], 6, **settings)
    workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2
    pd.testing.assert_frame_equal(local, remote)


@pytest.mark.slow
def test_grid_search_on_worker_processes(client):
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV

    X = make_snapshots(IsingModel(), 6, 3.0, 200, random_state=1)
    y = IsingModel().energy(X)
    grid = {"context": [0, 1]}
    estimator = EDNNEnergyModel(focus=1, hidden_layer_sizes=(4,), epochs=2, random_state=0)
    local = GridSearchCV(estimator, grid, cv=2).fit(X, y)
    with parallel_config(backend="dask"):
        remote = GridSearchCV(estimator, grid, cv=2, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-5)
    assert remote.best_params_ == local.best_params_
