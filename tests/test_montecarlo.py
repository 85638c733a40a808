"""Statistical tests of the Metropolis engine against exact results (fixed seeds, 4 SE)."""

import numba
import numpy as np
import pytest
from scipy import stats

from skdcl import (
    EdwardsAndersonModel,
    IsingModel,
    MetropolisSimulator,
    PottsModel,
    enumerate_exact,
    ising_exact,
)
from skdcl.montecarlo import ChainState, jackknife, next_uint64, run_chains, seed_streams
from skdcl.montecarlo.checkerboard import (
    _ising_block_pass,
    _ising_block_thresholds,
    _ising_block_ties,
    ising_acceptance_table,
)

from .test_exact import REFERENCE_8


def test_ising_8x8_matches_exact_energy_and_specific_heat():
    temperatures = list(REFERENCE_8)
    table = MetropolisSimulator(IsingModel(), random_state=0).thermodynamics(
        temperatures, 8, n_chains=32, n_sweeps=20000, n_equilibration=1000)
    for row in table.itertuples():
        e, c = REFERENCE_8[row.T]
        assert row.energy_err < 0.005
        assert abs(row.energy - e) < 4 * row.energy_err
        assert abs(row.specific_heat - c) < 4 * row.specific_heat_err


def test_ising_16x16_at_critical_temperature():
    table = MetropolisSimulator(IsingModel(), random_state=1).thermodynamics(
        [2.269], 16, n_chains=32, n_sweeps=10000, n_equilibration=2000)
    row = table.iloc[0]
    assert row.energy_err < 0.005
    assert abs(row.energy - -1.4533425477) < 4 * row.energy_err
    assert abs(row.specific_heat - 1.4983111035) < 4 * row.specific_heat_err


@pytest.mark.parametrize("model, temperatures", [
    (PottsModel(q=3), [0.8, 1.0, 1.5]),
    (EdwardsAndersonModel(L=4, random_state=0), [0.8, 1.5, 3.0]),
])
def test_small_lattices_match_exact_enumeration(model, temperatures):
    exact = enumerate_exact(model, 4, temperatures)
    table = MetropolisSimulator(model, random_state=2).thermodynamics(
        temperatures, 4, n_chains=32, n_sweeps=10000, n_equilibration=1000, init="random")
    for name in ("energy", "specific_heat", "abs_magnetization"):
        deviation = np.abs(table[name] - exact[name])
        assert np.all(deviation < 4 * table[name + "_err"]), (name, deviation.tolist())


def _visit_counts(model, shape, T, n_chains=64, n_records=3000, thin=4, seed=0):
    configs = model.random_configurations(n_chains, shape, random_state=seed)
    state = ChainState(configs, model.energy(configs), seed_streams(n_chains, seed))
    kernel = model.local_kernel(shape)
    run_chains(kernel, state, T, 100, sites=model.sites)
    run = run_chains(kernel, state, T, n_records * thin, sites=model.sites, thin=thin,
                     n_records=n_records, store_snapshots=True)
    labels = model.sites.states(run.snapshots.reshape(-1, shape[0] * shape[1]))
    base = model.n_states
    index = labels @ (base ** np.arange(labels.shape[1]))
    return np.bincount(index, minlength=base ** labels.shape[1])


@pytest.mark.parametrize("model, shape, T", [
    (IsingModel(J=(1.0, 0.6), h=0.3), (3, 3), 2.0),
    (IsingModel(J=(1.0, 0.6), h=0.3), (2, 4), 2.0),
    (IsingModel(J=(0.5, 1.2), h=-0.4), (4, 2), 1.5),
    (PottsModel(q=3), (2, 2), 1.0),
    (EdwardsAndersonModel(L=(2, 3), random_state=5), (2, 3), 1.0),
])
def test_visit_frequencies_follow_boltzmann_weights(model, shape, T):
    counts = _visit_counts(model, shape, T)
    q = model.n_states
    labels = np.array(np.unravel_index(np.arange(q ** (shape[0] * shape[1])),
                                       (q,) * (shape[0] * shape[1]))).T[:, ::-1]
    X = (2 * labels - 1 if model.spin_kind == "ising" else labels).reshape((-1,) + shape)
    E = model.energy(X.astype(np.int8))
    weights = np.exp(-(E - E.min()) / T)
    expected = counts.sum() * weights / weights.sum()
    chi2, p_value = stats.chisquare(counts, expected)
    assert p_value > 1e-3, (chi2, p_value)
    # and the test has power: a wrong temperature is rejected
    wrong = np.exp(-(E - E.min()) / (1.3 * T))
    assert stats.chisquare(counts, counts.sum() * wrong / wrong.sum())[1] < 1e-6


def test_same_seed_gives_identical_runs_and_tables():
    sim = MetropolisSimulator(PottsModel(q=3), random_state=7)
    first = sim.thermodynamics([1.0, 2.0], 6, n_chains=4, n_sweeps=50, n_equilibration=10)
    second = sim.thermodynamics([1.0, 2.0], 6, n_chains=4, n_sweeps=50, n_equilibration=10)
    assert first.equals(second)
    third = MetropolisSimulator(PottsModel(q=3), random_state=8).thermodynamics(
        [1.0, 2.0], 6, n_chains=4, n_sweeps=50, n_equilibration=10)
    assert not first.equals(third)


def test_tracked_energy_matches_recomputed_energy():
    model = EdwardsAndersonModel(L=6, random_state=0)
    configs = model.random_configurations(4, 6, random_state=0)
    state = ChainState(configs, model.energy(configs), seed_streams(4, 0))
    run_chains(model.local_kernel(), state, 1.0, 200)
    np.testing.assert_allclose(state.energies, model.energy(state.configs), atol=1e-9)


def test_jackknife_of_mean_equals_standard_error():
    bins = np.random.default_rng(0).normal(size=(50, 1))
    value, error = jackknife(bins, lambda m: m[0])
    assert value == pytest.approx(bins.mean())
    assert error == pytest.approx(bins.std(ddof=1) / np.sqrt(50))


@pytest.mark.parametrize("shape, per_site", [((4, 6), False), ((4, 6), True), ((3, 5), True)])
def test_ising_checkerboard_and_per_site_paths_match_exact_energy(shape, per_site):
    model, T, n_chains = IsingModel(), 2.5, 32
    kernel = model.local_kernel(shape)
    if per_site:
        kernel = kernel._replace(sweep=None)
    configs = model.random_configurations(n_chains, shape, random_state=3)
    state = ChainState(configs, model.energy(configs), seed_streams(n_chains, 3))
    run_chains(kernel, state, T, 200)
    run = run_chains(kernel, state, T, 4000, thin=1, n_records=4000)
    per_chain = run.energies.mean(axis=1) / (shape[0] * shape[1])
    error = per_chain.std(ddof=1) / np.sqrt(n_chains)
    exact = ising_exact(shape, T).energy[0]
    assert error < 0.01
    assert abs(per_chain.mean() - exact) < 4 * error


@pytest.mark.parametrize("shape", [(4, 6), (2, 2), (8, 8)])
def test_ising_checkerboard_records_match_snapshots(shape):
    model = IsingModel(J=(1.0, 0.6), h=0.3)
    configs = model.random_configurations(3, shape, random_state=0)
    state = ChainState(configs, model.energy(configs) + 5.0, seed_streams(3, 0))
    run = run_chains(model.local_kernel(shape), state, 2.0, 60, thin=6, n_records=10,
                     store_snapshots=True)
    snapshots = run.snapshots.reshape((-1,) + shape)
    np.testing.assert_allclose(run.energies.ravel(), model.energy(snapshots) + 5.0, atol=1e-9)
    np.testing.assert_array_equal(run.magnetizations.ravel(), snapshots.sum(axis=(1, 2)))
    np.testing.assert_array_equal(run.snapshots[:, -1], state.configs)
    np.testing.assert_allclose(state.energies, model.energy(state.configs) + 5.0, atol=1e-9)
    assert np.all(run.accepted > 0) and np.all(run.accepted < run.attempted)


def test_ising_checkerboard_is_independent_of_thread_count():
    model = IsingModel()
    results = []
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        previous = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            configs = model.random_configurations(5, 8, random_state=0)
            state = ChainState(configs, model.energy(configs), seed_streams(5, 0))
            run = run_chains(model.local_kernel((8, 8)), state, 2.3, 50, thin=5, n_records=10)
        finally:
            numba.set_num_threads(previous)
        results.append((state.configs, state.rng_states, run.energies, run.accepted))
    for first, second in zip(*results):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("beta", [0.7, 1000.0])
def test_ising_two_stage_acceptance_is_exact(beta):
    # the 16-bit vector pass and the tie pass together accept exactly when the 32-bit uniform
    # (16 bits from the pass, 16 from the chain's stream on a tie) is below the threshold
    full, upper = _ising_block_thresholds(ising_acceptance_table((1.0, 0.6, 0.3), beta))
    classes = [(nh, nv, x) for nh in range(3) for nv in range(3) for x in range(2)]
    sites = [(nh, nv, x, int(w)) for nh, nv, x in classes
             for w in {0, 1, 0xFFFF, *np.clip(upper[nh * 6 + nv * 2 + x] + np.arange(-1, 2), 0,
                                                0xFFFF)}]
    x = np.array([site[2] for site in sites], dtype=np.uint8)
    h0 = x ^ np.array([site[0] >= 1 for site in sites], dtype=np.uint8)
    h1 = x ^ np.array([site[0] >= 2 for site in sites], dtype=np.uint8)
    v0 = x ^ np.array([site[1] >= 1 for site in sites], dtype=np.uint8)
    v1 = x ^ np.array([site[1] >= 2 for site in sites], dtype=np.uint8)
    u = np.array([site[3] for site in sites], dtype=np.uint16)
    stream = seed_streams(1, 0)[0]
    spins, totals = x.copy(), np.zeros(4, dtype=np.int64)
    flips, _, _, _, ties = _ising_block_pass(spins, h0, h1, v0, v1, u,
                                             np.ones(len(sites), dtype=np.uint8), upper)
    assert ties
    _ising_block_ties(spins, h0, h1, v0, v1, u, full, stream.copy(), totals)
    expected = []
    for nh, nv, bit, w in sites:
        k = nh * 6 + nv * 2 + bit
        if w == upper[k]:
            w32 = (w << 16) | int(next_uint64(stream) >> np.uint64(48))
        else:  # decided by the upper 16 bits: any lower bits give the same answer
            w32 = (w << 16) | (0xFFFF if w < upper[k] else 0)
        expected.append(bit ^ int(w32 < int(full[k])))
    np.testing.assert_array_equal(spins, expected)
    assert flips + totals[0] == np.sum(spins != x)
