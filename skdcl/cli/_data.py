"""Snapshot files (.npy, .npz, .csv) and saved models, read and written for the commands."""

import os
import pickle
import zipfile

import numpy as np

from ._outputs import reason

# the snapshot file formats, by suffix
SNAPSHOT_FORMATS = (".npy", ".npz", ".csv")


def save_snapshots(X, path):
    """Write snapshots ``(n, Ly, Lx)`` as .npy, .npz (array ``X``) or .csv (flat rows)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        np.save(path, X)
    elif suffix == ".npz":
        np.savez_compressed(path, X=X)
    else:
        np.savetxt(path, X.reshape(len(X), -1), fmt="%d", delimiter=",")


def read_array(parser, path, key):
    """The array of a snapshot file: .npy, .npz (the first array, or `key`) or .csv.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    path : str
    key : str or None
        The array of an .npz file to read.

    Returns
    -------
    array : ndarray
    """
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SNAPSHOT_FORMATS:
        parser.error(f"argument SNAPSHOTS: {path!r} has an unknown format; "
                     f"use *{', *'.join(SNAPSHOT_FORMATS)}")
    if key is not None and suffix != ".npz":
        parser.error("argument --key: only .npz files hold named arrays")
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".csv":
            return integral(np.loadtxt(path, delimiter=",", ndmin=2))
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if key is None and not names:
                parser.error(f"argument SNAPSHOTS: {path!r} holds no array")
            if key is not None and key not in names:
                parser.error(f"argument --key: {path!r} holds no array {key!r} ({names})")
            return archive[names[0] if key is None else key]
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile,
            pickle.UnpicklingError) as exc:
        parser.error(f"argument SNAPSHOTS: cannot read {path!r}: {reason(exc)}")


def integral(array):
    """`array` as int64 when every value is a whole number (CSV values are read as floats)."""
    if np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64)
    return array


def read_snapshots(parser, path, key=None, shape=None, kind="auto", q=None):
    """Snapshots of a file, validated: int8 ``(n, Ly, Lx)``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    path : str
        A .npy, .npz or .csv file.
    key : str, optional
        The array of an .npz file; None: its first.
    shape : tuple of int, optional
        ``(Ly, Lx)``: needed for flat rows (CSV), checked for 3-d arrays.
    kind : {"auto", "ising", "potts"}, default="auto"
        See :meth:`SiteVariables.infer <skdcl.sites.SiteVariables.infer>`.
    q : int, optional
        Number of Potts states.

    Returns
    -------
    X : ndarray of int8, shape (n_samples, Ly, Lx)
    sites : SiteVariables
    """
    from ..lattice import check_lattice_size, check_snapshots
    from ..sites import SiteVariables

    if q is not None and kind == "ising":
        parser.error("argument --q: Ising spins have two states; --q is for Potts labels")
    array = read_array(parser, path, key)
    if array.ndim == 2 and shape is None:
        parser.error(f"argument SNAPSHOTS: {path!r} holds flat rows of {array.shape[1]} sites; "
                     "give their lattice shape with --shape LY LX")
    try:
        shape = None if shape is None else check_lattice_size(tuple(shape), "--shape")
        sites = SiteVariables.infer(array, kind, q)
        return check_snapshots(array, sites, shape=shape, name=repr(path)), sites
    except ValueError as exc:
        parser.error(f"argument SNAPSHOTS: {exc}")


def load_model(parser, path):
    """A fitted ``DCLPipeline`` from a joblib file (only load files you trust: pickles run code).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        Reports a missing or unreadable file, or one that holds something else.
    path : str

    Returns
    -------
    model : DCLPipeline
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not os.path.isfile(path):
        parser.error(f"argument MODEL: {path!r} is not a file")
    import joblib

    try:
        model = joblib.load(path)
    except Exception as exc:  # unpickling arbitrary bytes may raise anything
        parser.error(f"argument MODEL: cannot load {path!r}: not a joblib file of a model "
                     f"({type(exc).__name__}: {reason(exc)})")
    from ..pipeline import DCLPipeline

    if not isinstance(model, DCLPipeline):
        parser.error(f"argument MODEL: {path!r} holds a {type(model).__name__}, not a "
                     "DCLPipeline (skdcl fit writes one)")
    try:
        check_is_fitted(model)
    except NotFittedError:
        parser.error(f"argument MODEL: {path!r} holds a DCLPipeline that is not fitted")
    return model
