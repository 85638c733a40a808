"""
Your own snapshots, from a file
===============================

Snapshots usually come from somewhere else: an experiment, another simulation code, a
collaborator's CSV file. This example writes snapshots of the 8x8 Ising model at
``T_obs = 4`` to files, in two common forms, and then forgets where they came from:

1. a ``.npy`` array of shape ``(n, 8, 8)`` with spins -1/+1;
2. a ``.csv`` file with one flat row of 64 values per snapshot and spins stored as 0/1.

It reads them back with NumPy and pandas, checks what skdcl makes of them, fits a
:class:`~skdcl.pipeline.DCLPipeline`, and checks the learned energy against the exact one (which
a user with their own data would not have). The same fit from the shell::

    skdcl fit snapshots.csv --shape 8 8 --kind ising --T-obs 4 --seed 0 --out model.joblib

Set ``SKDCL_QUICK_EXAMPLES=1`` for a reduced run (fewer snapshots and epochs, rougher numbers).
"""

# %%
# Writing the files
# -----------------
# Pretend these came from elsewhere. The CSV file holds flat rows of 0/1 values, as a
# measurement of occupied and empty sites might.
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skdcl import (
    DCLPipeline,
    EDNNEnergyModel,
    IsingModel,
    RNNEnergyModel,
    energy_rmse,
    ising_exact,
    make_protocol_test_set,
    make_snapshots,
)
from skdcl.lattice import check_snapshots
from skdcl.sites import SiteVariables

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs = 4.0
folder = Path(tempfile.mkdtemp())
spins = make_snapshots(IsingModel(), L=8, T=T_obs, n_samples=10_000 if QUICK else 100_000,
                       random_state=0)
np.save(folder / "snapshots.npy", spins)
np.savetxt(folder / "snapshots.csv", (spins.reshape(len(spins), -1) + 1) // 2, fmt="%d",
           delimiter=",")
print((folder / "snapshots.csv").read_text()[:64], "...")

# %%
# Reading them back
# -----------------
# A ``.npy`` file keeps its shape. A CSV file holds flat rows, and skdcl does not guess a
# lattice shape from a row length: reshape the rows (row-major, site ``(i, j)`` is entry
# ``i * Lx + j``).
X_npy = np.load(folder / "snapshots.npy")
rows = pd.read_csv(folder / "snapshots.csv", header=None).to_numpy()
print(f".npy: {X_npy.shape} {X_npy.dtype}; .csv: {rows.shape} {rows.dtype}")

try:
    check_snapshots(rows, SiteVariables.infer(rows))
except ValueError as error:
    print(f"flat rows refused: {error}")
X_csv = rows.reshape(-1, 8, 8)

# %%
# What the values say
# -------------------
# -1/+1 are Ising spins. 0/1 would be read as two Potts labels, a two-state system modelled
# exactly as spins are; ``kind="ising"`` names them spins stored as 0/1 (``--kind ising`` on
# the command line).
print("values of the .npy file:", SiteVariables.infer(X_npy).describe())
print("values of the .csv file:", SiteVariables.infer(X_csv).describe())
print("        with kind=ising:", SiteVariables.infer(X_csv, kind="ising").describe())

# %%
# Fitting on the CSV snapshots
# ----------------------------
pipeline = DCLPipeline(rnn=RNNEnergyModel(kind="ising", random_state=0),
                       ednn=EDNNEnergyModel(kind="ising", random_state=0), random_state=0)
if QUICK:
    pipeline.set_params(rnn__epochs=3, rnn__batch_size=128, ednn__epochs=60,
                        ednn__batch_size=128, n_labels=6000)
pipeline.fit(X_csv, T_obs)
print(f"fitted on {pipeline.n_snapshots_} snapshots of {pipeline.lattice_shape_}: "
      f"{pipeline.sites_.describe()}")
print(pipeline.symmetry_.describe())

# %%
# Checking the learned energy
# ---------------------------
# With the exact model at hand we can check the result on the shared test set (configurations
# from exact Monte Carlo at T = 1 ... 6 and random ones). The model reads the encoding it was
# fitted on, so the -1/+1 test configurations are given as 0/1.
X_test, source = make_protocol_test_set(IsingModel(), 8, 200 if QUICK else 1000, random_state=1)
E_exact = IsingModel().energy(X_test)
E_learned = pipeline.predict((X_test + 1) // 2)
print(f"energy RMSE on the test set: {energy_rmse(E_exact, E_learned):.3f} J "
      f"(8x8 lattices, energies -128 ... 128 J)")

# %%
# Thermodynamics on a 16x16 lattice against the exact solution. Learned energies are relative,
# so one constant per spin aligns them with the exact ones on the observed snapshots (what
# :func:`skdcl.metrics.energy_offset` computes when both models read the same encoding; here
# the exact model reads the -1/+1 file and the learned one the 0/1 file).
temperatures = np.linspace(1.5, 4.0, 6 if QUICK else 26)
table = pipeline.simulate(temperatures, L=16, n_chains=8,
                          n_sweeps=300 if QUICK else 3000, n_equilibration=200 if QUICK else 1000)
offset = (IsingModel().energy(X_npy).mean() - pipeline.predict(X_csv).mean()) / 64
table["energy"] += offset
exact = ising_exact(16, np.linspace(1.4, 4.1, 271))

fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
for ax, column, label in zip(axes, ("energy", "specific_heat"),
                             ("energy per spin (J)", "specific heat per spin")):
    ax.plot(exact["T"], exact[column], "k-", lw=1, label="exact")
    ax.errorbar(table["T"], table[column], yerr=table[f"{column}_err"], fmt="o", ms=4,
                label="learned from the CSV file")
    ax.set_xlabel("temperature (J)")
    ax.set_ylabel(label)
axes[0].legend()
plt.show()
