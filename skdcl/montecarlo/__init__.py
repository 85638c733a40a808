"""Monte Carlo: the kernel protocol, random streams, the engine, cluster moves and statistics.

=======================  =====================================================================
module                   what it holds
=======================  =====================================================================
:mod:`.kernel`           :class:`LocalKernel`, the protocol energy models implement, with the
                         proposal (:func:`propose`) and acceptance (:func:`accept`) rules
:mod:`.streams`          one xoshiro256** stream per chain, and vector lanes
:mod:`.records`          the chains' state between calls and a run's records
:mod:`.engine`           compiled multi-chain sweeps, batched sweeps for models without a
                         kernel, the measurement loop shared by the simulator and data sets
:mod:`.specialise`       the engine's drivers specialised to a kernel, cached on disk
:mod:`.checkerboard`     the Ising model's vectorised checkerboard sweep
:mod:`.clusters`         Swendsen-Wang and Wolff cluster moves of the exact pairwise models
:mod:`.tempering`        replica exchange across a ladder of temperatures, for any model
:mod:`.statistics`       order parameter, error bars, thermodynamic observables
:mod:`.diagnostics`      autocorrelation times, effective sample sizes, split R-hat and the
                         warning for chains that have not converged
:mod:`.tables`           thermodynamics tables: fixed or adaptive runs, chains or ladders
=======================  =====================================================================
"""

from .clusters import ClusterKernel, ClusterRun, run_clusters, wolff_cluster
from .diagnostics import (
    ConvergenceWarning,
    autocorrelation,
    check_convergence,
    effective_sample_size,
    integrated_time,
    split_rhat,
)
from .engine import (
    ChainState,
    MetropolisRun,
    local_energy_changes,
    run_batched_chains,
    run_chains,
    run_model,
    sample_model,
)
from .kernel import LocalKernel, accept, metropolis_update, propose
from .statistics import (
    bin_means,
    jackknife,
    observable_series,
    order_parameter,
    series_statistics,
    thermodynamic_observables,
)
from .streams import LANES, fill_lanes, next_uint64, seed_lanes, seed_streams, uniform, xoshiro
from .tempering import ReplicaLadders, TemperingRun, sample_tempering

__all__ = ["LocalKernel", "accept", "propose", "metropolis_update", "ChainState",
           "MetropolisRun", "run_chains", "run_batched_chains", "run_model", "sample_model",
           "local_energy_changes", "jackknife", "bin_means", "order_parameter",
           "thermodynamic_observables", "seed_streams", "xoshiro", "next_uint64", "uniform",
           "seed_lanes", "fill_lanes", "LANES", "observable_series", "series_statistics",
           "ConvergenceWarning", "autocorrelation", "integrated_time", "effective_sample_size",
           "split_rhat", "check_convergence", "ClusterKernel", "ClusterRun", "run_clusters",
           "wolff_cluster", "TemperingRun", "ReplicaLadders", "sample_tempering"]
