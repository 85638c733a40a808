"""``skdcl generate``, ``skdcl fit`` and ``skdcl simulate``."""

import difflib
import os
import time

from ._data import SNAPSHOT_FORMATS, load_model, read_snapshots, save_snapshots
from ._outputs import check_outputs, produce

# the parameters each exact model of ``skdcl generate`` takes
MODEL_OPTIONS = {"ising": ("J", "h", "K"), "potts": ("q", "J"), "ea": ("disorder_seed",)}


def exact_model(parser, args, shape):
    """The exact model of ``skdcl generate``, refusing options it does not take.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    args : argparse.Namespace
        The parsed ``generate`` options.
    shape : int or tuple of int
        The lattice size (the couplings' size of the Edwards-Anderson model).

    Returns
    -------
    model : IsingModel, PottsModel or EdwardsAndersonModel
    """
    from ..hamiltonians import EdwardsAndersonModel, IsingModel, PottsModel

    for name in ("J", "h", "K", "q", "disorder_seed"):
        if getattr(args, name) is not None and name not in MODEL_OPTIONS[args.model]:
            option = "--" + name.replace("_", "-")
            parser.error(f"argument {option}: not a parameter of the {args.model} model "
                         f"(it takes {', '.join('--' + o for o in MODEL_OPTIONS[args.model])})")
    given = {name: getattr(args, name) for name in MODEL_OPTIONS[args.model]
             if getattr(args, name) is not None}
    if args.model == "ising":
        return IsingModel(**given)
    if args.model == "potts":
        if isinstance(given.get("J"), tuple):
            parser.error("argument --J: the Potts model takes one coupling")
        return PottsModel(**given)
    return EdwardsAndersonModel(L=shape, random_state=given.get("disorder_seed", 0))


def run_generate(parser, args):
    """Generate snapshots of an exact model and write them to ``--out``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``generate`` parser, whose ``error`` method reports bad options (exit status 2).
    args : argparse.Namespace
        The parsed ``generate`` options.

    Returns
    -------
    status : int
        0 on success, 130 if interrupted.
    """
    from ..datasets import make_snapshots

    if os.path.splitext(args.out)[1].lower() not in SNAPSHOT_FORMATS:
        parser.error(f"argument --out: {args.out!r} has an unknown format; "
                     f"name it *{', *'.join(SNAPSHOT_FORMATS)}")
    outputs = [("--out", args.out)]
    check_outputs(parser, outputs, args.force)
    model = exact_model(parser, args, args.L)
    start = time.perf_counter()

    def write(staged):
        try:
            X = make_snapshots(model, args.L, args.T, args.n, n_equilibration=args.n_equilibration,
                               thin=args.thin, init=args.init, random_state=args.seed)
        except ValueError as exc:
            parser.error(str(exc))
        save_snapshots(X, staged[0])

    print(f"generating {args.n} snapshots of the {args.model} model at T = {args.T:g}")
    status = produce(parser, outputs, write)
    if status == 0:
        Ly, Lx = (args.L, args.L) if isinstance(args.L, int) else args.L
        print(f"wrote {args.n} {Ly}x{Lx} snapshots (int8) to {args.out} in "
              f"{time.perf_counter() - start:.1f} s")
        if args.out.lower().endswith(".csv"):
            print(f"CSV rows are flat: read them back with --shape {Ly} {Lx}")
    return status


# ------------------------------------------------------------------------------- skdcl fit


def pipeline_parameters(parser, args):
    """The parameters of the ``DCLPipeline`` of ``skdcl fit``, checked by name.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    args : argparse.Namespace
        The parsed ``fit`` options (``--set``, ``--kind``, ``--q``, ``--seed``, ``--quiet``).

    Returns
    -------
    params : dict
        For :meth:`DCLPipeline.set_params`; ``--set`` comes last, so it wins.
    """
    from ..pipeline import DCLPipeline

    params = {"verbose": 0 if args.quiet else 1, "random_state": args.seed}
    if args.kind != "auto":
        params.update(rnn__kind=args.kind, ednn__kind=args.kind)
    if args.q is not None:
        params.update(rnn__q=args.q, ednn__q=args.q)
    valid = sorted(DCLPipeline().get_params(deep=True))
    for key, value in args.set:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=3, cutoff=0.6)
            hint = (f"did you mean {' or '.join(close)}?" if close else
                    "see help(skdcl.DCLPipeline); sub-model parameters are rnn__* and ednn__*")
            parser.error(f"argument --set: {key!r} is not a parameter of DCLPipeline; {hint}")
        params[key] = value
    return params


def run_fit(parser, args):
    """Fit a ``DCLPipeline`` to a snapshot file and save it with joblib.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``fit`` parser, whose ``error`` method reports bad options (exit status 2).
    args : argparse.Namespace
        The parsed ``fit`` options.

    Returns
    -------
    status : int
        0 on success, 130 if interrupted (nothing written).
    """
    import joblib

    outputs = [("--out", args.out)]
    check_outputs(parser, outputs, args.force)
    X, sites = read_snapshots(parser, args.snapshots, args.key, args.shape, args.kind, args.q)
    print(f"read {len(X)} {X.shape[1]}x{X.shape[2]} snapshots ({sites.describe()}) "
          f"from {args.snapshots}")
    from ..pipeline import DCLPipeline

    pipeline = DCLPipeline()
    try:
        pipeline.set_params(**pipeline_parameters(parser, args))
    except ValueError as exc:
        parser.error(f"argument --set: {exc}")
    start = time.perf_counter()

    def write(staged):
        try:
            pipeline.fit(X, args.T_obs)
        except ValueError as exc:
            parser.error(f"fit failed: {exc}")
        joblib.dump(pipeline, staged[0])

    status = produce(parser, outputs, write)
    if status == 0:
        print(f"fitted in {time.perf_counter() - start:.1f} s; wrote {args.out}")
    return status


# -------------------------------------------------------------------------- skdcl simulate


def check_plot_format(parser, path):
    """Refuse a ``--plot`` file name whose format matplotlib cannot write."""
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        parser.error(f"argument --plot: {path!r} has an unknown format; name it "
                     f"*.{', *.'.join(sorted(formats))}")


def thermodynamics(parser, model, args):
    """The table of ``skdcl simulate`` (usage errors of the simulation exit with status 2)."""
    options = {name: getattr(args, name) for name in ("n_chains", "n_sweeps", "n_equilibration",
                                                        "max_sweeps")
               if getattr(args, name) is not None}
    if args.seed is not None:
        options["random_state"] = args.seed
    model.set_params(verbose=0 if args.quiet else 1)
    try:
        return model.simulate(args.T, args.L, energy=args.energy, n_jobs=args.n_jobs, **options)
    except ValueError as exc:
        parser.error(f"simulation failed: {exc}")


#: Panels of ``skdcl simulate --plot``.
THERMODYNAMICS_PANELS = ("energy", "specific_heat", "abs_magnetization", "binder")


def plot(table, path):
    """Save energy, specific heat, order parameter and Binder cumulant against temperature."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_thermodynamics

    _, axes = plt.subplots(2, 2, figsize=(9, 7))
    figure = plot_thermodynamics(table, label="Metropolis, learned H", axes=axes.ravel(),
                                 observables=THERMODYNAMICS_PANELS)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_simulate(parser, args):
    """Simulate a saved model at every temperature; write the table (and a plot).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``simulate`` parser, whose ``error`` method reports bad options (exit status 2).
    args : argparse.Namespace
        The parsed ``simulate`` options.

    Returns
    -------
    status : int
        0 on success, 130 if interrupted (nothing written).
    """
    outputs = [("--out", args.out)] + ([("--plot", args.plot)] if args.plot else [])
    check_outputs(parser, outputs, args.force)
    if args.plot:
        check_plot_format(parser, args.plot)
    model = load_model(parser, args.model)
    start, tables = time.perf_counter(), []

    def write(staged):
        tables.append(thermodynamics(parser, model, args))
        tables[0].to_csv(staged[0], index=False)
        if args.plot:
            plot(tables[0], staged[1])

    status = produce(parser, outputs, write)
    if status == 0:
        table = tables[0]
        peak = table["T"][table["specific_heat"].idxmax()]
        print(f"{len(table)} temperatures in {time.perf_counter() - start:.1f} s; specific "
              f"heat largest at T = {peak:.4g}; energies are relative (the snapshots' mean)")
        print(f"wrote {', '.join(path for _, path in outputs)}")
    return status


# ------------------------------------------------------------------------------ skdcl info
