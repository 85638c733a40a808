"""The ``skdcl`` command: snapshots -> learned energy -> thermodynamics, from the shell.

``skdcl generate``
    snapshots of an exact model (Ising, Potts, Edwards-Anderson) by Monte Carlo;
``skdcl fit``
    a :class:`~skdcl.pipeline.DCLPipeline` fitted to snapshots, saved with joblib;
``skdcl simulate``
    the thermodynamics table of a saved model (CSV, optionally a plot);
``skdcl info``
    what a saved model holds;
``skdcl demo``
    the main job on data it generates itself.

Every command checks its options and inputs before any work (usage errors exit with status 2
and one ``skdcl: error: ...`` line), never overwrites an output without ``--force``, and moves
its outputs into place only once all of them are written.
"""

import sys

from ._arguments import count, coupling, lattice, number, setting, temperature, temperatures
from ._commands import MODEL_OPTIONS, run_fit, run_generate, run_simulate
from ._demo import run_demo
from ._info import run_info
from ._outputs import Parser

__all__ = ["main"]


def add_output_options(command, out_help):
    """``--out`` (required) and ``--force`` of a command writing files."""
    command.add_argument("--out", required=True, help=out_help)
    command.add_argument("--force", action="store_true", help="overwrite existing outputs")


def add_generate(commands):
    """The ``generate`` subcommand."""
    command = commands.add_parser(
        "generate", help="snapshots of an exact model by Monte Carlo",
        description="Equilibrium snapshots of an exact model by Metropolis Monte Carlo "
                    "(skdcl.make_snapshots), written as int8 (n, Ly, Lx).")
    command.add_argument("model", choices=tuple(MODEL_OPTIONS),
                         help="Ising, q-state Potts or Edwards-Anderson spin glass")
    command.add_argument("--L", type=lattice, required=True, help="lattice: 16 or LYxLX (4x16)")
    command.add_argument("--T", type=temperature, required=True, help="temperature (units of J)")
    command.add_argument("--n", type=count(1), required=True, help="number of snapshots")
    command.add_argument("--seed", type=count(0), default=None, help="random seed")
    command.add_argument("--J", type=coupling, help="coupling (ising: J or JX,JY; potts: J)")
    command.add_argument("--h", type=number, help="magnetic field (ising)")
    command.add_argument("--K", type=number, help="four-spin plaquette coupling (ising)")
    command.add_argument("--q", type=count(2), help="number of Potts states (potts)")
    command.add_argument("--disorder-seed", type=count(0),
                         help="seed of the couplings (ea; default 0)")
    command.add_argument("--n-equilibration", type=count(0), default=1000,
                         help="sweeps discarded per chain (default 1000)")
    command.add_argument("--thin", type=count(1), default=10,
                         help="sweeps between snapshots of a chain (default 10)")
    command.add_argument("--init", choices=("random", "ordered"), default="random",
                         help="start of every chain (default random)")
    add_output_options(command, "snapshot file: .npy, .npz (array 'X') or .csv (flat rows)")
    return command


def add_fit(commands):
    """The ``fit`` subcommand."""
    command = commands.add_parser(
        "fit", help="fit a DCLPipeline to snapshots; save it with joblib",
        description="Fit skdcl.DCLPipeline to snapshots observed at one temperature and save it "
                    "with joblib. Snapshots: .npy or .npz (n, Ly, Lx), or flat rows (.csv, "
                    "2-d arrays) with --shape; Ising spins -1/+1 or 0/1, or Potts labels.")
    command.add_argument("snapshots", metavar="SNAPSHOTS", help="a .npy, .npz or .csv file")
    command.add_argument("--T-obs", type=temperature, required=True,
                         help="temperature of the snapshots (units of J)")
    command.add_argument("--shape", type=int, nargs=2, metavar=("LY", "LX"),
                         help="lattice shape of flat rows")
    command.add_argument("--key", help="array of an .npz file (default: its first)")
    command.add_argument("--kind", choices=("auto", "ising", "potts"), default="auto",
                         help="site variables: 'ising' reads 0/1 as spins (default auto)")
    command.add_argument("--q", type=count(2), help="number of Potts states")
    command.add_argument("--set", type=setting, action="append", default=[],
                         metavar="KEY=VALUE",
                         help="a DCLPipeline parameter, rnn__* and ednn__* included, as a "
                              "Python literal or a string (repeatable): n_labels=5000, "
                              "refine=None, ednn__hidden_layer_sizes=(16,16)")
    command.add_argument("--seed", type=count(0), default=None, help="random_state")
    command.add_argument("--quiet", action="store_true", help="no stage progress")
    add_output_options(command, "model file (joblib), e.g. model.joblib")
    return command


def add_simulate(commands):
    """The ``simulate`` subcommand."""
    command = commands.add_parser(
        "simulate", help="thermodynamics of a saved model at many temperatures",
        description="Metropolis Monte Carlo under a saved model's learned energy: energy, "
                    "specific heat, order parameter, susceptibility and Binder cumulant per "
                    "temperature, with errors, as CSV. Load only model files you trust.")
    command.add_argument("model", metavar="MODEL", help="a file written by skdcl fit")
    command.add_argument("--L", type=lattice, required=True, help="lattice: 32 or LYxLX")
    command.add_argument("--T", type=temperatures, required=True,
                         help="temperatures: START:STOP:NUM (1.5:4:26) or T1,T2,...")
    command.add_argument("--n-chains", type=count(1), help="chains per temperature (4)")
    command.add_argument("--n-sweeps", type=count(2),
                         help="measured sweeps per chain (default: until the convergence "
                              "diagnostics are met, within --max-sweeps)")
    command.add_argument("--n-equilibration", type=count(0),
                         help="discarded sweeps per chain (500 with --n-sweeps)")
    command.add_argument("--max-sweeps", type=count(1024),
                         help="most sweeps per chain without --n-sweeps (524288)")
    command.add_argument("--energy", choices=("ednn", "rnn"), default="ednn",
                         help="the extensive model (any size) or the sequence model")
    command.add_argument("--n-jobs", type=int, default=None, help="temperatures in parallel")
    command.add_argument("--seed", type=count(0), default=None, help="random seed")
    command.add_argument("--plot", help="also plot energy, specific heat, order parameter and "
                         "Binder cumulant (e.g. table.png)")
    command.add_argument("--quiet", action="store_true", help="no line per temperature")
    add_output_options(command, "table file (CSV)")
    return command


def add_info(commands):
    """The ``info`` subcommand."""
    command = commands.add_parser(
        "info", help="what a saved model holds",
        description="What a model file written by skdcl fit holds: lattice, site variables, "
                    "T_obs, symmetries, label set, networks and timings.")
    command.add_argument("model", metavar="MODEL", help="a file written by skdcl fit")
    command.add_argument("--plot", help="also plot the training curves (e.g. training.png)")
    command.add_argument("--force", action="store_true", help="overwrite an existing --plot")
    return command


def add_demo(commands):
    """The ``demo`` subcommand."""
    command = commands.add_parser("demo", help="run the main job on self-generated data")
    command.add_argument("--out", default="out", help="output folder (default: out)")
    command.add_argument("--quick", action="store_true", help="a reduced run")
    command.add_argument("--exact", action="store_true",
                         help="only the exact-Hamiltonian phase diagram (no learning)")
    command.add_argument("--force", action="store_true",
                         help="overwrite the outputs of an earlier run in --out")
    return command


#: each subcommand: the function adding its parser and the function running it
COMMANDS = {"generate": (add_generate, run_generate), "fit": (add_fit, run_fit),
             "simulate": (add_simulate, run_simulate), "info": (add_info, run_info),
             "demo": (add_demo, run_demo)}


def parsers():
    """The ``skdcl`` parser and the parser of each subcommand, by name."""
    from .. import __version__

    parser = Parser(prog="skdcl", description="Learn lattice energy functions from snapshots "
                     "(skdcl.DCLPipeline) and simulate them, from the shell.",
                     epilog="skdcl COMMAND --help describes each command.")
    parser.add_argument("--version", action="version", version=f"skdcl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=Parser)
    return parser, {name: add(commands) for name, (add, _) in COMMANDS.items()}


def main(argv=None):
    """Entry point of the ``skdcl`` command (and of ``python -m skdcl``).

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        The exit status: 0, or 130 after an interruption (no output changed). Usage errors
        (bad options, unreadable inputs, outputs that exist without ``--force``) exit with
        status 2 through :meth:`argparse.ArgumentParser.error`, before any work.
    """
    parser, subparsers = parsers()
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](subparsers[args.command], args)


if __name__ == "__main__":
    sys.exit(main())
