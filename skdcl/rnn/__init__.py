"""RNNEnergyModel: an autoregressive sequence model of snapshots, energies from log-probabilities.

A snapshot ``sigma`` is unwrapped into a sequence (snake, raster or spiral order) and modelled as
``log P(sigma) = sum_t log P(s_t | s_<t)``. Boltzmann statistics at the observation temperature
then give energies up to a constant, ``E(sigma) = -T_obs log P(sigma) + const``.

Two architectures compute the conditionals, both trained by maximum likelihood on the whole
sequence in one pass (teacher forcing):

``"masked_conv"`` (default)
    A masked convolution over the periodic lattice. Each site reads a ``kernel_size x
    kernel_size`` window around itself (with periodic wrap), masked to the sites that come
    earlier in the ordering, through a small residual network shared by all sites. It is parallel
    along the sequence, local like the physics, and its conditionals are exactly odd under a
    global spin flip when the symmetry group includes it. Because a flip only changes the
    conditionals whose window holds the flipped site, it also offers a compiled local kernel to
    :class:`~skdcl.simulator.MetropolisSimulator`.
``"gru"``
    The reference model of Sprague et al. (2021): gated recurrent layers over the sequence.

Two-state sites (Ising spins stored as -1/+1 or 0/1, two Potts labels) enter the networks as one
feature ``2 * state - 1`` and have one logit per conditional; sites with more states enter
one-hot (see :mod:`skdcl.sites`).

=======================  =====================================================================
module                   what it holds
=======================  =====================================================================
``_estimator``           :class:`RNNEnergyModel`: fitting, symmetry, scoring, sampling
``_layers``              the Keras layers (the two cores, augmentation, observed log-prob)
``_geometry``            window and dependency tables of the masked convolution
``_kernel``              the compiled local kernel for :mod:`skdcl.montecarlo`
=======================  =====================================================================
"""

from ._estimator import RNNEnergyModel

__all__ = ["RNNEnergyModel"]
