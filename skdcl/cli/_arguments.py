"""Types of the command-line arguments: lattices, temperatures, counts, settings."""

import argparse
import ast

import numpy as np


def lattice(text):
    """A lattice size from ``"16"`` (square) or ``"LYxLX"`` such as ``"4x16"``.

    Parameters
    ----------
    text : str

    Returns
    -------
    L : int or tuple of int
        The side of a square lattice, or ``(Ly, Lx)``.

    Examples
    --------
    >>> lattice("16"), lattice("4x16"), lattice("8x8")
    (16, (4, 16), 8)
    """
    from ..lattice import check_lattice_size

    try:
        sides = tuple(int(side) for side in text.lower().split("x"))
        Ly, Lx = check_lattice_size(sides[0] if len(sides) == 1 else sides)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a side L >= 2 or LYxLX such as 16 or 4x16, got {text!r}") from None
    return Ly if Ly == Lx else (Ly, Lx)


def temperature(text):
    """A temperature: a finite number > 0."""
    from ..lattice import check_temperature

    try:
        return check_temperature(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a temperature (a number > 0), got {text!r}") from None


def temperatures(text):
    """Temperatures from ``"START:STOP:NUM"`` (:func:`numpy.linspace`) or ``"T1,T2,..."``.

    Parameters
    ----------
    text : str

    Returns
    -------
    temperatures : ndarray of float

    Examples
    --------
    >>> temperatures("1.5:4:6").tolist()
    [1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    >>> temperatures("2.0,2.269,2.5").tolist()
    [2.0, 2.269, 2.5]
    """
    try:
        if ":" in text:
            start, stop, num = text.split(":")
            if int(num) < 1:
                raise ValueError(num)
            values = np.linspace(float(start), float(stop), int(num))
        else:
            values = np.array([float(value) for value in text.split(",")])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START:STOP:NUM or a comma-separated list, got {text!r}") from None
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise argparse.ArgumentTypeError(f"temperatures must be finite and > 0, got {text!r}")
    return np.round(values, 10)


def count(low):
    """An option type: an int >= `low`."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"expected an int >= {low}, got {text!r}")
        return value
    return parse


def number(text):
    """A finite float."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def coupling(text):
    """A coupling ``J`` or a pair ``JX,JY``.

    Examples
    --------
    >>> coupling("1"), coupling("1,0.5")
    (1.0, (1.0, 0.5))
    """
    values = tuple(number(value) for value in text.split(","))
    if len(values) > 2:
        raise argparse.ArgumentTypeError(f"expected J or JX,JY, got {text!r}")
    return values[0] if len(values) == 1 else values


def setting(text):
    """A ``KEY=VALUE`` pair of ``--set``; the value read as a Python literal, else a string.

    Parameters
    ----------
    text : str

    Returns
    -------
    key : str
    value : object

    Examples
    --------
    >>> setting("refine=None"), setting("refine=scale")
    (('refine', None), ('refine', 'scale'))
    >>> setting("ednn__hidden_layer_sizes=(16, 16)")
    ('ednn__hidden_layer_sizes', (16, 16))
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return key.strip(), value.strip()


# ------------------------------------------------------------------------------ skdcl demo
