"""DCLPipeline: from snapshots at one temperature to a local, extensive energy model.

=====================  =======================================================================
module                 what it holds
=====================  =======================================================================
``_estimator``         :class:`DCLPipeline`: the stages, the choice of labels, simulation
``_labels``            the sequence stage: fit the sequence model, build and label the set
=====================  =======================================================================
"""

from ._estimator import DCLPipeline
from ._labels import fit_sequence_stage, label_set

__all__ = ["DCLPipeline", "label_set", "fit_sequence_stage"]
