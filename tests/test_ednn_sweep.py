"""Tests of the tabulated EDNN's colour-class sweep (``LocalKernel.sweep``)."""

import itertools

import numba
import numpy as np
import pytest

from skdcl import IsingModel, PottsModel
from skdcl.datasets import make_snapshots
from skdcl.ednn import EDNNEnergyModel
from skdcl.ednn._geometry import colour_classes, tile_geometry
from skdcl.ednn._sweep import _LOG_BOUNDS, _N_BUCKETS, colour_sweep
from skdcl.montecarlo import ChainState, run_chains, seed_streams

TINY = dict(hidden_layer_sizes=(8, 8), epochs=2, random_state=0)


def _fit(model, L, temperatures, n=600, **params):
    rng = np.random.RandomState(0)
    X = np.concatenate([make_snapshots(model, L, T, n // len(temperatures), thin=5,
                                       random_state=rng) for T in temperatures])
    return EDNNEnergyModel(**{**TINY, **params}).fit(X, model.energy(X))


@pytest.fixture(scope="module")
def ising_ednn():
    return _fit(IsingModel(), 4, (1.5, 2.5, 4.0))


@pytest.fixture(scope="module")
def potts_ednn():
    return _fit(PottsModel(q=3), 6, (0.8, 1.5), focus=1)  # 3x3 windows: 9 colours


def _run(kernel, model, configs, T, n_sweeps, seed=0, **records):
    configs = configs.copy()
    state = ChainState(configs, model.energy(configs), seed_streams(len(configs), seed))
    run = run_chains(kernel, state, T, n_sweeps, sites=model.sites, **records)
    return state, run


@pytest.mark.parametrize("shape, focus, context", [
    ((8, 8), 2, 1), ((8, 12), 2, 1), ((4, 4), 2, 1), ((9, 6), 1, 1), ((12, 12), 3, 1),
    ((12, 6), 2, 2), ((10, 5), 1, 2), ((4, 6), 2, 0)])
def test_colour_classes_hold_every_site_in_its_tiles_and_never_share_one(shape, focus, context):
    classes = colour_classes(shape, focus, context, 3)
    geometry = tile_geometry(shape, focus, context, 3)
    Py, Px = classes["period"]
    held = set()
    for i, j in itertools.product(range(shape[0]), range(shape[1])):
        a, b, m, n = i % Py, j % Px, i // Py, j // Px
        tiles = {}
        for dy, dx in itertools.product(range(classes["row_counts"][a]),
                                        range(classes["col_counts"][b])):
            t = int(classes["row_index"][a, dy, m] + classes["col_index"][b, dx, n])
            assert (a, b, t) not in held  # no tile holds two sites of one colour
            held.add((a, b, t))
            tiles[t] = int(classes["places"][a, b, dy, dx])
        site = i * shape[1] + j
        count = geometry["site_counts"][site]
        assert tiles == dict(zip(geometry["site_tiles"][site, :count].tolist(),
                                 geometry["site_weights"][site, :count].tolist()))


def test_colour_classes_need_sides_that_are_multiples_of_the_period():
    assert colour_classes((8, 6), 2, 1, 2) is None  # period 4
    assert colour_classes((8, 8), 2, 1, 2)["period"] == (4, 4)
    assert colour_classes((6, 6), 1, 1, 3)["period"] == (3, 3)


def test_log_bounds_bracket_minus_log_u_in_every_bucket():
    bits = np.concatenate([np.random.default_rng(0).integers(1, 2**32, 100_000),
                           [1, 2**21 - 1, 2**21, 2**32 - 1]]).astype(np.uint64)
    w = -np.log(bits / 2.0**32)
    bucket = (bits >> np.uint64(32 - int(np.log2(_N_BUCKETS)))).astype(np.int64)
    assert np.all(_LOG_BOUNDS[2 * bucket] >= w) and np.all(w > _LOG_BOUNDS[2 * bucket + 1])


def test_kernel_has_a_sweep_only_where_the_lattice_splits_into_colours(ising_ednn):
    assert ising_ednn.local_kernel((8, 8)).sweep is colour_sweep(unrolled=True)
    assert ising_ednn.local_kernel((4, 6)).sweep is None  # the per-site path
    X = IsingModel().random_configurations(20, 4, random_state=0)
    unshared = EDNNEnergyModel(**{**TINY, "shared": False}).fit(X, IsingModel().energy(X))
    assert unshared.local_kernel((4, 4)).sweep is None  # one table per tile


@pytest.mark.parametrize("kind", ["ising", "potts"])
def test_sweep_tracks_the_model_energy(ising_ednn, potts_ednn, kind):
    model = ising_ednn if kind == "ising" else potts_ednn
    shape = (8, 12) if kind == "ising" else (6, 12)
    configs = model.sites.random(6, shape, random_state=0)
    kernel = model.local_kernel(shape)
    assert kernel.sweep is not None
    state, run = _run(kernel, model, configs, 2.0, 40, thin=10, n_records=4)
    assert 0 < run.accepted.sum() < run.attempted * len(configs)
    np.testing.assert_allclose(state.energies, model.energy(state.configs), atol=1e-3)
    np.testing.assert_array_equal(run.energies[:, -1], state.energies)
    assert set(np.unique(state.configs)) <= set(model.sites.values.tolist())


def test_generic_and_unrolled_sweeps_make_the_same_moves(ising_ednn):
    configs = IsingModel().random_configurations(3, 8, random_state=1)
    kernel = ising_ednn.local_kernel((8, 8))
    a, run_a = _run(kernel, ising_ednn, configs, 2.5, 20)
    generic = kernel._replace(sweep=colour_sweep(unrolled=False))
    b, run_b = _run(generic, ising_ednn, configs, 2.5, 20)
    np.testing.assert_array_equal(a.configs, b.configs)
    np.testing.assert_array_equal(run_a.accepted, run_b.accepted)
    # the energy changes of a move are summed in another order
    np.testing.assert_allclose(a.energies, b.energies, rtol=1e-12)


def test_sweep_is_reproducible_whatever_the_number_of_threads(ising_ednn):
    configs = IsingModel().random_configurations(4, 8, random_state=2)
    kernel = ising_ednn.local_kernel((8, 8))
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, run_one = _run(kernel, ising_ednn, configs, 2.3, 30, seed=5, thin=3,
                            n_records=10)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two, run_two = _run(kernel, ising_ednn, configs, 2.3, 30, seed=5, thin=3,
                            n_records=10)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(one.configs, two.configs)
    np.testing.assert_array_equal(one.energies, two.energies)
    np.testing.assert_array_equal(run_one.energies, run_two.energies)
    np.testing.assert_array_equal(run_one.magnetizations, run_two.magnetizations)


@pytest.mark.parametrize("kind", ["ising", pytest.param("potts", marks=pytest.mark.slow)])
def test_sweep_and_site_by_site_path_agree_on_thermal_averages(ising_ednn, potts_ednn, kind):
    model = ising_ednn if kind == "ising" else potts_ednn
    shape, T = ((8, 8), 2.5) if kind == "ising" else ((6, 6), 1.2)
    kernel = model.local_kernel(shape)
    start = model.sites.random(32, shape, random_state=4)
    averages = []
    for k in (kernel, kernel._replace(sweep=None)):
        _, run = _run(k, model, start, T, 1200, thin=1, n_records=1000)
        per_chain = np.stack([run.energies.mean(axis=1),
                              np.abs(run.magnetizations).mean(axis=1)])
        averages.append((per_chain.mean(axis=1),
                         per_chain.std(axis=1, ddof=1) / np.sqrt(per_chain.shape[1])))
    (mean_a, err_a), (mean_b, err_b) = averages
    assert np.all(np.abs(mean_a - mean_b) < 4 * np.hypot(err_a, err_b))
