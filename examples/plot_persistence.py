"""
Saving, loading and inspecting a fitted model
=============================================

A fitted :class:`~skdcl.pipeline.DCLPipeline` is an ordinary Python object: :mod:`joblib`
saves it with its Keras networks inside, and the loaded copy predicts the same energies and
runs the same Monte Carlo. This example fits a pipeline on 8x8 Ising snapshots at
``T_obs = 4``, saves it, loads it back, checks that nothing changed, and reads what the model
records about its fit, as ``skdcl info model.joblib`` prints it.

A model file is a pickle: it runs code when loaded, so load only files you trust, with the
versions of skdcl, Keras and TensorFlow that saved it.

Set ``SKDCL_QUICK_EXAMPLES=1`` for a reduced run (fewer snapshots and epochs).
"""

# %%
# Fit and save
# ------------
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np

from skdcl import DCLPipeline, IsingModel, MetropolisSimulator, make_snapshots

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs = 4.0
X = make_snapshots(IsingModel(), L=8, T=T_obs, n_samples=10_000 if QUICK else 100_000,
                   random_state=0)
pipeline = DCLPipeline(random_state=0)
if QUICK:
    pipeline.set_params(rnn__epochs=3, rnn__batch_size=128, ednn__epochs=60,
                        ednn__batch_size=128, n_labels=6000)
pipeline.fit(X, T_obs)

path = Path(tempfile.mkdtemp()) / "model.joblib"
joblib.dump(pipeline, path)
print(f"saved to {path.name}: {path.stat().st_size / 1e6:.1f} MB")

# %%
# Load and compare
# ----------------
# The loaded pipeline is a new object with the same fitted state: energies agree to the last
# bit, and Monte Carlo with the same seed gives the same table.
loaded = joblib.load(path)
X_check = make_snapshots(IsingModel(), L=8, T=2.5, n_samples=200, random_state=1)
E, E_loaded = pipeline.predict(X_check), loaded.predict(X_check)
print(f"largest difference of predicted energies: {np.max(np.abs(E - E_loaded)):.1e} J")
assert np.array_equal(E, E_loaded)

settings = dict(L=16, n_chains=4, n_sweeps=200 if QUICK else 2000, n_equilibration=100,
                random_state=0)
table = pipeline.simulate([2.0, 2.5, 3.0], **settings)
table_loaded = loaded.simulate([2.0, 2.5, 3.0], **settings)
assert table.equals(table_loaded)
print(table_loaded[["T", "energy", "energy_err", "specific_heat", "specific_heat_err"]])

# %%
# The extensive model alone is an energy model too: a simulator takes it directly, here as a
# Markov kernel that samples 32x32 configurations at T = 2.
sampler = MetropolisSimulator(loaded.ednn_, temperature=2.0, n_sweeps=200, random_state=0)
configs = sampler.fit_transform(np.ones((4, 32, 32), dtype=np.int8))
print(f"sampled {configs.shape}; |m| per configuration: "
      + ", ".join(f"{abs(m):.2f}" for m in configs.mean(axis=(1, 2))))

# %%
# What the model records
# ----------------------
# The fitted attributes say what the pipeline was fitted on and how; ``skdcl info`` prints
# them from the file.
print(f"lattice        {loaded.lattice_shape_}")
print(f"site variables {loaded.sites_.describe()}")
print(f"T_obs          {loaded.T_obs_:g}")
print(f"snapshots      {loaded.n_snapshots_}")
print(f"refinement     {loaded.refine_}")
print(f"label set      {len(loaded.labels_['X'])} configurations")
print(loaded.symmetry_.describe())
print("timings        " + ", ".join(f"{stage} {seconds:.1f} s"
                                     for stage, seconds in loaded.timings_.items()))

# %%
# The same from the shell:
result = subprocess.run([sys.executable, "-m", "skdcl", "info", str(path)],
                        capture_output=True, text=True, check=True)
print(result.stdout)

# %%
# Training curves
# ---------------
# Each sub-model keeps its loss per epoch in ``history_``.
fig, axes = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
for ax, (name, model) in zip(axes, (("sequence model", loaded.rnn_),
                                    ("EDNN", loaded.ednn_))):
    for key, values in model.history_.items():
        ax.plot(np.arange(1, len(values) + 1), values, "o-", ms=3, label=key)
    ax.set_title(name)
    ax.set_xlabel("epoch")
    ax.legend()
axes[0].set_ylabel("negative log-likelihood per site (nats)")
axes[1].set_ylabel("mean squared error (units of energy_scale_ squared)")
axes[1].set_yscale("log")
plt.show()
