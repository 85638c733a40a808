"""
Composing with scikit-learn
===========================

skdcl's estimators follow scikit-learn's conventions, so its tools apply unchanged:
:func:`~sklearn.pipeline.make_pipeline`, :func:`~sklearn.base.clone`, nested ``set_params``,
cross-validation and :class:`~sklearn.frozen.FrozenEstimator`. This example

1. puts a :class:`~skdcl.MetropolisSimulator` (a Markov kernel, used as a transformer) in front
   of a :class:`~skdcl.pipeline.DCLPipeline`, so that configurations far from equilibrium are
   brought to ``T_obs`` before the energy is learned from them;
2. scores the whole pipeline by cross-validation, with the label-free held-out
   pseudo-likelihood and the temperature given once per configuration;
3. freezes the fitted model to sample with the learned energy inside another pipeline that
   scikit-learn clones.

``examples/plot_locality_grid_search.py`` shows a grid search over the pipeline's
parameters.

Set ``SKDCL_QUICK_EXAMPLES=1`` for a reduced run (fewer configurations and epochs).
"""

# %%
# A Markov kernel in front of the learner
# ---------------------------------------
# The raw data: uniformly random spins, as after a quench from infinite temperature. The
# simulator runs ``n_sweeps`` Metropolis sweeps at ``temperature`` from each configuration
# (one output per input), under the exact Ising energy here.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import ShuffleSplit, cross_val_score
from sklearn.pipeline import make_pipeline

from skdcl import (
    DCLPipeline,
    IsingModel,
    MetropolisSimulator,
    energy_rmse,
    ising_exact,
    make_protocol_test_set,
)

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs = 4.0
rng = np.random.default_rng(0)
n = 10_000 if QUICK else 100_000
X_raw = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n, 8, 8))
y = np.full(n, T_obs)  # the temperature of each configuration, split with them

learner = make_pipeline(
    MetropolisSimulator(IsingModel(), temperature=T_obs, n_sweeps=50, random_state=0),
    DCLPipeline(random_state=0),
)
if QUICK:
    learner.set_params(dclpipeline__rnn__epochs=3, dclpipeline__rnn__batch_size=128,
                       dclpipeline__ednn__epochs=60, dclpipeline__ednn__batch_size=128,
                       dclpipeline__n_labels=6000)
print("a few of the nested parameters:",
      [name for name in learner.get_params() if name.startswith("dclpipeline__ednn__f")])

# %%
# ``fit`` runs the kernel on the raw configurations, then fits the pipeline on its output;
# ``y`` reaches the last step as ``T_obs``. The equilibrated configurations have the exact
# mean energy of the 8x8 lattice at ``T_obs``, which the raw ones are far from.
learner.fit(X_raw, y)
simulator, dcl = learner[0], learner[-1]
X_eq = simulator.transform(X_raw[:2000])
e_exact = float(ising_exact(8, [T_obs])["energy"].iloc[0])
for name, configs in (("raw", X_raw[:2000]), ("after the kernel", X_eq)):
    print(f"{name:>17}: energy per spin {IsingModel().energy(configs).mean() / 64:+.4f} J")
print(f"{'exact at T_obs':>17}: energy per spin {e_exact:+.4f} J")

X_test, source = make_protocol_test_set(IsingModel(), 8, 200 if QUICK else 1000, random_state=1)
print(f"energy RMSE of the learned model: "
      f"{energy_rmse(IsingModel().energy(X_test), dcl.predict(X_test)):.3f} J")

# %%
# Cross-validation without energy labels
# --------------------------------------
# The pipeline's ``score`` is that of its last step: the mean log pseudo-likelihood per spin
# of held-out configurations (after the kernel) under the learned energy at ``T_obs``. It needs
# no energies, so :func:`~sklearn.model_selection.cross_val_score` applies as to any estimator;
# every split fits a clone of the whole pipeline.
cv = ShuffleSplit(n_splits=1 if QUICK else 3, test_size=0.2, random_state=0)
scores = cross_val_score(learner, X_raw, y, cv=cv)
print("held-out log pseudo-likelihood per spin:", np.round(scores, 4))

# %%
# A fitted model inside a cloned pipeline
# ---------------------------------------
# scikit-learn clones estimators before fitting them (grid searches, cross-validation), and a
# clone is unfitted: a simulator holding a clone of the learned model has no energy to
# sample. :class:`~sklearn.frozen.FrozenEstimator` keeps the fitted model through clones
# and refits.
sampler = make_pipeline(MetropolisSimulator(FrozenEstimator(dcl), temperature=2.0, n_sweeps=300,
                                            random_state=0))
start = np.ones((64, 16, 16), dtype=np.int8)
samples = clone(sampler).fit_transform(start)  # sampled under the learned energy

try:
    make_pipeline(MetropolisSimulator(clone(dcl), temperature=2.0)).fit_transform(start)
except NotFittedError as error:
    print(f"unfrozen clone: {error}")

e_learned = IsingModel().energy(samples).mean() / 256
e_exact = float(ising_exact(16, [2.0])["energy"].iloc[0])
print(f"16x16 at T = 2, sampled under the learned energy: exact energy per spin of the samples "
      f"{e_learned:+.4f} J (exact mean {e_exact:+.4f} J)")

# %%
# Configurations along the way: raw, after the kernel at ``T_obs``, and sampled at T = 2 on a
# larger lattice under the learned energy.
fig, axes = plt.subplots(1, 3, figsize=(8, 2.9), layout="constrained")
for ax, image, title in zip(axes, (X_raw[0], X_eq[0], samples[0]),
                            ("raw (random)", f"after the kernel, T = {T_obs:g}",
                             "learned energy, T = 2")):
    ax.imshow(image, cmap="gray", vmin=-1, vmax=1)
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()
plt.show()
