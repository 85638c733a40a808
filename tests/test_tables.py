"""Thermodynamics tables with replica exchange, and where their warnings point."""

import warnings

import numpy as np
import pytest

from skdcl import EdwardsAndersonModel, IsingModel, MetropolisSimulator
from skdcl.exact import enumerate_exact
from skdcl.montecarlo.diagnostics import ConvergenceWarning


def _z(table, exact, name):
    return (table[name].to_numpy() - exact[name].to_numpy()) / table[name + "_err"].to_numpy()


def test_replica_exchange_table_agrees_with_exact_enumeration():
    temperatures = [2.5, 1.5, 3.0, 2.0]  # rows come back in the order given
    sim = MetropolisSimulator(IsingModel(), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        table = sim.thermodynamics(temperatures, 4, n_chains=16, n_sweeps=2000,
                                   n_equilibration=200, replica_exchange=True)
    exact = enumerate_exact(IsingModel(), (4, 4), temperatures)
    assert table["T"].tolist() == temperatures
    for name in ("energy", "abs_magnetization"):
        assert np.all(np.abs(_z(table, exact, name)) < 4), name
    rates = table.set_index("T")["swap_acceptance"]
    assert np.isnan(rates[3.0]) and np.all((rates.drop(3.0) > 0.2) & (rates.drop(3.0) < 1))


def test_replica_exchange_table_of_a_spin_glass_at_low_temperature_is_exact():
    model = EdwardsAndersonModel(L=4, random_state=2)
    temperatures = np.geomspace(0.3, 1.5, 6)
    exact = enumerate_exact(model, (4, 4), temperatures)
    settings = dict(n_chains=16, n_sweeps=1000, n_equilibration=100, init="random")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ladder = MetropolisSimulator(model, random_state=1).thermodynamics(
            temperatures, 4, replica_exchange=True, **settings)
    assert np.all(np.abs(_z(ladder, exact, "energy")) < 4)


def test_adaptive_replica_exchange_converges_on_a_small_lattice():
    table = MetropolisSimulator(IsingModel(), random_state=0).thermodynamics(
        [2.0, 2.3, 2.6], 4, replica_exchange=True, max_sweeps=8192)
    assert table["converged"].all() and (table["energy_ess"] >= 400).all()
    assert (table["n_sweeps"] >= 1024).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"temperatures": [2.0, 2.0], "replica_exchange": True}, "distinct"),
    ({"temperatures": [2.0, 2.5], "replica_exchange": "yes"}, "replica_exchange must be a bool"),
    ({"temperatures": [2.0, 2.5], "replica_exchange": True, "moves": "cluster"}, "cluster"),
    ({"temperatures": [2.0], "moves": "wolff"}, "moves must be one of"),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MetropolisSimulator().thermodynamics(L=4, n_sweeps=4, **kwargs)


def test_the_convergence_warning_points_at_the_caller():
    with pytest.warns(ConvergenceWarning) as caught:
        MetropolisSimulator(random_state=0).thermodynamics([2.3], 8, n_chains=2, n_sweeps=8,
                                                           n_equilibration=0)
    assert caught[0].filename == __file__
