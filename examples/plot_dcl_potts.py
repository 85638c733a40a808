"""
Learning the three-state Potts energy
=====================================

The same job as for the Ising model (Fig. 2 of Sprague et al., "Watch and learn", 2021), on
the q = 3 Potts model ``H = -J sum_<ij> delta(s_i, s_j)`` with labels ``s_i in {0, 1, 2}``:
snapshots of the 8x8 periodic lattice observed at ``T_obs = 2``, twice the critical
temperature ``T_c = 1 / ln(1 + sqrt(3)) = 0.995``, teach a model that is then simulated on a
16x16 lattice through the transition. Nothing in the pipeline changes: it reads the kind of
site variable from the values of the snapshots (labels one-hot encoded in the EDNN, the ``q!``
label permutations as the symmetry group of the sequence model).

There is no closed form for the Potts model on a finite lattice, so the reference is Monte
Carlo under the exact Hamiltonian with the same settings.

Set ``SKDCL_QUICK_EXAMPLES=1`` for a reduced run of about a minute (rougher numbers).
"""

# %%
# Snapshots and fit
# -----------------
import os

import matplotlib.pyplot as plt
import numpy as np

from skdcl import (
    DCLPipeline,
    EDNNEnergyModel,
    MetropolisSimulator,
    PottsModel,
    RNNEnergyModel,
    energy_rmse,
    make_protocol_test_set,
    make_snapshots,
)
from skdcl.metrics import energy_offset
from skdcl.plotting import plot_parity, plot_thermodynamics

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs = 2.0
T_c = 1 / np.log(1 + np.sqrt(3))
potts = PottsModel(q=3)
X = make_snapshots(potts, L=8, T=T_obs, n_samples=15_000 if QUICK else 100_000, random_state=0)
print(f"{len(X)} snapshots, labels {np.unique(X)}")

# The EDNN reads 3x3 windows, one per site (``focus=1, context=1``): each holds every bond of
# its centre site, and with ``3 ** 9`` states a window's energy is tabulated once for Monte
# Carlo. The default 4x4 windows have ``3 ** 16`` states, too many to tabulate, and Monte Carlo
# would evaluate the tile network at every move.
#
# Averaging the sequence model over its symmetry group costs one evaluation per image: 48 for
# the Potts model (8 rotations and reflections times 3! label permutations). The reduced mode
# averages over the 8 rotations and reflections only.
ednn = EDNNEnergyModel(focus=1, context=1, random_state=0)
pipeline = DCLPipeline(rnn=RNNEnergyModel(random_state=0), ednn=ednn, random_state=0)
if QUICK:
    pipeline.set_params(rnn__symmetrize="dihedral", rnn__epochs=3, rnn__batch_size=128,
                        ednn__epochs=40, ednn__batch_size=256, n_labels=8000)
pipeline.fit(X, T_obs)
print(f"fitted a {pipeline.spin_kind} model with {pipeline.n_states} states; stage times: "
      + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in pipeline.timings_.items()))

# %%
# Learned versus exact energies
# -----------------------------
# The shared protocol test set: exact Monte Carlo at T = 1 ... 6 and random labels.
X_test, source = make_protocol_test_set(potts, 8, 200 if QUICK else 1000, random_state=1)
E_exact = potts.energy(X_test)
predictions = {"sequence model": pipeline.rnn_.predict(X_test),
               "EDNN": pipeline.predict(X_test)}
for name, E in predictions.items():
    worst = np.abs((E - E.mean()) - (E_exact - E_exact.mean())).max()
    print(f"{name:>15}: RMSE {energy_rmse(E_exact, E):.3f} J, largest deviation {worst:.2f} J")
figure = plot_parity(E_exact, predictions)

# %%
# Through the transition on a 16x16 lattice
# -----------------------------------------
# Every chain starts from the ordered configuration. Learned and exact energies run under the
# same Monte Carlo settings. Learned energies are relative (zero on average over the observed
# snapshots); one constant per spin, which aligns learned and exact energies of the observed
# snapshots, makes energies per spin comparable.
temperatures = np.round(np.linspace(0.6, 2.0, 5 if QUICK else 15), 3)
settings = dict(n_chains=8 if QUICK else 16, n_sweeps=150 if QUICK else 3000,
                n_equilibration=100 if QUICK else 1000, random_state=0)
learned = pipeline.simulate(temperatures, L=16, **settings)
learned["energy"] += energy_offset(potts, pipeline, X)
exact = MetropolisSimulator(potts).thermodynamics(temperatures, 16, **settings)
deviation = np.abs(learned["energy"] - exact["energy"])
print(f"16x16: largest |e - e_exact| = {deviation.max():.4f} J per spin "
      f"(at T = {temperatures[deviation.argmax()]:g})")
for name, table in (("learned energy", learned), ("exact Hamiltonian", exact)):
    print(f"specific-heat peak under the {name:<17} at T = "
          f"{table['T'][table['specific_heat'].idxmax()]:.3f} (T_c = {T_c:.4f} in the "
          "thermodynamic limit)")

figure = plot_thermodynamics(exact, label="Metropolis, exact H")
plot_thermodynamics(learned, label="Metropolis, learned energy", axes=figure.axes)
for ax in figure.axes:
    ax.axvline(T_c, color="k", ls="--", lw=0.8)
    ax.axvline(T_obs, color="grey", ls=":", lw=1)
figure.axes[1].annotate("T_c", (T_c, 0.95), xycoords=("data", "axes fraction"), ha="right")
figure.axes[1].annotate("T_obs", (T_obs, 0.95), xycoords=("data", "axes fraction"), ha="right",
                        color="grey")
plt.show()
