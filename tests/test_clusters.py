"""Cluster moves (Swendsen-Wang, Wolff) against exact enumeration (fixed seeds, 4 SE)."""

import numba
import numpy as np
import pytest
from scipy import stats

from skdcl import EdwardsAndersonModel, IsingModel, PottsModel, enumerate_exact, make_snapshots
from skdcl.montecarlo import (
    ChainState,
    ClusterKernel,
    ClusterRun,
    MetropolisRun,
    run_clusters,
    run_model,
    sample_model,
    seed_streams,
)
from skdcl.sites import SiteVariables

N_CHAINS = 64


def _state(model, shape, seed, n_chains=N_CHAINS):
    configs = model.random_configurations(n_chains, shape, random_state=seed)
    return ChainState(configs, model.energy(configs), seed_streams(n_chains, seed))


def _chain_means(run, n_sites):
    """Per-chain means of the energy and |m| per site (independent chains)."""
    return (run.energies.mean(axis=1) / n_sites,
            np.abs(run.magnetizations).mean(axis=1) / n_sites)


def _exact(model, shape, T):
    """Exact mean energy and |m| per site by summing over every configuration (numpy)."""
    X = _all_configurations(model, shape)
    n_sites, q = shape[0] * shape[1], model.n_states
    E = model.energy(X)
    counts = np.stack([(model.sites.states(X) == k).sum(axis=(1, 2)) for k in range(q)])
    m = (q * counts.max(axis=0) / n_sites - 1) / (q - 1)
    weights = np.exp(-(E - E.min()) / T)
    weights /= weights.sum()
    return {"energy": weights @ E / n_sites, "abs_magnetization": weights @ m}


def _assert_matches_exact(run, model, shape, T):
    exact = _exact(model, shape, T)
    for name, per_chain in zip(("energy", "abs_magnetization"),
                               _chain_means(run, shape[0] * shape[1])):
        error = per_chain.std(ddof=1) / np.sqrt(len(per_chain))
        assert error < 0.01, (name, error)
        assert abs(per_chain.mean() - exact[name]) < 4 * error, (name, per_chain.mean(),
                                                                  exact[name], error)


@pytest.mark.parametrize("model, shape, T", [
    (IsingModel(), (4, 4), 2.0),
    (IsingModel(), (4, 4), 3.0),
    (IsingModel(J=(1.0, 0.5)), (4, 4), 1.5),
    (IsingModel(J=(1.0, -0.5)), (4, 4), 2.0),
    (PottsModel(q=3), (3, 4), 1.0),
    (PottsModel(q=4, J=0.7), (3, 3), 0.7),
    (EdwardsAndersonModel(L=4, random_state=0), (4, 4), 1.0),
])
@pytest.mark.parametrize("algorithm", ["swendsen-wang", "wolff"])
def test_cluster_moves_match_exact_enumeration(model, shape, T, algorithm):
    state = _state(model, shape, seed=1)
    kernel = model.cluster_kernel(shape)
    options = {"sites": model.sites, "algorithm": algorithm, "clusters_per_sweep": 2}
    run_clusters(kernel, state, T, 100, **options)
    run = run_clusters(kernel, state, T, 2000, thin=1, n_records=2000, **options)
    assert isinstance(run, ClusterRun)
    _assert_matches_exact(run, model, shape, T)


@pytest.mark.parametrize("model, shape, T", [
    (IsingModel(), (4, 4), 2.269),
    (IsingModel(J=(1.0, 0.5)), (3, 4), 1.5),
    (PottsModel(q=3), (4, 3), 1.0),
])
def test_auto_moves_match_exact_enumeration(model, shape, T):
    configs = model.random_configurations(N_CHAINS, shape, random_state=2)
    run = sample_model(model, configs, T, n_equilibration=100, n_records=2000, random_state=2,
                       moves="auto")
    assert isinstance(run, ClusterRun) and run.attempted == 2 * 2000 * shape[0] * shape[1]
    _assert_matches_exact(run, model, shape, T)


def _all_configurations(model, shape):
    n_sites = shape[0] * shape[1]
    q = model.n_states
    states = np.array(np.unravel_index(np.arange(q ** n_sites), (q,) * n_sites)).T[:, ::-1]
    return model.sites.from_states(states).reshape((-1,) + shape)


def _visit_counts(model, shape, T, algorithm, metropolis, n_records=3000, thin=5):
    state = _state(model, shape, seed=0)
    options = {"sites": model.sites, "algorithm": algorithm, "metropolis": metropolis}
    kernel = model.cluster_kernel(shape)
    run_clusters(kernel, state, T, 50, **options)
    run = run_clusters(kernel, state, T, n_records * thin, thin=thin, n_records=n_records,
                       store_snapshots=True, **options)
    labels = model.sites.states(run.snapshots.reshape(-1, shape[0] * shape[1]))
    index = labels @ (model.n_states ** np.arange(labels.shape[1]))
    return np.bincount(index, minlength=model.n_states ** labels.shape[1])


@pytest.mark.parametrize("model, shape, T", [
    (IsingModel(J=(1.0, -0.6)), (2, 3), 1.5),
    (IsingModel(J=(0.7, -1.1)), (2, 4), 1.5),
    (IsingModel(J=(0.8, 1.3)), (3, 3), 2.0),
    (PottsModel(q=3), (2, 2), 1.0),
    (EdwardsAndersonModel(L=(2, 3), random_state=5), (2, 3), 1.0),
])
@pytest.mark.parametrize("algorithm, metropolis", [
    ("swendsen-wang", False), ("wolff", False), ("swendsen-wang", True),
])
def test_visit_frequencies_follow_boltzmann_weights(model, shape, T, algorithm, metropolis):
    counts = _visit_counts(model, shape, T, algorithm, metropolis)
    E = model.energy(_all_configurations(model, shape))
    chi2, p_value = _chisquare(counts, np.exp(-(E - E.min()) / T))
    assert p_value > 1e-3, (chi2, p_value)
    # the test has power: a wrong temperature is rejected
    assert _chisquare(counts, np.exp(-(E - E.min()) / (1.3 * T)))[1] < 1e-6


def _chisquare(counts, weights, min_expected=5.0):
    """Pearson's test of counts against weights, states expected fewer than 5 times pooled."""
    expected = counts.sum() * weights / weights.sum()
    rare = expected < min_expected
    if not rare.any():
        return stats.chisquare(counts, expected)
    observed = np.append(counts[~rare], counts[rare].sum())
    return stats.chisquare(observed, np.append(expected[~rare], expected[rare].sum()))


@pytest.mark.parametrize("model, shape", [
    (IsingModel(J=(1.0, -0.7)), (5, 6)),
    (IsingModel(J=(1.0, -0.7)), (4, 6)),
    (PottsModel(q=5, J=0.8), (6, 4)),
    (EdwardsAndersonModel(L=6, random_state=3), (6, 6)),
])
@pytest.mark.parametrize("algorithm", ["swendsen-wang", "wolff"])
def test_tracked_energy_matches_recomputed_energy(model, shape, algorithm):
    state = _state(model, shape, seed=4, n_chains=4)
    run_clusters(model.cluster_kernel(shape), state, 1.2, 300, sites=model.sites,
                 algorithm=algorithm, clusters_per_sweep=3, metropolis=True)
    np.testing.assert_allclose(state.energies, model.energy(state.configs), atol=1e-9)


def test_records_match_snapshots_and_count_sites():
    model, shape = PottsModel(q=3), (5, 4)
    state = _state(model, shape, seed=5, n_chains=3)
    run = run_clusters(model.cluster_kernel(shape), state, 1.0, 40, sites=model.sites, thin=4,
                       n_records=10, store_snapshots=True)
    flat = run.snapshots.reshape((-1,) + shape)
    np.testing.assert_allclose(run.energies.ravel(), model.energy(flat), atol=1e-9)
    counts = np.array([np.bincount(s.ravel(), minlength=3).max() for s in flat])
    np.testing.assert_allclose(run.magnetizations.ravel(), (3 * counts - 20) / 2)
    assert run.attempted == 40 * 20
    assert np.all(run.accepted == run.cluster_sites) and np.all(run.clusters >= 40)


def _sample(seed, threads=None, model=None):
    model = PottsModel(q=3) if model is None else model
    configs = model.random_configurations(6, (6, 6), random_state=seed)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads or previous)
    try:
        return sample_model(model, configs, 1.0, n_equilibration=10, n_records=20, thin=2,
                            store_snapshots=True, random_state=seed, moves="cluster")
    finally:
        numba.set_num_threads(previous)


def test_same_seed_gives_identical_runs_whatever_the_threads():
    first, again = _sample(0), _sample(0, threads=1)
    np.testing.assert_array_equal(first.snapshots, again.snapshots)
    np.testing.assert_array_equal(first.energies, again.energies)
    assert not np.array_equal(first.snapshots, _sample(1).snapshots)


@pytest.mark.parametrize("model", [IsingModel(h=0.1), IsingModel(K=0.2), PottsModel(J=-1.0)])
def test_models_without_cluster_moves(model):
    assert model.cluster_kernel((4, 4)) is None
    configs = model.random_configurations(2, (4, 4), random_state=0)
    with pytest.raises(ValueError, match="moves='cluster'"):
        sample_model(model, configs, 2.0, n_equilibration=1, n_records=1, moves="cluster")
    run = sample_model(model, configs, 2.0, n_equilibration=0, n_records=0, moves="auto")
    assert type(run) is MetropolisRun


class _LearnedEnergy:
    """An energy model without compiled kernels (the protocol's minimum)."""

    sites = SiteVariables.ising()

    def energy(self, X):
        return IsingModel().energy(X)


def test_learned_models_run_metropolis_and_refuse_cluster_moves():
    state = _state(IsingModel(), (4, 4), seed=0, n_chains=2)
    with pytest.raises(ValueError, match="moves"):
        run_model(_LearnedEnergy(), state, 2.0, 1, moves="cluster")
    assert type(run_model(_LearnedEnergy(), state, 2.0, 1, moves="auto")) is MetropolisRun


@pytest.mark.parametrize("moves", ["wolff", "", None, 1])
def test_unknown_moves_are_refused(moves):
    configs = IsingModel().random_configurations(2, (4, 4), random_state=0)
    with pytest.raises(ValueError, match="moves must be one of"):
        sample_model(IsingModel(), configs, 2.0, n_equilibration=1, n_records=1, moves=moves)


def test_frustration_decides_auto():
    assert not IsingModel(J=(1.0, -1.0)).cluster_kernel((4, 4)).frustrated
    assert not IsingModel(J=(-1.0, 0.0)).cluster_kernel((4, 4)).frustrated
    assert IsingModel(J=(-1.0, 1.0)).cluster_kernel((4, 3)).frustrated  # odd antiferro rows
    assert not IsingModel(J=(-1.0, 1.0)).cluster_kernel((3, 4)).frustrated
    glass = EdwardsAndersonModel(L=4, random_state=0)
    assert glass.cluster_kernel(4).frustrated
    configs = glass.random_configurations(2, (4, 4), random_state=0)
    run = sample_model(glass, configs, 1.0, n_equilibration=0, n_records=0, moves="auto")
    assert type(run) is MetropolisRun
    run = sample_model(glass, configs, 1.0, n_equilibration=0, n_records=0, moves="cluster")
    assert type(run) is ClusterRun


def test_exact_helper_agrees_with_enumerate_exact():
    model = IsingModel(J=(1.0, 0.5))
    exact = enumerate_exact(model, (3, 4), 1.5).iloc[0]
    ours = _exact(model, (3, 4), 1.5)
    assert ours["energy"] == pytest.approx(exact.energy, abs=1e-10)
    assert ours["abs_magnetization"] == pytest.approx(exact.abs_magnetization, abs=1e-10)


def test_cluster_kernels_describe_the_energy():
    model = IsingModel(J=(0.7, -1.2))
    kernel = model.cluster_kernel((3, 5))
    np.testing.assert_array_equal(kernel.Kx, np.full((3, 5), 1.4))
    np.testing.assert_array_equal(kernel.Ky, np.full((3, 5), -2.4))
    glass = EdwardsAndersonModel(L=(3, 4), random_state=1)
    np.testing.assert_array_equal(glass.cluster_kernel((3, 4)).Kx, 2 * glass.Jx)
    with pytest.raises(ValueError, match="shape"):
        glass.cluster_kernel((4, 4))
    assert PottsModel(q=4, J=0.5).cluster_kernel(3).Kx[0, 0] == 0.5


def test_run_clusters_rejects_bad_input():
    state = _state(PottsModel(q=3), (4, 4), seed=0, n_chains=2)
    potts = PottsModel(q=3).sites
    with pytest.raises(ValueError, match="shape"):
        run_clusters(PottsModel().cluster_kernel((4, 6)), state, 1.0, 1, sites=potts)
    with pytest.raises(ValueError, match="two states"):
        run_clusters(IsingModel(J=-1.0).cluster_kernel(4), state, 1.0, 1, sites=potts)
    with pytest.raises(ValueError, match="algorithm"):
        run_clusters(PottsModel().cluster_kernel(4), state, 1.0, 1, sites=potts,
                     algorithm="wang-landau")
    with pytest.raises(ValueError, match="clusters_per_sweep"):
        run_clusters(PottsModel().cluster_kernel(4), state, 1.0, 1, sites=potts,
                     algorithm="wolff", clusters_per_sweep=0)
    with pytest.raises(ValueError, match="cluster_kernel"):
        run_clusters(PottsModel().local_kernel(), state, 1.0, 1, sites=potts)
    with pytest.raises(ValueError, match="J"):
        ClusterKernel.potts(-1.0, (4, 4))
    with pytest.raises(ValueError, match="Jx"):
        ClusterKernel.ising(np.nan, 1.0, (4, 4))


def test_make_snapshots_refuses_cluster_moves_without_clusters():
    with pytest.raises(ValueError, match="moves"):
        make_snapshots(IsingModel(h=0.5), 4, 2.0, 10, moves="cluster")


def _integrated_time(x):
    """Integrated autocorrelation time of chains ``(n_chains, n)`` with Sokal's window (c=5)."""
    x = x - x.mean()
    n = x.shape[1]
    spectrum = np.fft.rfft(x, n=2 * n, axis=1)
    acov = np.fft.irfft(spectrum * spectrum.conj(), axis=1)[:, :n].mean(axis=0)
    taus = 2.0 * np.cumsum(acov / acov[0]) - 1.0
    window = np.argmax(np.arange(n) >= 5.0 * taus)
    return taus[window]


@pytest.mark.slow
def test_cluster_moves_decorrelate_faster_near_the_critical_point():
    model, shape, T = IsingModel(), (32, 32), 2.269
    taus = {}
    for moves in ("metropolis", "auto", "cluster"):
        configs = model.random_configurations(16, shape, random_state=0)
        run = sample_model(model, configs, T, n_equilibration=2000, n_records=20000,
                           random_state=0, moves=moves)
        taus[moves] = _integrated_time(np.abs(run.magnetizations))
    # tau in sweeps (1 + 2 sum rho): about 7 for Swendsen-Wang and 65 for Metropolis at L = 32
    assert taus["cluster"] < 12 and taus["auto"] < 12, taus
    assert taus["metropolis"] > 5 * max(taus["cluster"], taus["auto"]), taus
