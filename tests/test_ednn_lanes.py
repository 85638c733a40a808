"""Tests of the tabulated EDNN's lane sweep (``LocalKernel.lane_sweep``): many chains at once."""

import itertools

import numba
import numpy as np
import pytest

from skdcl import IsingModel, PottsModel
from skdcl.datasets import make_snapshots
from skdcl.ednn import EDNNEnergyModel
from skdcl.ednn._lanes import LANE_WIDTH, _settle_undecided, _to_lanes, lane_sweep_for
from skdcl.ednn._sweep import _LOG_BOUNDS
from skdcl.montecarlo import ChainState, order_parameter, run_chains, seed_streams

TINY = dict(hidden_layer_sizes=(8, 8), epochs=2, random_state=0)


@pytest.fixture(scope="module")
def ising_ednn():
    model = IsingModel()
    rng = np.random.RandomState(0)
    X = np.concatenate([make_snapshots(model, 4, T, 200, thin=5, random_state=rng)
                        for T in (1.5, 2.5, 4.0)])
    return EDNNEnergyModel(**TINY).fit(X, model.energy(X))


def _run(kernel, model, configs, T, n_sweeps, streams, **records):
    configs = configs.copy()
    state = ChainState(configs, model.energy(configs), streams.copy())
    run = run_chains(kernel, state, T, n_sweeps, sites=model.sites, **records)
    return state, run


def _colour_only(kernel):
    return kernel._replace(lane_sweep=None, lane_width=0)


def test_kernel_has_a_lane_sweep_only_for_two_states_in_2x2_tiles_of_one_table(ising_ednn):
    kernel = ising_ednn.local_kernel((8, 8))
    assert kernel.lane_sweep is not None and kernel.lane_width == LANE_WIDTH
    assert ising_ednn.local_kernel((8, 8)).lane_sweep is kernel.lane_sweep  # compiled once
    assert ising_ednn.local_kernel((4, 6)).lane_sweep is None  # no colour classes
    potts = PottsModel(q=3)
    X = potts.sites.random(30, (6, 6), random_state=0)
    potts_ednn = EDNNEnergyModel(**{**TINY, "focus": 1}).fit(X, potts.energy(X))
    assert potts_ednn.local_kernel((6, 6)).lane_sweep is None
    X = IsingModel().random_configurations(20, 4, random_state=0)
    unshared = EDNNEnergyModel(**{**TINY, "shared": False}).fit(X, IsingModel().energy(X))
    assert unshared.local_kernel((4, 4)).lane_sweep is None  # one table per tile


def test_lane_sweep_is_built_for_two_states_held_by_2x2_tiles_only():
    from skdcl.ednn._geometry import colour_classes

    table = np.linspace(-1.0, 1.0, 2**16)
    assert lane_sweep_for(table, colour_classes((8, 8), 2, 1, 2), True) is not None
    assert lane_sweep_for(table, colour_classes((8, 8), 2, 1, 2), False) is None
    assert lane_sweep_for(table, None, True) is None
    assert lane_sweep_for(table, colour_classes((9, 9), 1, 1, 2), True) is None  # 3 x 3 holders


def test_lane_sweep_tracks_energy_magnetisation_and_snapshots(ising_ednn):
    n_chains = LANE_WIDTH + 3  # a full group of lanes and three chains of the colour sweep
    configs = IsingModel().random_configurations(n_chains, 8, random_state=1)
    kernel = ising_ednn.local_kernel((8, 8))
    state, run = _run(kernel, ising_ednn, configs, 2.3, 30, seed_streams(n_chains, 0),
                      thin=10, n_records=3, store_snapshots=True)
    assert 0 < run.accepted.sum() < run.attempted * n_chains
    np.testing.assert_allclose(state.energies, ising_ednn.energy(state.configs), atol=1e-3)
    np.testing.assert_array_equal(run.energies[:, -1], state.energies)
    np.testing.assert_array_equal(run.snapshots[:, -1], state.configs)
    sites = ising_ednn.sites.kernel_values
    for c in range(n_chains):
        for r in range(3):
            assert run.magnetizations[c, r] == order_parameter(run.snapshots[c, r], sites) * 64


def test_a_chain_of_a_group_moves_as_it_would_in_any_other_group(ising_ednn):
    n_chains = 2 * LANE_WIDTH
    configs = IsingModel().random_configurations(n_chains, 8, random_state=2)
    streams = seed_streams(n_chains, 3)
    kernel = ising_ednn.local_kernel((8, 8))
    both, run_both = _run(kernel, ising_ednn, configs, 2.3, 20, streams)
    second, run_second = _run(kernel, ising_ednn, configs[LANE_WIDTH:], 2.3, 20,
                              streams[LANE_WIDTH:])
    np.testing.assert_array_equal(both.configs[LANE_WIDTH:], second.configs)
    np.testing.assert_array_equal(both.energies[LANE_WIDTH:], second.energies)
    np.testing.assert_array_equal(run_both.accepted[LANE_WIDTH:], run_second.accepted)
    # a group with fewer chains than lanes (called directly) moves them the same way too
    few, energies, rngs = configs[:5].copy(), ising_ednn.energy(configs[:5]), streams[:5].copy()
    accepted = np.zeros(5, dtype=np.int64)
    empty = np.zeros((5, 0))
    kernel.lane_sweep(few, energies, rngs, kernel.params, kernel.acceptance_table(1 / 2.3), 20,
                      0, empty, empty, np.zeros((5, 0, 8, 8), np.int8), accepted)
    np.testing.assert_array_equal(few, both.configs[:5])
    np.testing.assert_array_equal(accepted, run_both.accepted[:5])


def test_lane_sweep_is_reproducible_whatever_the_number_of_threads(ising_ednn):
    n_chains = 2 * LANE_WIDTH
    configs = IsingModel().random_configurations(n_chains, 8, random_state=4)
    kernel = ising_ednn.local_kernel((8, 8))
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, run_one = _run(kernel, ising_ednn, configs, 2.3, 20, seed_streams(n_chains, 5),
                            thin=4, n_records=5)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two, run_two = _run(kernel, ising_ednn, configs, 2.3, 20, seed_streams(n_chains, 5),
                            thin=4, n_records=5)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(one.configs, two.configs)
    np.testing.assert_array_equal(run_one.energies, run_two.energies)


@pytest.mark.parametrize("lanes", [True, False])
def test_lane_and_colour_sweeps_sample_the_boltzmann_distribution(ising_ednn, lanes):
    # 4x4: one site per colour; every configuration enumerated under the learned energy
    configs = np.array(list(itertools.product((-1, 1), repeat=16)), dtype=np.int8)
    energies = ising_ednn.predict(configs.reshape(-1, 4, 4))
    T = 2.5
    weights = np.exp(-(energies - energies.min()) / T)
    exact = weights @ energies / weights.sum()
    start = IsingModel().random_configurations(2 * LANE_WIDTH, 4, random_state=3)
    kernel = ising_ednn.local_kernel((4, 4))
    kernel = kernel if lanes else _colour_only(kernel)
    _, run = _run(kernel, ising_ednn, start, T, 3000, seed_streams(len(start), 0), thin=1,
                  n_records=3000)
    chain_means = run.energies[:, 200:].mean(axis=1)
    error = chain_means.std(ddof=1) / np.sqrt(len(chain_means))
    assert abs(chain_means.mean() - exact) < 4 * error


def _undecided_bits(x):
    """32-bit uniforms on either side of ``exp(-x)`` in its bucket of ``-log u`` bounds."""
    edge = int(np.exp(-x) * 2.0**32)
    below, above = edge - 1, edge + 2
    for bits in (below, above):
        bucket = 2 * (bits >> 21)
        assert _LOG_BOUNDS[bucket + 1] <= x < _LOG_BOUNDS[bucket]  # the vector pass rejects
    return below, above


def test_moves_left_undecided_by_the_bounds_are_decided_exactly(ising_ednn):
    kernel = ising_ednn.local_kernel((4, 4))
    params = kernel.params
    row_index, col_index, places = params[6], params[7], params[8]
    configs = np.ones((2, 4, 4), dtype=np.int8)
    states = np.zeros((16, 2), dtype=np.int8)
    codes = np.zeros((4, 2), dtype=np.uint64)
    tile_energy = np.zeros((4, 2))
    _to_lanes(configs, params[2], params[4], params[5], params[0], states, codes, tile_energy)
    dE = kernel.delta_energy(configs[0], 0, 0, np.int8(-1), params)  # the per-site path's
    assert dE > 0  # all spins up: the learned ferromagnet's ground state
    beta = 0.125
    below, above = _undecided_bits(beta * dE)
    draws = np.array([[below, above]], dtype=np.uint64)
    energy, accepted = np.zeros(2), np.zeros(2, dtype=np.int64)
    _settle_undecided(np.array([0]), 0, 0, (row_index, col_index, places, 4), beta, draws,
                      states, codes, tile_energy, params[0], energy, accepted)
    np.testing.assert_array_equal(accepted, [1, 0])  # u < exp(-x) accepts, u > exp(-x) not
    np.testing.assert_allclose(energy, [dE, 0.0], rtol=1e-12)
    assert states[0, 0] == 0 and states[0, 1] == 1
