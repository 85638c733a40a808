"""Command line shared by the benchmark scripts: ``bench_x.py WHAT [--param value ...]``."""

import argparse


def parse_value(text):
    """``"3"`` -> 3, ``"2e-3"`` -> 0.002, ``"True"`` -> True, ``"None"`` -> None, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(text, text)


def run(description, commands):
    """Run ``commands[WHAT](**params)`` with the estimator parameters given as ``--name value``.

    Parameters
    ----------
    description : str
        Shown by ``--help``.
    commands : dict of str to callable
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("what", choices=list(commands))
    known, rest = parser.parse_known_args()
    params = {key.lstrip("-").replace("-", "_"): parse_value(value)
              for key, value in zip(rest[::2], rest[1::2])}
    commands[known.what](**params)
