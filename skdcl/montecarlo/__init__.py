"""Monte Carlo: the kernel protocol, random streams, the Metropolis engine and statistics.

=======================  =====================================================================
module                   what it holds
=======================  =====================================================================
:mod:`.kernel`           :class:`LocalKernel`, the protocol energy models implement, with the
                         proposal (:func:`propose`) and acceptance (:func:`accept`) rules
:mod:`.streams`          one xoshiro256** stream per chain, and vector lanes
:mod:`.engine`           compiled multi-chain sweeps, batched sweeps for models without a
                         kernel, the measurement loop shared by the simulator and data sets
:mod:`.checkerboard`     the Ising model's vectorised checkerboard sweep
:mod:`.statistics`       order parameter, error bars, thermodynamic tables
:mod:`.diagnostics`      autocorrelation times, effective sample sizes, split R-hat and the
                         warning for chains that have not converged
=======================  =====================================================================
"""

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

__all__ = ["LocalKernel", "accept", "propose", "metropolis_update", "ChainState",
           "MetropolisRun", "run_chains", "run_batched_chains", "run_model", "sample_model",
           "local_energy_changes", "jackknife", "bin_means", "order_parameter",
           "thermodynamic_observables", "seed_streams", "xoshiro", "next_uint64", "uniform",
           "seed_lanes", "fill_lanes", "LANES", "observable_series", "series_statistics",
           "ConvergenceWarning", "autocorrelation", "integrated_time", "effective_sample_size",
           "split_rhat", "check_convergence"]

from .tempering import TemperingRun, sample_tempering  # noqa: E402

__all__ += ["TemperingRun", "sample_tempering"]
