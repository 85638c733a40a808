"""Convergence diagnostics, honest error bars and adaptive thermodynamics runs."""

import warnings

import numpy as np
import pytest
from scipy.signal import lfilter

from skdcl import IsingModel, MetropolisSimulator, ising_exact
from skdcl.montecarlo import MetropolisRun
from skdcl.montecarlo.diagnostics import (
    MIN_ESS,
    RHAT_THRESHOLD,
    ConvergenceWarning,
    autocorrelation,
    check_convergence,
    effective_sample_size,
    integrated_time,
    split_rhat,
)
from skdcl.montecarlo.statistics import OBSERVABLES, series_statistics, thermodynamic_observables
from skdcl.montecarlo.tables import FIRST_ROUND
from skdcl.simulator import DIAGNOSTIC_SUFFIXES


def ar1(phi, n_chains, n_draws, seed):
    """AR(1) chains started in equilibrium; their tau is (1 + phi) / (1 - phi)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n_chains, n_draws))
    noise[:, 0] /= np.sqrt(1 - phi**2)
    return lfilter([1.0], [1.0, -phi], noise, axis=1)


@pytest.mark.parametrize("phi, n_draws", [(0.0, 20_000), (0.5, 20_000), (0.8, 20_000),
                                          (0.95, 80_000)])
def test_integrated_time_of_ar1(phi, n_draws):
    n_chains = 8
    tau = integrated_time(ar1(phi, n_chains, n_draws, seed=0))
    exact = (1 + phi) / (1 - phi)
    # Madras & Sokal: var(tau) = 2 (2 M + 1) / N tau^2 with the window M ~ 5 tau
    error = exact * np.sqrt(2 * (10 * exact + 1) / (n_chains * n_draws))
    assert abs(tau - exact) < 4 * error


def test_autocorrelation_of_ar1_decays_geometrically():
    rho = autocorrelation(ar1(0.8, 8, 20_000, seed=1))
    assert rho[0] == 1.0
    np.testing.assert_allclose(rho[1:4], 0.8 ** np.arange(1, 4), atol=0.02)


def test_constant_chains_count_as_independent():
    x = np.full((2, 50), 3.0)
    assert integrated_time(x) == 1.0 and effective_sample_size(x) == 100.0
    assert split_rhat(x) == 1.0


def test_effective_sample_size_of_iid_and_ar1_draws():
    iid = np.random.default_rng(2).normal(size=(4, 5000))
    assert abs(effective_sample_size(iid) - 20_000) < 4 * 20_000 * np.sqrt(22 / 20_000)
    ess = effective_sample_size(ar1(0.9, 8, 40_000, seed=3))
    exact = 8 * 40_000 / 19.0
    assert abs(ess - exact) < 4 * exact * np.sqrt(2 * 191 / 320_000)


def test_split_rhat_is_one_for_iid_chains_and_flags_disagreement():
    rng = np.random.default_rng(4)
    same = rng.normal(size=(4, 2000))
    assert split_rhat(same) < RHAT_THRESHOLD
    assert split_rhat(same, rank_normalize=False) < RHAT_THRESHOLD
    shifted = same + np.array([0.0, 0.0, 0.0, 0.3])[:, None]
    assert split_rhat(shifted) > RHAT_THRESHOLD
    assert split_rhat(shifted, rank_normalize=False) > RHAT_THRESHOLD
    wider = same * np.array([1.0, 1.0, 1.0, 2.0])[:, None]  # same mean, other spread
    assert split_rhat(wider) > RHAT_THRESHOLD  # the tail R-hat sees it
    drifting = same + np.linspace(0, 0.5, 2000)  # each chain drifts: the halves disagree
    assert split_rhat(drifting) > RHAT_THRESHOLD


def test_split_rhat_ignores_rounding_in_running_energy_sums():
    # cold chains: mostly the ground state (-640), now and then an excitation (+8); each chain
    # carries the energy as a running sum, so its ground state is off in the last bits
    rng = np.random.default_rng(6)
    levels = -640.0 + 8.0 * (rng.random((8, 4000)) < 0.05)
    rounding = 1e-12 * np.arange(1, 9)[:, None]
    assert split_rhat(levels + rounding) < RHAT_THRESHOLD
    assert split_rhat(levels + rounding) == pytest.approx(split_rhat(levels))
    assert split_rhat(levels + rounding * 1e9) > RHAT_THRESHOLD  # 1e-3 apart: a real difference


def test_plain_split_rhat_matches_the_formula():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 9)) + np.arange(3)[:, None]
    halves = np.concatenate([x[:, :4], x[:, -4:]])
    n = 4
    W = halves.var(axis=1, ddof=1).mean()
    B = n * halves.mean(axis=1).var(ddof=1)
    expected = np.sqrt(((n - 1) / n * W + B / n) / W)
    assert split_rhat(x, rank_normalize=False) == pytest.approx(expected)


def test_short_chain_errors_are_honest():
    # 2 chains of 20 autocorrelation times each, 400 replicas: spread of the means over the
    # mean reported error, the band
    phi = 0.9
    means, errors = [], []
    for seed in range(400):
        x = ar1(phi, 2, 400, seed=100 + seed)
        means.append(x.mean())
        errors.append(series_statistics(x)["err"])
    ratio = np.std(means, ddof=1) / np.mean(errors)
    assert 0.75 < ratio < 1.33


def test_check_convergence_warns_naming_the_observables():
    with pytest.warns(ConvergenceWarning, match=r"T=2\.3.*abs_magnetization \(R-hat 1\.0500"):
        ok = check_convergence({"energy": (1.001, 5000.0), "abs_magnetization": (1.05, 5000.0)},
                               "T=2.3")
    assert not ok
    with pytest.warns(ConvergenceWarning, match="energy"):
        assert not check_convergence({"energy": (1.0, MIN_ESS - 1)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert check_convergence({"energy": (1.0, MIN_ESS)})
        assert not check_convergence({"energy": (1.2, MIN_ESS)}, warn=False)
    assert issubclass(ConvergenceWarning, UserWarning)


@pytest.mark.parametrize("call, match", [
    (lambda: integrated_time(np.ones((2, 3, 4))), "x must be of shape"),
    (lambda: integrated_time([1.0]), "n_draws >= 2"),
    (lambda: integrated_time([1.0, np.nan, 2.0]), "finite"),
    (lambda: integrated_time([1.0, 2.0, 3.0], c=0), "c must be a positive float"),
    (lambda: integrated_time([1.0, 2.0, 3.0], c="5"), "c must be a positive float"),
    (lambda: split_rhat(np.ones((2, 3))), "n_draws >= 4"),
    (lambda: effective_sample_size(np.ones((0, 5))), "x must be of shape"),
])
def test_diagnostics_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_table_has_diagnostics_and_warns_when_unconverged():
    with pytest.warns(ConvergenceWarning, match=r"T=2\.3, L=\(16, 16\).*abs_magnetization"):
        table = MetropolisSimulator(IsingModel(), random_state=0).thermodynamics(
            [2.3], 16, n_chains=2, n_sweeps=200)
    for name in OBSERVABLES:
        for suffix in ("err",) + DIAGNOSTIC_SUFFIXES:
            assert np.all(np.isfinite(table[f"{name}_{suffix}"]))
    assert table.converged.dtype == bool and not table.converged[0]
    assert table.n_sweeps[0] == 200 and table.n_equilibration[0] == 500
    assert table.abs_magnetization_tau[0] > table.energy_tau[0] > 1


def test_ising_error_bars_are_honest_with_two_chains():
    # the case, over 30 seeds: 16x16 at T = 2.3, 2 chains of 200 sweeps
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in range(30):
            rows.append(MetropolisSimulator(IsingModel(), random_state=seed).thermodynamics(
                [2.3], 16, n_chains=2, n_sweeps=200).iloc[0])
    for name in ("energy", "abs_magnetization"):
        values = np.array([row[name] for row in rows])
        errors = np.array([row[name + "_err"] for row in rows])
        assert 0.75 < values.std(ddof=1) / errors.mean() < 1.33, name


def test_adaptive_run_converges_and_matches_exact_energy(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        table = MetropolisSimulator(IsingModel(), random_state=0, verbose=1).thermodynamics(
            [2.3, 4.0], 16)
    assert "round 1" in capsys.readouterr().out
    assert table.converged.all()
    assert np.all(table.energy_ess >= 400) and np.all(table.abs_magnetization_ess >= 400)
    assert np.all(table[[f"{name}_rhat" for name in OBSERVABLES]] <= RHAT_THRESHOLD)
    # rounds double the run after a first round's worth of warm-up; everything before the
    # measured round is discarded
    assert np.all(table.n_sweeps % FIRST_ROUND == 0)
    np.testing.assert_array_equal(table.n_equilibration, table.n_sweeps)
    exact = ising_exact(16, [2.3, 4.0]).energy.to_numpy()
    assert np.all(np.abs(table.energy - exact) < 4 * table.energy_err)


def test_adaptive_run_stops_at_its_budget_and_says_so():
    with pytest.warns(ConvergenceWarning, match="T=2.269"):
        table = MetropolisSimulator(IsingModel(), random_state=0).thermodynamics(
            [2.269], 32, n_chains=2, max_sweeps=4 * FIRST_ROUND, target_ess=10**6,
            moves="metropolis")
    assert table.n_sweeps[0] == 2 * FIRST_ROUND and table.n_equilibration[0] == 2 * FIRST_ROUND
    assert not table.converged[0]


def test_adaptive_run_is_reproducible():
    sim = MetropolisSimulator(IsingModel(), random_state=3)
    first = sim.thermodynamics([3.0], 8, n_equilibration=100)
    assert first.n_equilibration[0] >= 100
    assert first.equals(sim.thermodynamics([3.0], 8, n_equilibration=100))


@pytest.mark.parametrize("kwargs, match", [
    ({"n_sweeps": "long"}, "n_sweeps must be 'auto' or an int"),
    ({"n_sweeps": 2.5}, "n_sweeps must be an int"),
    ({"n_equilibration": -1}, "n_equilibration"),
    ({"max_sweeps": FIRST_ROUND - 1}, "max_sweeps"),
    ({"target_ess": 0}, "target_ess"),
    ({"target_ess": np.nan}, "target_ess"),
    ({"thin": True}, "thin"),
    ({"thin": FIRST_ROUND}, "thin must be at most"),
])
def test_thermodynamics_rejects_bad_run_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MetropolisSimulator().thermodynamics([2.0], 4, **kwargs)


KAUFMAN = {128: -1.4195460, 256: -1.4171780}


@pytest.mark.slow
@pytest.mark.parametrize("L", [128, 256])
def test_default_run_near_critical_temperature_matches_kaufman(L):
    with warnings.catch_warnings():  # at 256 the order parameter outlasts the budget
        warnings.simplefilter("ignore", ConvergenceWarning)
        row = MetropolisSimulator(IsingModel(), random_state=0).thermodynamics(
            [2.269], L).iloc[0]
    assert ising_exact(L, 2.269).energy[0] == pytest.approx(KAUFMAN[L], abs=1e-7)
    assert row.energy_err <= 0.002
    assert row.energy_rhat <= RHAT_THRESHOLD and row.energy_ess >= 400
    assert abs(row.energy - KAUFMAN[L]) < 3 * row.energy_err


def test_undefined_binder_cumulant_does_not_block_convergence():
    rng = np.random.default_rng(6)
    energies = rng.normal(-100.0, 4.0, size=(4, 2000))
    run = MetropolisRun(energies, np.zeros((4, 2000)), None, np.full(4, 10), 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = thermodynamic_observables(run, 2.0, 64)
    assert np.isnan(row["binder"]) and np.isnan(row["binder_rhat"])
    assert row["abs_magnetization"] == 0.0 and row["converged"]
