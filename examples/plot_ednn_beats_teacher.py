"""
The EDNN is more accurate than the sequence model that taught it
================================================================

The extensive network (EDNN) of a :class:`~skdcl.pipeline.DCLPipeline` never sees an exact
energy: it is trained on energies ``-T_obs log P`` of the sequence model. Yet it is more
accurate than its teacher (Fig. 4 of Sprague et al., "Watch and learn", 2021: RMSE 2.06 J for
the sequence model, 1.47 J for the EDNN on 8x8 Ising lattices). A sum of small local networks
cannot represent the sequence model's errors, which are spread non-locally over the whole
snapshot, so it averages them out; and the same tile network is trained by every tile of every
label.

Here the error of both models is resolved by energy: test configurations are binned by their
exact energy, and the root-mean-square error is computed in each window. We also measure what
the pipeline's last stage adds: fitting the EDNN further to the snapshots themselves by
maximising their pseudo-likelihood, which needs no labels either. With ``refine="scale"`` (the
default where the window interactions do not apply: Potts labels with q > 4, laws that change
from site to site) it fits one factor on every energy, which corrects the over- or
under-confidence of the sequence model the labels came from. On the Ising model the default
pipeline labels its set with the window interactions instead
(:ref:`sphx_glr_auto_examples_plot_pseudo_likelihood_baseline.py`); this example keeps the
sequence model as the teacher.

Set ``SKDCL_QUICK_EXAMPLES=1`` for a reduced run of about a minute; with a few epochs of
training its numbers are rougher and need not show the ordering of the full run.
"""

# %%
# Fit without the refinement
# --------------------------
# The pipeline is fitted with ``refine=None``; the scale refinement is then applied to its
# fitted EDNN with the pipeline's own settings, which amounts to fitting with
# ``refine="scale"`` without training the sequence model and the EDNN twice.
import os

import matplotlib.pyplot as plt
import numpy as np

from skdcl import (
    DCLPipeline,
    EDNNEnergyModel,
    IsingModel,
    RNNEnergyModel,
    energy_rmse,
    make_protocol_test_set,
    make_snapshots,
)

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs, L = 4.0, 8
ising = IsingModel()
X = make_snapshots(ising, L=L, T=T_obs, n_samples=15_000 if QUICK else 100_000, random_state=0)

pipeline = DCLPipeline(rnn=RNNEnergyModel(random_state=0), ednn=EDNNEnergyModel(random_state=0),
                       random_state=0)
refine = "scale"  # one factor on every energy: the teacher's labels stay the teacher's
pipeline.set_params(refine=None)
if QUICK:
    pipeline.set_params(rnn__epochs=3, rnn__batch_size=128, ednn__epochs=40,
                        ednn__batch_size=256, n_labels=8000)
pipeline.fit(X, T_obs)

X_test, source = make_protocol_test_set(ising, L, 200 if QUICK else 1000, random_state=1)
E_exact = ising.energy(X_test)
predictions = {"sequence model": pipeline.rnn_.predict(X_test),
               "EDNN": pipeline.predict(X_test)}

# %%
# Refine by pseudo-likelihood
# ---------------------------
pipeline.ednn_.refine_pseudo_likelihood(X, T_obs, parameters=refine,
                                        epochs=pipeline.refine_epochs, random_state=0)
pipeline.set_params(refine=refine)
predictions["EDNN refined"] = pipeline.predict(X_test)

for name, E in predictions.items():
    print(f"{name:>15}: RMSE {energy_rmse(E_exact, E):.3f} J")

# %%
# Error per energy window
# -----------------------
# The additive constant of each model is fixed once, over the whole test set (by removing the
# means of learned and exact energies); then the residuals are pooled by exact energy per spin.
# The observed snapshots (grey histogram) cover only the energies typical at ``T_obs``; the
# label set of the pipeline reaches further, down to the ground state and up to random spins.
edges = np.linspace(-2.0, 0.5, 11)
window = np.digitize(E_exact / L**2, edges) - 1
centres = 0.5 * (edges[1:] + edges[:-1])
filled = [k for k in range(len(centres)) if np.sum(window == k) >= 5]
residuals = {name: (E - E.mean()) - (E_exact - E_exact.mean())
             for name, E in predictions.items()}
rmse = {name: np.array([np.sqrt(np.mean(r[window == k] ** 2)) for k in filled])
        for name, r in residuals.items()}

print(f"{'e per spin':>12}{'count':>7}" + "".join(f"{name:>16}" for name in rmse))
for i, k in enumerate(filled):
    print(f"{centres[k]:>12.3f}{np.sum(window == k):>7d}"
          + "".join(f"{values[i]:>16.3f}" for values in rmse.values()))
teacher, student = rmse["sequence model"], rmse["EDNN refined"]
print(f"the refined EDNN is more accurate than its teacher in {np.sum(student < teacher)} of "
      f"{len(filled)} energy windows")

fig, ax = plt.subplots(figsize=(6.5, 4))
observed = ising.energy(X) / L**2
histogram = ax.twinx()
histogram.hist(observed, bins=edges, color="0.85", density=True)
histogram.set_yticks([])
histogram.set_ylabel("observed snapshots", color="0.5")
ax.set_zorder(histogram.get_zorder() + 1)
ax.patch.set_visible(False)
labels = {"sequence model": "sequence model (the teacher)", "EDNN": "EDNN on its labels",
          "EDNN refined": "EDNN refined (default pipeline)"}
for (name, values), marker in zip(rmse.items(), "osD"):
    ax.plot(centres[filled], values, marker=marker, label=labels[name])
ax.set_ylim(bottom=0)
ax.set_xlabel("exact energy per spin / J")
ax.set_ylabel("RMSE of total energy / J")
ax.legend(frameon=False)
fig.tight_layout()
plt.show()
