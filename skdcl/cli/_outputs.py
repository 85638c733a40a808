"""Outputs of the commands: checked before any work, staged, moved into place at the end."""

import argparse
import os
import shutil
import sys
import tempfile


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors, in every subcommand, read ``skdcl: error: ...``."""

    def error(self, message):
        """Print the usage and ``skdcl: error: message``, then exit with status 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"skdcl: error: {message}\n")


def reason(exc):
    """Words for an exception in a message: the system's reason, or its text, or its class."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# ------------------------------------------------------------------------------------- outputs


def check_outputs(parser, outputs, force):
    """Refuse, before any work, output paths that cannot take the outputs.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser whose ``error`` method reports the problem (exit status 2).
    outputs : sequence of (str, str)
        ``(option, path)`` of each output file, such as ``("--out", "model.joblib")``.
    force : bool
        Whether existing outputs may be overwritten.
    """
    seen = {}
    for option, path in outputs:
        folder = os.path.dirname(path) or os.curdir
        if os.path.exists(folder) and not os.path.isdir(folder):
            parser.error(f"argument {option}: {folder!r} exists and is not a directory")
        if os.path.isdir(path):
            parser.error(f"argument {option}: cannot overwrite folder {path}")
        key = os.path.realpath(path)
        if key in seen:
            parser.error(f"argument {option}: {path} is also the file of {seen[key]}")
        seen[key] = option
    existing = [path for _, path in outputs if os.path.lexists(path)]
    if existing and not force:
        options = sorted({option for option, path in outputs if path in existing})
        parser.error(f"argument {'/'.join(options)}: {', '.join(existing)} already exist(s); "
                     "use --force to overwrite")


def make_staging(parser, option, folder):
    """Create `folder` if needed and a temporary folder inside it.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser whose ``error`` method reports the problem (exit status 2).
    option : str
        The option that named an output in `folder`, for the message.
    folder : str
        The folder of an output.

    Returns
    -------
    staging : str
        A new, empty folder ``folder/.skdcl-tmp-XXXX`` on the same file system as `folder`,
        so that its files can be moved into `folder` with :func:`os.replace`.
    """
    try:
        os.makedirs(folder, exist_ok=True)
        return tempfile.mkdtemp(prefix=".skdcl-tmp-", dir=folder)
    except OSError as exc:
        parser.error(f"argument {option}: cannot write to {folder!r}: {reason(exc)}")


def stage(parser, outputs):
    """A staging folder beside every output, and the path each output is first written to.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser whose ``error`` method reports a folder that cannot be written.
    outputs : sequence of (str, str)
        ``(option, path)`` of each output.

    Returns
    -------
    staged : list of str
        For each output, a path of the same name in a staging folder beside it.
    folders : list of str
        The staging folders, to be removed once the outputs are moved.
    """
    folders, staged = {}, []
    try:
        for option, path in outputs:
            folder = os.path.dirname(path) or os.curdir
            if folder not in folders:
                folders[folder] = make_staging(parser, option, folder)
            staged.append(os.path.join(folders[folder], os.path.basename(path)))
    except BaseException:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return staged, list(folders.values())


def write_outputs(write, staged, outputs, folders):
    """Run `write` on the staged paths, then move every output into place.

    The outputs are replaced, one after another, only once `write` has returned and every
    staged file exists; on any error or interruption they are left untouched. The staging
    folders are removed in every case.

    Parameters
    ----------
    write : callable
        ``write(staged)`` writes the files of the list of paths `staged`.
    staged : list of str
        Where `write` writes each output.
    outputs : sequence of (str, str)
        ``(option, path)`` of each output.
    folders : list of str
        The staging folders.
    """
    try:
        write(staged)
        missing = [path for (_, path), temporary in zip(outputs, staged)
                   if not os.path.isfile(temporary)]
        if missing:
            raise RuntimeError(f"the command did not write {', '.join(missing)}")
        for (_, path), temporary in zip(outputs, staged):
            os.replace(temporary, path)
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def produce(parser, outputs, write):
    """Write outputs through staging folders (see :func:`write_outputs`).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser whose ``error`` method reports a folder that cannot be written.
    outputs : sequence of (str, str)
        ``(option, path)`` of each output, already checked by :func:`check_outputs`.
    write : callable
        ``write(staged)``: the work, writing each output to its staged path.

    Returns
    -------
    status : int
        0 on success, 130 if the run was interrupted (no output changed).
    """
    staged, folders = stage(parser, outputs)
    try:
        write_outputs(write, staged, outputs, folders)
    except KeyboardInterrupt:
        paths = ", ".join(path for _, path in outputs)
        print(f"skdcl: interrupted; nothing written to {paths}", file=sys.stderr)
        return 130
    return 0


# ------------------------------------------------------------------------------ option types
