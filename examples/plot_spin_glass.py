"""
A spin glass: when tiles must not share weights
===============================================

The Edwards-Anderson spin glass ``H = -sum_<ij> J_ij s_i s_j`` has one Gaussian coupling per
bond, drawn once and then fixed: the law changes from bond to bond. A shared-weight EDNN, one
network for every tile, assumes the same law everywhere and cannot hold these couplings. Fig. 5
of Sprague et al., "Watch and learn" (2021) offers two ways around it:

* an EDNN whose tiles do not share weights, ``EDNNEnergyModel(shared=False)`` (it then applies
  to the fitted lattice only);
* Monte Carlo directly on the sequence model's energy, ``simulate(..., energy="rnn")``
  (slower: a move recomputes every conditional whose window holds the site).

The sequence model must not average over lattice symmetries (``symmetrize="none"``): a rotated
or flipped snapshot of a spin glass with fixed couplings is not an equally likely snapshot. And
it must not share its weights across sites either: ``RNNEnergyModel(shared=False)`` gives every
sequence position first-layer weights of its own, so its conditionals can follow couplings that
change from bond to bond.
The learned energies are simulated from ``T_obs = 4`` down to ``T = 1`` and compared with Monte
Carlo under the exact Hamiltonian.

Set ``SKDCL_QUICK_EXAMPLES=1`` for a reduced run of two to three minutes (rougher numbers).
"""

# %%
# Snapshots of one spin-glass instance
# ------------------------------------
import os

import matplotlib.pyplot as plt
import numpy as np

from skdcl import (
    DCLPipeline,
    EDNNEnergyModel,
    EdwardsAndersonModel,
    MetropolisSimulator,
    RNNEnergyModel,
    energy_rmse,
    make_protocol_test_set,
    make_snapshots,
)
from skdcl.metrics import energy_offset

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs = 4.0
glass = EdwardsAndersonModel(L=8, random_state=0)
X = make_snapshots(glass, L=8, T=T_obs, n_samples=15_000 if QUICK else 100_000, random_state=0)
held_out = make_snapshots(glass, L=8, T=T_obs, n_samples=2000 if QUICK else 10_000,
                          random_state=1)

# %%
# Shared and unshared tiles
# -------------------------
# Both pipelines have the same sequence model, data and seeds, so the second fit takes the
# sequence model and its label set from a cache and trains only its EDNN. They are fitted
# without the final refinement, which is applied below.
quick = dict(rnn__epochs=3, rnn__batch_size=128, ednn__epochs=20, ednn__batch_size=256,
             n_labels=5000, refine_epochs=3)
pipelines = {}
for shared in (False, True):
    pipeline = DCLPipeline(rnn=RNNEnergyModel(symmetrize="none", shared=False, random_state=0),
                           ednn=EDNNEnergyModel(shared=shared, random_state=0), refine=None,
                           random_state=0)
    if QUICK:
        pipeline.set_params(**quick)
    pipelines["shared" if shared else "unshared"] = pipeline.fit(X, T_obs)
unshared = pipelines["unshared"]

# Learned versus exact energies on the shared protocol test set (exact Monte Carlo at
# T = 1 ... 6 and random spins).
X_test, source = make_protocol_test_set(glass, 8, 200 if QUICK else 1000, random_state=2)
E_exact = glass.energy(X_test)
print(f"{'sequence model':>30}: RMSE "
      f"{energy_rmse(E_exact, unshared.rnn_.predict(X_test)):.3f} J")
for name, pipeline in pipelines.items():
    print(f"{name + ' EDNN on the labels':>30}: RMSE "
          f"{energy_rmse(E_exact, pipeline.predict(X_test)):.3f} J")

# %%
# Refinement on the snapshots
# ---------------------------
# Even a sequence model with weights of its own per site leaves energy errors of a couple of J
# on a spin glass (100000 snapshots hold each of the 128 couplings only so well). The last stage
# of the pipeline needs no labels: it fits the EDNN further to the snapshots by maximising their
# pseudo-likelihood. Its default, one factor on every energy (``refine="scale"``), cannot repair
# couplings; fitting every weight (``refine="all"``) can, and tiles that do not share weights
# can hold every coupling. The labels being far off, the refinement runs with a larger learning
# rate than the default: ``DCLPipeline(refine="all", refine_learning_rate=1e-2)`` does this in
# ``fit``; here it is applied to the fitted pipelines to show its effect.
for name, pipeline in pipelines.items():
    pipeline.set_params(refine="all", refine_learning_rate=1e-2)
    pipeline.ednn_.refine_pseudo_likelihood(X, T_obs, parameters=pipeline.refine,
                                            epochs=pipeline.refine_epochs,
                                            learning_rate=pipeline.refine_learning_rate,
                                            random_state=0)
    # The held-out pseudo-likelihood needs no energies and ranks the two the same way.
    print(f"{name + ' EDNN refined':>30}: RMSE "
          f"{energy_rmse(E_exact, pipeline.predict(X_test)):.3f} J; held-out log "
          f"pseudo-likelihood per spin {pipeline.score(held_out, T_obs):.4f}")

# %%
# Cooling from T_obs to T = 1
# ---------------------------
# All chains start from random spins. A constant per spin aligns each learned energy with the
# exact one on the observed snapshots (snapshots fix energies only up to a constant).
temperatures = np.array([1.0, 2.0, 3.0, 4.0]) if QUICK else np.arange(1.0, 4.01, 0.25)
settings = dict(n_chains=8 if QUICK else 16, n_sweeps=300 if QUICK else 4000,
                n_equilibration=300 if QUICK else 2000, init="random", random_state=0)
reference = MetropolisSimulator(glass).thermodynamics(temperatures, 8, **settings)

# Monte Carlo under the sequence model is much slower (a move recomputes every conditional
# whose window holds the site), so it runs at fewer temperatures, with fewer chains and
# sweeps.
rnn_temperatures = np.array([1.0, 2.0, 4.0] if QUICK else [1.0, 1.5, 2.0, 3.0, 4.0])
rnn_settings = dict(settings, n_chains=4 if QUICK else 8, n_sweeps=40 if QUICK else 500,
                    n_equilibration=40 if QUICK else 250)
runs = (("EDNN, unshared tiles", unshared, "ednn", temperatures, settings),
        ("EDNN, shared tiles", pipelines["shared"], "ednn", temperatures, settings),
        ("sequence model", unshared, "rnn", rnn_temperatures, rnn_settings))
tables = {}
for name, pipeline, energy, T, kwargs in runs:
    table = pipeline.simulate(T, 8, energy=energy, **kwargs)
    table["energy"] += energy_offset(glass, getattr(pipeline, energy + "_"), X)
    tables[name] = table

exact_at = dict(zip(reference["T"], reference["energy"]))
for name, table in tables.items():
    deviation = np.abs(table["energy"] - [exact_at.get(T, np.nan) for T in table["T"]])
    print(f"{name:>21}: largest |e - e_exact| = {np.nanmax(deviation):.4f} J per spin "
          f"over {len(table)} temperatures")

fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(reference["T"], reference["energy"], reference["energy_err"], color="k", lw=1.2,
            label="exact H")
for (name, table), marker in zip(tables.items(), "osD"):
    ax.errorbar(table["T"], table["energy"], table["energy_err"], fmt=marker, ms=4, capsize=2,
                label=name)
ax.set_xlabel("T / J")
ax.set_ylabel("energy per spin / J")
ax.legend(frameon=False)
fig.tight_layout()
plt.show()
