"""The ``skdcl`` command: ``skdcl demo`` runs the main job on data it generates itself."""

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

__all__ = ["main"]

# the files each demo writes, in the order they are moved into ``--out``
_EXACT_OUTPUTS = ("ising16_thermodynamics.csv", "ising16_thermodynamics.png")
_DCL_OUTPUTS = ("parity.png", "dcl_ising16_thermodynamics.csv", "dcl_ising16_thermodynamics.png")


def _demo_exact(out, quick=False):
    """16x16 Ising phase diagram under the exact Hamiltonian, against Kaufman's solution."""
    import matplotlib

    matplotlib.use("Agg")
    from . import IsingModel, MetropolisSimulator, ising_exact
    from .plotting import plot_thermodynamics

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


def _demo_dcl(out, quick=False):
    """The main job: snapshots at T_obs = 4 -> DCLPipeline -> 16x16 thermodynamics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import (
        DCLPipeline,
        IsingModel,
        energy_rmse,
        ising_exact,
        make_protocol_test_set,
        make_snapshots,
    )
    from .metrics import energy_offset
    from .plotting import plot_parity, plot_thermodynamics

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


def _check_outputs(parser, out, names, force):
    """Refuse, before any work, an ``--out`` that cannot take the outputs.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser whose ``error`` method reports the problem (exit status 2).
    out : str
        The output folder given as ``--out``.
    names : sequence of str
        The names of the files the demo will write into `out`.
    force : bool
        Whether existing outputs may be overwritten.
    """
    if os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"argument --out: {out!r} exists and is not a directory")
    paths = [os.path.join(out, name) for name in names]
    folders = [path for path in paths if os.path.isdir(path)]
    if folders:
        parser.error(f"argument --out: cannot overwrite folder(s) {', '.join(folders)}")
    existing = [path for path in paths if os.path.lexists(path)]
    if existing and not force:
        parser.error(f"argument --out: {', '.join(existing)} already exist(s); "
                     "use --force to overwrite")


def _make_staging(parser, out):
    """Create `out` if needed and a temporary folder inside it.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser whose ``error`` method reports the problem (exit status 2).
    out : str
        The output folder given as ``--out``.

    Returns
    -------
    staging : str
        A new, empty folder ``out/.skdcl-tmp-XXXX`` on the same file system as `out`,
        so that its files can be moved into `out` with :func:`os.replace`.
    """
    try:
        os.makedirs(out, exist_ok=True)
        return tempfile.mkdtemp(prefix=".skdcl-tmp-", dir=out)
    except OSError as exc:
        parser.error(f"argument --out: cannot write to {out!r}: {exc.strerror or exc}")


def _write_outputs(write, staging, out, names):
    """Run `write` into `staging`, then move its outputs into `out`.

    The files of `out` are replaced, one after another, only once `write` has returned
    and every output exists; on any error or interruption they are left untouched.
    `staging` is removed in every case.

    Parameters
    ----------
    write : callable
        ``write(folder)`` writes the files `names` into ``folder``.
    staging : str
        An empty temporary folder on the file system of `out`.
    out : str
        The output folder.
    names : sequence of str
        The names of the files `write` writes.
    """
    try:
        write(staging)
        missing = [name for name in names
                   if not os.path.isfile(os.path.join(staging, name))]
        if missing:
            raise RuntimeError(f"the demo did not write {', '.join(missing)}")
        for name in names:
            os.replace(os.path.join(staging, name), os.path.join(out, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _run_demo(parser, args):
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
    demo = _demo_exact if args.exact else _demo_dcl
    names = _EXACT_OUTPUTS if args.exact else _DCL_OUTPUTS
    _check_outputs(parser, args.out, names, args.force)
    staging = _make_staging(parser, args.out)
    try:
        _write_outputs(lambda folder: demo(folder, quick=args.quick), staging, args.out, names)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; nothing written to {args.out}", file=sys.stderr)
        return 130
    print(f"wrote {', '.join(names)} to {args.out}/")
    return 0


def main(argv=None):
    """Entry point of the ``skdcl`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        The exit status. Usage errors, a bad ``--out`` included, exit with status 2
        through :meth:`argparse.ArgumentParser.error` before any work.
    """
    parser = argparse.ArgumentParser(prog="skdcl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the main job on self-generated data")
    demo.add_argument("--out", default="out", help="output folder (default: out)")
    demo.add_argument("--quick", action="store_true", help="a reduced run")
    demo.add_argument("--exact", action="store_true",
                      help="only the exact-Hamiltonian phase diagram (no learning)")
    demo.add_argument("--force", action="store_true",
                      help="overwrite the outputs of an earlier run in --out")
    args = parser.parse_args(argv)
    return _run_demo(parser, args)


if __name__ == "__main__":
    sys.exit(main())
