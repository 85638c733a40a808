"""``skdcl demo``: the main job on data it generates itself."""

import os
import time

import numpy as np

from ._outputs import check_outputs, produce

# the files each demo writes, in the order they are moved into ``--out``
EXACT_OUTPUTS = ("ising16_thermodynamics.csv", "ising16_thermodynamics.png")
DCL_OUTPUTS = ("parity.png", "dcl_ising16_thermodynamics.csv", "dcl_ising16_thermodynamics.png")


def demo_exact(out, quick=False):
    """16x16 Ising phase diagram under the exact Hamiltonian, against Kaufman's solution."""
    import matplotlib

    matplotlib.use("Agg")
    from .. import IsingModel, MetropolisSimulator, ising_exact
    from ..plotting import plot_thermodynamics

    temperatures = np.round(np.linspace(1.5, 3.5, 11 if quick else 21), 4)
    simulator = MetropolisSimulator(IsingModel(), random_state=0, verbose=1)
    start = time.perf_counter()
    table = simulator.thermodynamics(temperatures, 16, n_chains=16,
                                     n_sweeps=500 if quick else 4000, n_equilibration=500)
    exact = ising_exact(16, temperatures)
    table["energy_exact"] = exact["energy"].to_numpy()
    table["specific_heat_exact"] = exact["specific_heat"].to_numpy()
    table.to_csv(os.path.join(out, "ising16_thermodynamics.csv"), index=False)
    fine = ising_exact(16, np.linspace(1.4, 3.6, 221))
    figure = plot_thermodynamics(table, fine, label="Metropolis, exact H")
    figure.savefig(os.path.join(out, "ising16_thermodynamics.png"), dpi=120)
    deviation = np.abs(table["energy"] - table["energy_exact"]).max()
    peak = table["T"][table["specific_heat"].idxmax()]
    exact_peak = fine["T"][fine["specific_heat"].idxmax()]
    print(f"16x16 Ising, {len(temperatures)} temperatures in {time.perf_counter() - start:.1f} s")
    print(f"largest |e - e_exact| = {deviation:.4f} J per spin; specific-heat peak at "
          f"T = {peak:.3f} on the grid (exact finite-lattice peak at T = {exact_peak:.3f})")


def demo_dcl(out, quick=False):
    """The main job: snapshots at T_obs = 4 -> DCLPipeline -> 16x16 thermodynamics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import (
        DCLPipeline,
        IsingModel,
        energy_rmse,
        ising_exact,
        make_protocol_test_set,
        make_snapshots,
    )
    from ..metrics import energy_offset
    from ..plotting import plot_parity, plot_thermodynamics

    T_obs, n_snapshots = 4.0, 20_000 if quick else 100_000
    clock = time.perf_counter()
    print(f"1/4 generating {n_snapshots} 8x8 Ising snapshots at T_obs = {T_obs} "
          "(exact Monte Carlo)")
    X = make_snapshots(IsingModel(), 8, T_obs, n_snapshots, random_state=0)
    print("2/4 fitting DCLPipeline (sequence model and symmetries -> labels -> EDNN)")
    pipeline = DCLPipeline(random_state=0, verbose=1)
    if quick:
        pipeline.set_params(rnn__epochs=2, n_labels=5000, ednn__epochs=20)
    pipeline.fit(X, T_obs)
    print("3/4 energy accuracy on the shared protocol test set")
    X_test, source = make_protocol_test_set(IsingModel(), 8, 300 if quick else 1000,
                                            random_state=1)
    exact = IsingModel().energy(X_test)
    predictions = {"sequence model": pipeline.rnn_.predict(X_test),
                   "EDNN": pipeline.predict(X_test)}
    for name, pred in predictions.items():
        print(f"   {name:<15} RMSE = {energy_rmse(exact, pred):.3f} J")
    plot_parity(exact, predictions).savefig(os.path.join(out, "parity.png"), dpi=120)
    plt.close("all")
    print("4/4 16x16 Monte Carlo under the learned energy")
    temperatures = np.round(np.linspace(1.5, 4.0, 11 if quick else 26), 4)
    table = pipeline.simulate(temperatures, 16, n_chains=16, n_sweeps=500 if quick else 3000,
                              n_equilibration=500)
    # learned energies are relative to the observed snapshots' mean: align it with the exact one
    table["energy"] += energy_offset(IsingModel(), pipeline, X)
    reference = ising_exact(16, temperatures)
    table["energy_exact"] = reference["energy"].to_numpy()
    table["specific_heat_exact"] = reference["specific_heat"].to_numpy()
    table.to_csv(os.path.join(out, "dcl_ising16_thermodynamics.csv"), index=False)
    fine = ising_exact(16, np.linspace(1.4, 4.1, 271))
    plot_thermodynamics(table, fine, label="Metropolis, learned H").savefig(
        os.path.join(out, "dcl_ising16_thermodynamics.png"), dpi=120)
    deviation = np.abs(table["energy"] - table["energy_exact"]).max()
    peak = table["T"][table["specific_heat"].idxmax()]
    exact_peak = fine["T"][fine["specific_heat"].idxmax()]
    print(f"   largest |e - e_exact| = {deviation:.4f} J per spin over T in [1.5, 4]")
    print(f"   specific-heat peak at T = {peak:.3f} (exact {exact_peak:.3f})")
    print(f"done in {time.perf_counter() - clock:.0f} s")


def run_demo(parser, args):
    """Check ``--out``, run the chosen demo and move its outputs into place.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser whose ``error`` method reports a bad ``--out`` (exit status 2).
    args : argparse.Namespace
        The parsed ``demo`` options.

    Returns
    -------
    status : int
        0 on success, 130 if the run was interrupted (no output changed).
    """
    demo = demo_exact if args.exact else demo_dcl
    names = EXACT_OUTPUTS if args.exact else DCL_OUTPUTS
    outputs = [("--out", os.path.join(args.out, name)) for name in names]
    check_outputs(parser, outputs, args.force)
    status = produce(parser, outputs,
                      lambda staged: demo(os.path.dirname(staged[0]), quick=args.quick))
    if status == 0:
        print(f"wrote {', '.join(names)} to {args.out}/")
    return status


# -------------------------------------------------------------------------- skdcl generate
