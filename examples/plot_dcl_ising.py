"""
Learning the Ising energy from snapshots at a single temperature
================================================================

The main job of skdcl, as in Fig. 2 (top row) of Sprague et al., "Watch and learn" (2021):

1. draw equilibrium snapshots of the 8x8 periodic Ising model at ``T_obs = 4``, above the
   transition (no energies, no Hamiltonian: only spins);
2. ``DCLPipeline().fit(X, T_obs)``: a sequence model learns ``log P(sigma)``, its energies
   ``E = -T_obs log P + const`` label configurations at every energy, and an extensive network
   (EDNN) is trained on those labels, then refined on the snapshots;
3. compare learned and exact energies of configurations drawn at every temperature;
4. run Monte Carlo under the learned energy on a 16x16 lattice, at temperatures never observed,
   and compare with the exact finite-lattice solution.

Set the environment variable ``SKDCL_QUICK_EXAMPLES=1`` to run a reduced version (fewer
snapshots, a few epochs, short Monte Carlo runs) in about a minute; its numbers are rougher
than the full run's.
"""

# %%
# Snapshots at one temperature
# ----------------------------
import os

import matplotlib.pyplot as plt
import numpy as np

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
from skdcl.metrics import energy_offset
from skdcl.plotting import plot_parity, plot_thermodynamics

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs = 4.0
ising = IsingModel(J=1.0)
X = make_snapshots(ising, L=8, T=T_obs, n_samples=15_000 if QUICK else 100_000, random_state=0)
print(f"{len(X)} snapshots of shape {X.shape[1:]}, dtype {X.dtype}")

# %%
# Fit the pipeline
# ----------------
# The sub-models are seeded for reproducible fits. In the reduced mode the sequence model and
# the EDNN train for a few epochs on a smaller label set.
pipeline = DCLPipeline(rnn=RNNEnergyModel(random_state=0), ednn=EDNNEnergyModel(random_state=0),
                       random_state=0)
if QUICK:
    pipeline.set_params(rnn__epochs=3, rnn__batch_size=128, ednn__epochs=40,
                        ednn__batch_size=256, n_labels=8000)
pipeline.fit(X, T_obs)
print("stage times: " + ", ".join(f"{stage} {seconds:.0f} s"
                                  for stage, seconds in pipeline.timings_.items()))

# %%
# Learned versus exact energies
# -----------------------------
# The shared accuracy protocol: configurations drawn by exact Monte Carlo at T = 1, 1.5, 2, 2.5,
# 3, 4 and 6 plus uniformly random ones, equal numbers of each, none of them seen in training.
# Energies are defined up to a constant, so both sides are compared with their means removed.
# Most test configurations lie far from the energies typical at ``T_obs``.
X_test, source = make_protocol_test_set(ising, 8, 200 if QUICK else 1000, random_state=1)
E_exact = ising.energy(X_test)
predictions = {"sequence model": pipeline.rnn_.predict(X_test),
               "EDNN": pipeline.predict(X_test)}
for name, E in predictions.items():
    worst = np.abs((E - E.mean()) - (E_exact - E_exact.mean())).max()
    print(f"{name:>15}: RMSE {energy_rmse(E_exact, E):.3f} J, "
          f"largest deviation {worst:.2f} J (total energies of 8x8 lattices)")
figure = plot_parity(E_exact, predictions)

# %%
# Thermodynamics on a larger lattice
# ----------------------------------
# The EDNN is a sum over tiles, so the model fitted on 8x8 lattices simulates 16x16 ones. Its
# compiled Monte Carlo kernel tabulates the energy of every tile window, so the learned energy is
# as cheap to sample as the exact one.
#
# Snapshots fix energies only up to a constant: the learned ones are zero on average over the
# observed snapshots. To compare energies per spin with the exact solution we add the one
# constant per spin that aligns learned and exact energies of the observed snapshots.
temperatures = np.round(np.linspace(1.5, 4.0, 6 if QUICK else 26), 3)
table = pipeline.simulate(temperatures, L=16, n_chains=16, n_sweeps=300 if QUICK else 3000,
                          n_equilibration=200 if QUICK else 1000)
offset = energy_offset(ising, pipeline, X)
table["energy"] += offset
print(f"constant added to the learned energy per spin: {offset:.4f} J")
exact = ising_exact(16, temperatures)
fine = ising_exact(16, np.linspace(1.4, 4.1, 271))
deviation_e = np.abs(table["energy"] - exact["energy"]).max()
deviation_c = np.abs(table["specific_heat"] - exact["specific_heat"]).max()
peak = table["T"][table["specific_heat"].idxmax()]
exact_peak = fine["T"][fine["specific_heat"].idxmax()]
print(f"16x16: largest |e - e_exact| = {deviation_e:.4f} J per spin, "
      f"largest |c - c_exact| = {deviation_c:.3f}")
print(f"specific-heat peak at T = {peak:.3f} on the grid (exact finite-lattice peak at "
      f"T = {exact_peak:.3f})")

figure = plot_thermodynamics(table, fine, label="Metropolis, learned energy")
for ax in figure.axes:
    ax.axvline(T_obs, color="grey", ls=":", lw=1)
figure.axes[0].annotate("T_obs", (T_obs, 0.95), xycoords=("data", "axes fraction"),
                        ha="right", color="grey")
plt.show()
