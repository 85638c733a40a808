"""``skdcl info``: what a saved model holds."""


import numpy as np

from ._commands import check_plot_format
from ._data import load_model
from ._outputs import check_outputs, produce


def parameter_count(estimator):
    """The number of weights of a fitted Keras estimator's network, or None."""
    try:
        return int(estimator.model_.count_params())
    except (AttributeError, ValueError):
        return None


def label_summary(labels):
    """``"N configurations: a observed, b tempered, c random"`` of ``DCLPipeline.labels_``."""
    source = np.asarray(labels.get("source", []))
    observed, random = int(np.sum(source == "observed")), int(np.sum(source == "random"))
    return (f"{len(source)} configurations: {observed} observed, "
            f"{len(source) - observed - random} tempered, {random} random")


def sub_model_lines(model):
    """``(name, description)`` of the sequence model, the EDNN and the interactions."""
    rnn, ednn = model.rnn_, model.ednn_
    rnn_params, ednn_params = parameter_count(rnn), parameter_count(ednn)
    lines = [("sequence model", f"{type(rnn).__name__}(cell={rnn.cell!r}, units={rnn.units}, "
                                f"layers={rnn.layers}), {rnn_params} parameters"),
             ("EDNN", f"focus {ednn.focus}, context {ednn.context}, hidden layers "
                      f"{tuple(ednn.hidden_layer_sizes)}, shared {ednn.shared_}, "
                      f"{ednn_params} parameters")]
    if getattr(ednn, "scale_factor_", None) is not None:
        lines.append(("energy scale", f"{ednn.scale_factor_:.4g} (pseudo-likelihood refinement)"))
    if hasattr(model, "interactions_"):
        lines.append(("interactions", "every interaction within 3x3 windows; penalty on 3+ spin "
                                      f"terms {model.interactions_.penalty_:g}"))
    if rnn_params is not None and ednn_params is not None:
        lines.append(("parameters", f"{rnn_params + ednn_params} in all"))
    return lines


def info_lines(model, path):
    """What a fitted ``DCLPipeline`` holds, as ``(name, description)`` pairs.

    Parameters
    ----------
    model : DCLPipeline
        Fitted.
    path : str
        Its file.

    Returns
    -------
    lines : list of (str, str)
    """
    Ly, Lx = model.lattice_shape_
    n_snapshots = getattr(model, "n_snapshots_", None)
    timings = getattr(model, "timings_", {})
    lines = [("file", path), ("model", type(model).__name__),
             ("lattice", f"{Ly}x{Lx} (fitted)"),
             ("site variables", f"{model.sites_.describe()} ({model.sites_!r})"),
             ("T_obs", f"{model.T_obs_:g}"),
             ("snapshots", "not recorded" if n_snapshots is None else str(n_snapshots)),
             ("symmetry", model.symmetry_.describe()),
             ("refine", str(model.refine_)),
             ("label set", label_summary(model.labels_))]
    lines += sub_model_lines(model)
    lines.append(("timings", ", ".join(f"{name} {seconds:.1f} s"
                                       for name, seconds in timings.items())
                  + f" (total {sum(timings.values()):.1f} s)"))
    return lines


def run_info(parser, args):
    """Print what a saved model holds.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``info`` parser, whose ``error`` method reports a bad file (exit status 2).
    args : argparse.Namespace

    Returns
    -------
    status : int
        0 on success, 130 if interrupted (no plot written).
    """
    outputs = [("--plot", args.plot)] if args.plot else []
    check_outputs(parser, outputs, args.force)
    if args.plot:
        check_plot_format(parser, args.plot)
    model = load_model(parser, args.model)
    for name, description in info_lines(model, args.model):
        print(f"{name + ':':<16}{description}")
    if not args.plot:
        return 0
    status = produce(parser, outputs, lambda staged: plot_training(model, staged[0]))
    if status == 0:
        print(f"wrote {args.plot}")
    return status


def plot_training(model, path):
    """Save the training and validation loss per epoch of every stage of a fitted pipeline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_training_history

    figure = plot_training_history(model)
    figure.savefig(path, dpi=120)
    plt.close(figure)


# ---------------------------------------------------------------------------------- parser
