"""skdcl: distribution-consistent learning of lattice energy functions, scikit-learn style.

The learned models (``RNNEnergyModel``, ``EDNNEnergyModel``, ``DCLPipeline``) import Keras, so they
are loaded on first use: ``import skdcl`` stays quick.
"""

import importlib

from .datasets import make_protocol_test_set, make_snapshots
from .exact import enumerate_exact, ising_exact
from .hamiltonians import EdwardsAndersonModel, IsingModel, PottsModel
from .metrics import energy_rmse
from .simulator import MetropolisSimulator

__version__ = "0.1.0"

_LAZY = {"RNNEnergyModel": "rnn", "EDNNEnergyModel": "ednn", "DCLPipeline": "pipeline"}

__all__ = ["IsingModel", "PottsModel", "EdwardsAndersonModel", "make_snapshots",
           "make_protocol_test_set", "ising_exact", "enumerate_exact", "energy_rmse",
           "MetropolisSimulator", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'skdcl' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
