"""Thermodynamics tables: one row of observables per temperature.

A row comes from chains run for a fixed number of sweeps or in adaptive rounds (until the
convergence diagnostics are met), either independently at each temperature or as replica
exchange across all temperatures of the table. :meth:`MetropolisSimulator.thermodynamics
<skdcl.simulator.MetropolisSimulator.thermodynamics>` checks its arguments and calls
:func:`measure_temperature` per temperature (in parallel) or :func:`measure_ladder` once.
"""

import itertools
from numbers import Real

import numba
import numpy as np
from sklearn.utils import check_random_state

from .._logging import progress
from ..lattice import check_count
from .diagnostics import check_convergence
from .engine import ChainState, run_model
from .statistics import OBSERVABLES, thermodynamic_observables
from .streams import seed_streams
from .tempering import ReplicaLadders

__all__ = ["measure_temperature", "measure_ladder", "check_run_settings", "warn_unconverged",
           "FIRST_ROUND", "MAX_RECORDS", "DEFAULT_MAX_SWEEPS", "DEFAULT_TARGET_ESS",
           "DEFAULT_EQUILIBRATION", "MOVES"]

#: Sweeps of the first round of an adaptive run.
FIRST_ROUND = 1024

#: Most records kept per chain in one round of an adaptive run (longer rounds are thinned).
MAX_RECORDS = 8192

#: Default budget of an adaptive run, in sweeps per chain (equilibration included).
DEFAULT_MAX_SWEEPS = 2**19

#: Default effective sample size an adaptive run reaches for the energy and order parameter.
DEFAULT_TARGET_ESS = 400

#: Sweeps discarded before measuring when ``n_sweeps`` is an int and ``n_equilibration`` None.
DEFAULT_EQUILIBRATION = 500

#: Kinds of moves a table's chains can make (see :func:`~skdcl.montecarlo.engine.run_model`).
MOVES = ("auto", "metropolis", "cluster")


def check_run_settings(n_chains, n_sweeps, n_equilibration, thin, init, max_sweeps,
                       target_ess, moves="metropolis", replica_exchange=False):
    """The run settings of a thermodynamics table, checked, as a dict.

    Parameters are those of :meth:`MetropolisSimulator.thermodynamics
    <skdcl.simulator.MetropolisSimulator.thermodynamics>`.

    Returns
    -------
    settings : dict
    """
    auto = isinstance(n_sweeps, str) and n_sweeps == "auto"
    if not auto:
        if isinstance(n_sweeps, str):
            raise ValueError(f"n_sweeps must be 'auto' or an int >= 2, got {n_sweeps!r}.")
        check_count(n_sweeps, "n_sweeps", 2)
    if n_equilibration is None:
        # all chains start alike (init="ordered"), so a transient shared by every chain is one
        # that R-hat cannot see: adaptive runs discard a first round's worth of sweeps
        n_equilibration = FIRST_ROUND if auto else DEFAULT_EQUILIBRATION
    settings = {"n_chains": check_count(n_chains, "n_chains", 1),
                "n_sweeps": "auto" if auto else int(n_sweeps),
                "n_equilibration": check_count(n_equilibration, "n_equilibration", 0),
                "thin": check_count(thin, "thin", 1),
                "max_sweeps": check_count(max_sweeps, "max_sweeps", FIRST_ROUND),
                "target_ess": target_ess, "init": init, "moves": moves,
                "replica_exchange": replica_exchange}
    if init not in ("ordered", "random"):
        raise ValueError(f"init must be 'ordered' or 'random', got {init!r}.")
    if not isinstance(moves, str) or moves not in MOVES:
        raise ValueError(f"moves must be one of {MOVES}, got {moves!r}.")
    if not isinstance(replica_exchange, (bool, np.bool_)):
        raise ValueError(f"replica_exchange must be a bool, got {replica_exchange!r}.")
    if replica_exchange and moves == "cluster":
        raise ValueError("replica_exchange=True runs Metropolis sweeps between swaps; "
                         "moves='cluster' cannot be combined with it.")
    if not auto and n_sweeps // thin < 2:
        raise ValueError("n_sweeps // thin must be at least 2 measurements per chain.")
    if auto and thin > FIRST_ROUND // 4:
        raise ValueError(f"thin must be at most {FIRST_ROUND // 4} with n_sweeps='auto' (4 "
                         f"measurements in the first round), got {thin}.")
    if (isinstance(target_ess, bool) or not isinstance(target_ess, Real)
            or not np.isfinite(target_ess) or target_ess <= 0):
        raise ValueError(f"target_ess must be a positive float, got {target_ess!r}.")
    return settings


def warn_unconverged(table, shape, stacklevel=3):
    """A :class:`~skdcl.montecarlo.diagnostics.ConvergenceWarning` per unconverged row."""
    for row in table.itertuples():
        if not row.converged:
            diagnostics = {name: (getattr(row, name + "_rhat"), getattr(row, name + "_ess"))
                           for name in OBSERVABLES if np.isfinite(getattr(row, name))}
            check_convergence(diagnostics, f"T={row.T:.6g}, L={shape}",
                              stacklevel=stacklevel)


def _initial_configs(model, shape, n_chains, init, rng):
    if init == "ordered":
        return np.repeat(model.sites.ordered(shape)[None], n_chains, axis=0)
    return model.sites.random(n_chains, shape, rng)


def _row(run, T, n_sites, n_sweeps, thin):
    return {**thermodynamic_observables(run, T, n_sites, thin=thin), "n_sweeps": n_sweeps}


def measure_temperature(model, shape, T, settings, seed, threads, verbose):
    """One row of a table: independent chains at temperature ``T``.

    Parameters
    ----------
    model : energy model
    shape : tuple of two ints
    T : float
    settings : dict
        From :func:`check_run_settings`.
    seed : int
    threads : int
        numba threads to use (restored afterwards).
    verbose : int

    Returns
    -------
    row : dict
    """
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        rng = check_random_state(seed)
        configs = _initial_configs(model, shape, settings["n_chains"], settings["init"], rng)
        state = ChainState(configs, model.energy(configs), seed_streams(len(configs), rng))
        moves = settings["moves"]
        run_model(model, state, T, settings["n_equilibration"], moves=moves)
        n_sites = shape[0] * shape[1]

        def measure_round(length, thin):
            run = run_model(model, state, T, length, thin=thin, n_records=length // thin,
                            moves=moves)
            return [_row(run, T, n_sites, length, thin)]

        (row,) = _run_rounds(measure_round, settings, f"T={T:.4g}", verbose)
    finally:
        numba.set_num_threads(previous)
    _report(row, T, shape, verbose)
    return {"T": T, **row}


def measure_ladder(model, shape, temperatures, settings, seed, verbose):
    """Rows of a table from replica exchange across all its temperatures.

    Parameters
    ----------
    model : energy model
    shape : tuple of two ints
    temperatures : ndarray of float
        Distinct; any order (rows come back in this order).
    settings : dict
        From :func:`check_run_settings`.
    seed : int
    verbose : int

    Returns
    -------
    rows : list of dict
        One per temperature, with the ``swap_acceptance`` of the pair it forms with the next
        higher temperature (NaN for the highest).
    """
    order = np.argsort(temperatures)
    ladder = np.asarray(temperatures, dtype=float)[order]
    if np.any(np.diff(ladder) <= 0):
        raise ValueError("temperatures must be distinct for replica exchange, got "
                         f"{np.asarray(temperatures).tolist()}.")
    rng = check_random_state(seed)
    configs = _initial_configs(model, shape, settings["n_chains"], settings["init"], rng)
    configs = np.repeat(configs[None], len(ladder), axis=0)
    ladders = ReplicaLadders(model, configs, ladder, 1, rng)
    ladders.run(settings["n_equilibration"])
    n_sites = shape[0] * shape[1]

    def measure_round(length, thin):
        result = ladders.measure(length, thin)
        swaps = result.swap_acceptance_column()
        return [{**_row(run, T, n_sites, length, thin), "swap_acceptance": rate}
                for run, T, rate in zip(result.runs, ladder, swaps)]

    rows = _run_rounds(measure_round, settings, f"T={ladder[0]:.4g}..{ladder[-1]:.4g}",
                       verbose)
    for T, row in zip(ladder, rows):
        _report(row, T, shape, verbose)
    by_temperature = [{"T": T, **row} for T, row in zip(ladder, rows)]
    return [by_temperature[k] for k in np.argsort(order)]


def _run_rounds(measure_round, settings, label, verbose):
    """Rows of one fixed-length round, or of adaptive rounds doubling the run."""
    if settings["n_sweeps"] != "auto":
        rows = measure_round(settings["n_sweeps"], settings["thin"])
        return [{**row, "n_equilibration": settings["n_equilibration"]} for row in rows]
    spent, length = settings["n_equilibration"], FIRST_ROUND
    for index in itertools.count(1):
        thin = max(settings["thin"], -(-length // MAX_RECORDS))
        rows = [{**row, "n_equilibration": spent} for row in measure_round(length, thin)]
        spent += length
        done = all(row["converged"] and all(row[name + "_ess"] >= settings["target_ess"]
                                            for name in ("energy", "abs_magnetization"))
                   for row in rows)
        worst = min(rows, key=lambda row: min(row["energy_ess"], row["abs_magnetization_ess"]))
        progress("simulator", f"[MetropolisSimulator] {label} round {index}: {length} sweeps "
                 f"measured after {worst['n_equilibration']}, "
                 + ", ".join(f"{name} R-hat {worst[key + '_rhat']:.4f} "
                             f"ESS {worst[key + '_ess']:.0f}"
                             for name, key in (("e", "energy"), ("|m|", "abs_magnetization"))),
                 verbose)
        following = min(2 * length, settings["max_sweeps"] - spent)
        if done or following <= length:
            return rows
        length = following


def _report(row, T, shape, verbose):
    progress("simulator", f"[MetropolisSimulator] T={T:.4g} L={shape}: "
             f"e={row['energy']:.5f}+-{row['energy_err']:.5f} c={row['specific_heat']:.4f} "
             f"after {row['n_equilibration'] + row['n_sweeps']} sweeps"
             f"{'' if row['converged'] else ' (not converged)'}", verbose)
