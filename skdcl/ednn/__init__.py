"""EDNNEnergyModel: an extensive network of lattice tiles, with a compiled Monte Carlo kernel.

The lattice is cut into ``focus x focus`` tiles. Each tile, with ``context`` rings of
surrounding sites (periodic wrap), is read by one small network and the outputs of all tiles are
summed (Mills et al., Chem. Sci. 10, 4129 (2019)). The sum is extensive by construction: a model
fitted on 8x8 lattices predicts 256x256 ones, and setting one site changes only the tiles whose
window holds it.

Monte Carlo never calls Keras. When a window has few enough states (``n_states ** window_sites``
at most ``2 ** 20``: two-state windows of up to 20 sites), every window's energy is tabulated
once and each chain keeps the code of each of its tiles, so a proposal costs a few table
lookups; otherwise the small network is evaluated in numba for the tiles a move touches.

Site values are read through :class:`~skdcl.sites.SiteVariables`: a two-state site (Ising spins
stored as -1/+1 or 0/1, or two Potts labels) is one +-1 network feature and one bit of a window
code whatever its stored values, a site with more states is one-hot.

=======================  =====================================================================
module                   what it holds
=======================  =====================================================================
:mod:`._estimator`       :class:`EDNNEnergyModel`: fit, predict, score, kernel, refinement
:mod:`._layers`          Keras layers: the tile network, the random tile-grid shift, the model
:mod:`._geometry`        tile windows, the tiles holding each site, site moves (NumPy)
:mod:`._kernel`          compiled tabulated and network kernels, and their builders
:mod:`._refinement`      pseudo-likelihood loss, exact scale fit, fine-tuning
=======================  =====================================================================
"""

from ._estimator import EDNNEnergyModel
from ._kernel import MAX_TABLE_STATES  # noqa: F401  (skdcl.ednn.MAX_TABLE_STATES, as before)

__all__ = ["EDNNEnergyModel"]
