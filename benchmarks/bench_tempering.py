"""Replica exchange against plain Metropolis on an Edwards-Anderson spin glass at low temperature.

For one spin-glass instance and a geometric ladder of temperatures, run plain Metropolis
(:func:`skdcl.montecarlo.sample_model`, each temperature on its own) and replica exchange
(:func:`skdcl.montecarlo.tempering.sample_tempering`) from the same random starts, with the same
number of sweeps per chain and temperature, and print the energy per spin of each with its
standard error (from the spread of the means of the independent chains or ladders), its
deviation from the reference in combined standard errors, the ratio of the two errors, and the
swap acceptance of each pair of neighbouring temperatures.
The reference is exact enumeration on lattices of at most 16 sites, otherwise a replica-exchange
run ``--reference-factor`` times longer, with twice the ladders and its own seed.

Run: ``python benchmarks/bench_tempering.py [--L 8] [--sweeps 5000] [--quick]``
"""

import argparse
import time

import numpy as np

from skdcl import EdwardsAndersonModel
from skdcl.exact import enumerate_exact
from skdcl.montecarlo import sample_model
from skdcl.montecarlo.tempering import sample_tempering


def energies(runs, n_sites):
    """Energy per spin at every temperature and its standard error from the independent chains
    (ladders): the spread of the chains' means over the square root of their number."""
    means = np.array([run.energies.mean(axis=1) for run in runs]) / n_sites
    return means.mean(axis=1), means.std(axis=1, ddof=1) / np.sqrt(means.shape[1])


def plain(model, configs, temperatures, n_sweeps, n_equilibration, seed):
    runs = [sample_model(model, configs, T, n_equilibration=n_equilibration, n_records=n_sweeps,
                         random_state=seed + k) for k, T in enumerate(temperatures)]
    return energies(runs, configs[0].size)


def tempering(model, configs, temperatures, n_sweeps, n_equilibration, seed):
    result = sample_tempering(model, configs, temperatures, n_equilibration=n_equilibration,
                              n_records=n_sweeps, random_state=seed)
    return energies(result.runs, configs[0].size) + (result,)


def reference(model, L, temperatures, n_chains, n_sweeps, n_equilibration, factor):
    """Exact energies per spin (at most 16 sites) or a long replica-exchange run."""
    if L * L <= 16:
        exact = enumerate_exact(model, L, temperatures)["energy"].to_numpy()
        return exact, np.zeros_like(exact), "exact enumeration"
    configs = model.random_configurations(2 * n_chains, L, random_state=1000)
    e, err, _ = tempering(model, configs, temperatures, factor * n_sweeps,
                          factor * n_equilibration, 1000)
    return e, err, f"replica exchange, {2 * n_chains} ladders x {factor * n_sweeps} sweeps"


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main(L, n_temperatures, T_min, T_max, n_chains, n_sweeps, n_equilibration, instance, seed,
         reference_factor):
    model = EdwardsAndersonModel(L=L, random_state=instance)
    temperatures = np.geomspace(T_min, T_max, n_temperatures)
    configs = model.random_configurations(n_chains, L, random_state=seed)
    sample_tempering(model, configs[:2], temperatures[:2], n_equilibration=1, n_records=1)
    sample_model(model, configs[:2], temperatures[0], n_equilibration=1, n_records=1)
    (ref, ref_err, ref_name), ref_time = timed(reference, model, L, temperatures, n_chains,
                                               n_sweeps, n_equilibration, reference_factor)
    (e_plain, err_plain), plain_time = timed(plain, model, configs, temperatures, n_sweeps,
                                             n_equilibration, seed)
    (e_pt, err_pt, result), pt_time = timed(tempering, model, configs, temperatures, n_sweeps,
                                            n_equilibration, seed)
    print(f"Edwards-Anderson {L}x{L}, instance {instance}: {n_chains} chains (ladders), "
          f"{n_equilibration} + {n_sweeps} sweeps per chain and temperature")
    print(f"reference: {ref_name} ({ref_time:.1f} s)")
    print(f"{'T':>7} {'reference':>20} {'plain Metropolis':>20} {'dev':>6} "
          f"{'replica exchange':>20} {'dev':>6} {'ratio':>6} {'swap':>6}")
    swaps = result.swap_acceptance_column()
    dev_plain = _deviation(e_plain, err_plain, ref, ref_err)
    dev_pt = _deviation(e_pt, err_pt, ref, ref_err)
    for k, T in enumerate(temperatures):
        ref_text = f"{ref[k]:.5f}" + (f"+-{ref_err[k]:.5f}" if ref_err[k] > 0 else "")
        print(f"{T:7.4f} {ref_text:>20} {e_plain[k]:11.5f}+-{err_plain[k]:.5f} "
              f"{dev_plain[k]:6.1f} {e_pt[k]:11.5f}+-{err_pt[k]:.5f} {dev_pt[k]:6.1f} "
              f"{err_plain[k] / err_pt[k]:6.1f} {swaps[k]:6.3f}")
    print(f"time: plain {plain_time:.1f} s, replica exchange {pt_time:.1f} s; "
          f"round trips per ladder: {result.round_trips.mean():.1f}")
    print(f"largest |deviation| in standard errors: plain {np.max(np.abs(dev_plain)):.1f}, "
          f"replica exchange {np.max(np.abs(dev_pt)):.1f}")

def _deviation(e, err, ref, ref_err):
    return (e - ref) / np.hypot(err, ref_err)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, default=8)
    parser.add_argument("--n-temperatures", type=int, default=8)
    parser.add_argument("--T-min", type=float, default=None,
                        help="lowest temperature (default 0.5, with --quick 0.3)")
    parser.add_argument("--T-max", type=float, default=2.0)
    parser.add_argument("--n-chains", type=int, default=32)
    parser.add_argument("--sweeps", type=int, default=5000)
    parser.add_argument("--equilibration", type=int, default=1000)
    parser.add_argument("--instance", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference-factor", type=int, default=10)
    parser.add_argument("--quick", action="store_true",
                        help="a short run: 4x4 against exact enumeration, 200 + 1000 sweeps")
    args = parser.parse_args()
    if args.quick:
        args.L, args.sweeps, args.equilibration = 4, 1000, 200
    if args.T_min is None:
        args.T_min = 0.3 if args.quick else 0.5
    main(args.L, args.n_temperatures, args.T_min, args.T_max, args.n_chains, args.sweeps,
         args.equilibration, args.instance, args.seed, args.reference_factor)
