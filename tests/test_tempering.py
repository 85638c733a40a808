"""Replica exchange against exact enumeration, and its bookkeeping."""

import numpy as np
import pytest

from skdcl import EdwardsAndersonModel, IsingModel
from skdcl.exact import enumerate_exact
from skdcl.montecarlo import sample_model
from skdcl.montecarlo.statistics import thermodynamic_observables
from skdcl.montecarlo.tempering import TemperingRun, sample_tempering

N_SIGMA = 4


class EnergyOnly:
    """An energy model without a compiled kernel: Monte Carlo takes the batched path."""

    def __init__(self, model):
        self.model = model

    @property
    def sites(self):
        return self.model.sites

    def energy(self, X):
        return self.model.energy(X)


def ladder_means(run, n_sites):
    """Energy and |m| per spin averaged over each chain: independent across the ladders."""
    return np.stack([run.energies.mean(axis=1), np.abs(run.magnetizations).mean(axis=1)]) / n_sites


def z_scores(result, exact, n_sites):
    """Deviation from exact enumeration in standard errors from the independent ladders, per
    temperature (rows) for the energy and |m| (columns)."""
    scores = []
    for k, run in enumerate(result.runs):
        means = ladder_means(run, n_sites)
        error = means.std(axis=1, ddof=1) / np.sqrt(means.shape[1])
        expected = [exact["energy"][k], exact["abs_magnetization"][k]]
        scores.append((means.mean(axis=1) - expected) / error)
    return np.array(scores)


def all_energies(model, shape):
    """Energy of every configuration of a tiny two-state lattice."""
    n_sites = shape[0] * shape[1]
    bits = (np.arange(2**n_sites)[:, None] >> np.arange(n_sites)) & 1
    return model.energy((2 * bits - 1).astype(np.int8).reshape((-1,) + shape))


def exact_swap_acceptance(energies, T_low, T_high):
    """Mean of min(1, exp(dbeta dE)) for independent Boltzmann draws at the two temperatures."""
    levels, degeneracy = np.unique(np.round(energies, 9), return_counts=True)
    b_low, b_high = 1 / T_low, 1 / T_high
    weights = [degeneracy * np.exp(-b * (levels - levels.min())) for b in (b_low, b_high)]
    p_low, p_high = (w / w.sum() for w in weights)
    accept = np.minimum(1.0, np.exp((b_low - b_high) * np.subtract.outer(levels, levels)))
    return float(p_low @ accept @ p_high)


def test_ising_4x4_matches_exact_enumeration():
    model = IsingModel()
    temperatures = [1.5, 2.0, 2.5, 3.0]
    configs = model.random_configurations(32, 4, random_state=0)
    result = sample_tempering(model, configs, temperatures, n_equilibration=200,
                              n_records=1500, random_state=1)
    exact = enumerate_exact(model, 4, temperatures)
    assert np.all(np.abs(z_scores(result, exact, 16)) < N_SIGMA)
    assert np.all((result.swap_acceptance > 0.3) & (result.swap_acceptance <= 1))
    assert result.round_trips.sum() > 0


def test_spin_glass_needs_replica_exchange():
    model = EdwardsAndersonModel(L=4, random_state=2)
    temperatures = [0.3, 0.45, 0.7, 1.0, 1.5]
    configs = model.random_configurations(32, 4, random_state=4)
    exact = enumerate_exact(model, 4, temperatures)
    result = sample_tempering(model, configs, temperatures, n_equilibration=200,
                              n_records=1000, random_state=4)
    assert np.all(np.abs(z_scores(result, exact, 16)) < N_SIGMA)
    plain = sample_model(model, configs, temperatures[0], n_equilibration=200, n_records=1000,
                         random_state=4)
    means = ladder_means(plain, 16)[0]
    error = means.std(ddof=1) / np.sqrt(len(means))
    assert (means.mean() - exact["energy"][0]) / error > N_SIGMA


def test_model_without_kernel_matches_exact_enumeration():
    exact_model = EdwardsAndersonModel(L=(3, 3), random_state=0)
    model = EnergyOnly(exact_model)
    temperatures = [0.5, 1.0, 2.0]
    configs = exact_model.random_configurations(32, (3, 3), random_state=0)
    result = sample_tempering(model, configs, temperatures, n_equilibration=50,
                              n_records=300, random_state=0)
    exact = enumerate_exact(exact_model, (3, 3), temperatures)
    assert np.all(np.abs(z_scores(result, exact, 9)) < N_SIGMA)


def test_swap_acceptance_matches_exact():
    model = IsingModel()
    energies = all_energies(model, (4, 4))
    temperatures = [2.0, 2.5]
    configs = model.random_configurations(16, 4, random_state=0)
    result = sample_tempering(model, configs, temperatures, n_equilibration=100,
                              n_records=4000, swap_every=20, random_state=0)
    expected = exact_swap_acceptance(energies, *temperatures)
    n = result.swap_attempts[0]
    error = np.sqrt(expected * (1 - expected) / n)
    assert n == 16 * 4000 // 40
    assert abs(result.swap_acceptance[0] - expected) < N_SIGMA * error


def test_close_temperatures_swap_often():
    model = IsingModel()
    configs = model.random_configurations(8, 4, random_state=0)
    result = sample_tempering(model, configs, [2.0, 2.02, 2.04], n_equilibration=10,
                              n_records=200, random_state=0)
    assert np.all(result.swap_acceptance > 0.9)
    assert np.all(result.swap_acceptance <= 1.0)


def test_swaps_exchange_configurations_with_their_energies():
    model = EdwardsAndersonModel(L=4, random_state=1)
    configs = model.random_configurations(6, 4, random_state=0)
    result = sample_tempering(model, configs, [0.4, 0.8, 1.6], n_equilibration=5,
                              n_records=7, thin=3, swap_every=2, store_snapshots=True,
                              random_state=0)
    for run in result.runs:
        assert run.energies.shape == (6, 7)
        assert run.snapshots.shape == (6, 7, 4, 4)
        recomputed = model.energy(run.snapshots.reshape(-1, 4, 4)).reshape(6, 7)
        np.testing.assert_allclose(run.energies, recomputed, atol=1e-9)
        np.testing.assert_array_equal(run.magnetizations, run.snapshots.sum(axis=(2, 3)))
        assert run.attempted == 21 * 16
    assert result.swap_acceptance.min() < 1.0 and result.swap_acceptance.max() > 0.0


def test_round_trips_when_every_swap_is_accepted():
    model = IsingModel()
    configs = model.random_configurations(3, 4, random_state=0)
    result = sample_tempering(model, configs, [1.0, 1.0 + 1e-12], n_equilibration=0,
                              n_records=10, random_state=0)
    # rounds 0..9 alternate even (the pair) and odd (nothing to try) pairs; replicas swap
    # every even round, and a round trip ends at rounds 2, 4, 6 and 8
    np.testing.assert_array_equal(result.swap_attempts, [15])
    np.testing.assert_array_equal(result.swap_acceptance, [1.0])
    np.testing.assert_array_equal(result.round_trips, [4, 4, 4])


@pytest.mark.parametrize("model", [IsingModel(), EdwardsAndersonModel(L=4, random_state=0),
                                   EnergyOnly(IsingModel())], ids=["whole-sweep", "site",
                                                                   "batched"])
def test_single_temperature_is_plain_metropolis(model):
    configs = IsingModel().random_configurations(4, 4, random_state=0)
    kwargs = dict(n_equilibration=3, n_records=5, thin=2, store_snapshots=True, random_state=7)
    result = sample_tempering(model, configs, [1.7], swap_every=3, **kwargs)
    plain = sample_model(model, configs, 1.7, **kwargs)
    (run,) = result.runs
    for name in ("energies", "magnetizations", "snapshots", "accepted", "attempted"):
        np.testing.assert_array_equal(getattr(run, name), getattr(plain, name))
    assert result.swap_acceptance.shape == (0,)
    np.testing.assert_array_equal(result.round_trips, [0, 0, 0, 0])


def test_reproducible_with_a_seed():
    model = EdwardsAndersonModel(L=4, random_state=0)
    configs = model.random_configurations(4, 4, random_state=0)

    def run(seed):
        return sample_tempering(model, configs, [0.5, 1.0, 2.0], n_equilibration=5,
                                n_records=20, random_state=seed)

    first, again, other = run(3), run(3), run(4)
    for a, b in zip(first.runs, again.runs):
        np.testing.assert_array_equal(a.energies, b.energies)
    np.testing.assert_array_equal(first.swap_acceptance, again.swap_acceptance)
    assert not np.array_equal(first.runs[0].energies, other.runs[0].energies)


def test_result_structure_and_table_column():
    model = IsingModel()
    configs = np.stack([model.random_configurations(2, 4, random_state=k) for k in range(3)])
    result = sample_tempering(model, configs, np.array([1.0, 2.0, 3.0]), n_equilibration=2,
                              n_records=4, random_state=0)
    assert isinstance(result, TemperingRun)
    np.testing.assert_array_equal(result.temperatures, [1.0, 2.0, 3.0])
    assert result.runs[0].snapshots is None
    column = result.swap_acceptance_column()
    np.testing.assert_array_equal(column[:2], result.swap_acceptance)
    assert np.isnan(column[2])
    row = thermodynamic_observables(result.runs[1], 2.0, 16)
    assert np.isfinite(row["energy"]) and np.isfinite(row["energy_err"])
    assert np.all(configs == np.stack([model.random_configurations(2, 4, random_state=k)
                                       for k in range(3)]))


@pytest.mark.parametrize("kwargs, name", [
    (dict(temperatures=[2.0, 1.0]), "temperatures"),
    (dict(temperatures=[1.0, 1.0]), "temperatures"),
    (dict(temperatures=[1.0, -2.0]), "temperatures"),
    (dict(temperatures=[]), "temperatures"),
    (dict(temperatures=[[1.0, 2.0]]), "temperatures"),
    (dict(temperatures=[1.0, "hot"]), "temperatures"),
    (dict(configs=np.ones((4, 4), dtype=np.int8)), "configs"),
    (dict(configs=np.ones((3, 2, 4, 4), dtype=np.int8)), "configs"),
    (dict(configs=np.zeros((2, 4, 4), dtype=np.int8)), "configs"),
    (dict(n_equilibration=-1), "n_equilibration"),
    (dict(n_records=0), "n_records"),
    (dict(n_records=2.5), "n_records"),
    (dict(thin=0), "thin"),
    (dict(thin=True), "thin"),
    (dict(swap_every=0), "swap_every"),
    (dict(store_snapshots="yes"), "store_snapshots"),
])
def test_invalid_arguments(kwargs, name):
    arguments = dict(configs=np.ones((2, 4, 4), dtype=np.int8), temperatures=[1.0, 2.0],
                     n_equilibration=1, n_records=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=name):
        sample_tempering(IsingModel(), random_state=0, **arguments)


@pytest.mark.slow
def test_spin_glass_with_many_temperatures_matches_exact():
    model = EdwardsAndersonModel(L=4, random_state=9)
    temperatures = np.geomspace(0.25, 2.0, 8)
    configs = model.random_configurations(64, 4, random_state=0)
    result = sample_tempering(model, configs, temperatures, n_equilibration=1000,
                              n_records=10000, random_state=0)
    exact = enumerate_exact(model, 4, temperatures)
    assert np.all(np.abs(z_scores(result, exact, 16)) < N_SIGMA)
