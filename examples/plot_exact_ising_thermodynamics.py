"""
Metropolis Monte Carlo against the exact finite-lattice Ising solution
======================================================================

Before learning anything, check the engine: Metropolis sweeps under the exact Ising Hamiltonian on
a 16 x 16 periodic lattice reproduce Kaufman's exact energy and specific heat of that finite
lattice within their error bars, through the phase transition.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from skdcl import IsingModel, MetropolisSimulator, ising_exact
from skdcl.plotting import plot_thermodynamics

quick = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"
temperatures = np.linspace(1.5, 3.5, 9 if quick else 21)

# %%
# Observables per spin with jackknife error bars over independent chains.
simulator = MetropolisSimulator(IsingModel(), random_state=0)
table = simulator.thermodynamics(temperatures, L=16, n_chains=16,
                                 n_sweeps=500 if quick else 4000, n_equilibration=500)
exact = ising_exact(16, np.linspace(1.4, 3.6, 200))
figure = plot_thermodynamics(table, exact, label="Metropolis")
plt.show()

# %%
# Deviations in units of the standard error.
reference = ising_exact(16, temperatures)
z = (table["energy"] - reference["energy"]) / table["energy_err"]
print(np.round(z.to_numpy(), 2))
