"""
Choosing the locality of the EDNN without energy labels
=======================================================

How far does the energy function reach? The EDNN's two locality parameters, the tile size
``focus`` and the number ``context`` of neighbouring rings each tile reads, fix which
interactions it can represent. Snapshots alone can choose them:
:meth:`DCLPipeline.score <skdcl.pipeline.DCLPipeline.score>` is the mean log pseudo-likelihood
per spin of held-out snapshots under the learned energy at ``T_obs``,
``log P(s_i | rest)``, which needs only local energy changes, never an energy label. So the
standard :class:`~sklearn.model_selection.GridSearchCV` tunes the pipeline on snapshots and
their temperature alone.

``focus=1, context=0`` reads one spin per tile: it sees no bond at all, can only learn a
field, and must come last. Every other candidate can hold the nearest-neighbour bonds of the
Ising model.

The candidates differ only in EDNN parameters, so with ``memory=`` (a cache directory, as in
scikit-learn's ``Pipeline``) the pipeline trains the sequence model (and labels its
configurations) once per split and takes it from the cache for the other candidates: the grid
costs one sequence-model fit per split plus one EDNN fit per candidate and split.

Set ``SKDCL_QUICK_EXAMPLES=1`` for a reduced run of about two minutes (one split, rougher
numbers).
"""

# %%
# A grid over the locality of the EDNN
# ------------------------------------
import os
import tempfile
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit

from skdcl import DCLPipeline, EDNNEnergyModel, IsingModel, RNNEnergyModel, make_snapshots

QUICK = os.environ.get("SKDCL_QUICK_EXAMPLES") == "1"

T_obs = 4.0
X = make_snapshots(IsingModel(), L=8, T=T_obs, n_samples=10_000 if QUICK else 100_000,
                   random_state=0)
y = np.full(len(X), T_obs)  # the only "target": the temperature of each snapshot

# The pipeline's ``random_state`` must be an int so that every candidate draws the same label
# set and can share the cached sequence model.
cache = tempfile.TemporaryDirectory()
pipeline = DCLPipeline(rnn=RNNEnergyModel(random_state=0), ednn=EDNNEnergyModel(random_state=0),
                       memory=cache.name, random_state=0)
if QUICK:
    # The reduced mode also skips the refinement, whose energy changes for the largest windows
    # come from evaluating their networks.
    pipeline.set_params(rnn__epochs=3, rnn__batch_size=128, ednn__epochs=10,
                        ednn__batch_size=256, n_labels=3000,
                        refine=None)
grid = {"ednn__focus": [1, 2], "ednn__context": [0, 1, 2]}
# One held-out split in the reduced mode, three folds otherwise.
cv = (ShuffleSplit(n_splits=1, test_size=0.3, random_state=0) if QUICK
      else KFold(3, shuffle=True, random_state=0))
search = GridSearchCV(pipeline, grid, cv=cv, refit=False, error_score="raise")
start = time.perf_counter()
with warnings.catch_warnings():
    # Windows of more than 20 spins cannot be tabulated; the score then evaluates the network.
    warnings.filterwarnings("ignore", message="windows of .* too many to tabulate")
    search.fit(X, y)
print(f"{len(search.cv_results_['params'])} candidates x {search.n_splits_} splits in "
      f"{time.perf_counter() - start:.0f} s")

# %%
# Label-free scores
# -----------------
# Mean held-out log pseudo-likelihood per spin (higher is better). The fit time of the grid's
# first candidate (focus=1, context=0) includes the sequence model of each split; the others
# reuse it. Scoring an EDNN whose window holds more than 20 spins (too many states to
# tabulate) first compiles its network for Monte Carlo, which takes a while once per process.
results = search.cv_results_
order = np.argsort(results["rank_test_score"])
print(f"{'focus':>6}{'context':>8}{'window':>8}{'score':>10}{'+-':>8}{'rank':>6}{'fit s':>7}"
      f"{'score s':>9}")
for i in order:
    params = results["params"][i]
    side = params["ednn__focus"] + 2 * params["ednn__context"]
    print(f"{params['ednn__focus']:>6}{params['ednn__context']:>8}{f'{side}x{side}':>8}"
          f"{results['mean_test_score'][i]:>10.4f}{results['std_test_score'][i]:>8.4f}"
          f"{results['rank_test_score'][i]:>6}{results['mean_fit_time'][i]:>7.1f}"
          f"{results['mean_score_time'][i]:>9.1f}")
last = results["params"][order[-1]]
print(f"last: focus={last['ednn__focus']}, context={last['ednn__context']}; best: "
      f"focus={search.best_params_['ednn__focus']}, "
      f"context={search.best_params_['ednn__context']}")

# %%
# The score table as a heat map, ``focus`` by ``context``.
scores = np.full((len(grid["ednn__focus"]), len(grid["ednn__context"])), np.nan)
for params, score in zip(results["params"], results["mean_test_score"]):
    scores[grid["ednn__focus"].index(params["ednn__focus"]),
           grid["ednn__context"].index(params["ednn__context"])] = score
fig, ax = plt.subplots(figsize=(5.5, 3.2))
image = ax.imshow(scores, cmap="viridis")
for (i, j), score in np.ndenumerate(scores):
    ax.text(j, i, f"{score:.4f}", ha="center", va="center",
            color="k" if score > np.nanmean(scores) else "w")
ax.set_xticks(range(len(grid["ednn__context"])), grid["ednn__context"])
ax.set_yticks(range(len(grid["ednn__focus"])), grid["ednn__focus"])
ax.set_xlabel("context")
ax.set_ylabel("focus")
fig.colorbar(image, ax=ax, label="log pseudo-likelihood per spin")
fig.tight_layout()
plt.show()
