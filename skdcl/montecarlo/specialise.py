"""Compiled drivers specialised to a kernel, cached on disk across processes.

The engine's drivers (the multi-chain sweeps) call a kernel's compiled functions. A closure over
those functions cannot use numba's disk cache: numba keys a closure by its captured values,
which differ in every process. Instead :func:`specialise` binds the kernel's functions as
global names of a copy of a module-level template, under a name of its own. numba then caches
each specialised driver like any other function, so a fresh process (a Dask or joblib worker)
loads it from disk rather than compiling it again.

The name holds a fingerprint of the bound functions' source files (modification time and size)
and of every module of skdcl, so that editing a kernel or the engine compiles afresh rather
than loading stale code. Functions without a source file (defined in an interactive session or
a doctest), or closures over anything but compiled functions, cannot be fingerprinted: their
drivers are compiled in memory only.
"""

import hashlib
import os
import types

import numba
import numpy as np

__all__ = ["specialise"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STAMPS = {}


def _file_stamp(path):
    """``path:mtime:size``, remembered for the life of the process."""
    if path not in _STAMPS:
        status = os.stat(path)
        _STAMPS[path] = f"{path}:{status.st_mtime_ns}:{status.st_size}"
    return _STAMPS[path]


def _package_stamp():
    """Stamps of every Python module of skdcl (the drivers inline code from several)."""
    if _PACKAGE not in _STAMPS:
        paths = sorted(os.path.join(folder, name) for folder, _, names in os.walk(_PACKAGE)
                       for name in names if name.endswith(".py"))
        _STAMPS[_PACKAGE] = "|".join(_file_stamp(path) for path in paths)
    return _STAMPS[_PACKAGE]


def _fingerprint(value):
    """What identifies a bound value's code across processes, or None when nothing does."""
    if isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, np.ndarray):
        return f"array({value.dtype},{value.shape},{hashlib.sha1(value.tobytes()).hexdigest()})"
    function = getattr(value, "py_func", value)
    code = getattr(function, "__code__", None)
    if code is None or not os.path.isfile(code.co_filename):
        return None
    parts = [f"{function.__module__}.{function.__qualname__}", _file_stamp(code.co_filename)]
    for cell in function.__closure__ or ():
        inner = cell.cell_contents
        if not hasattr(inner, "py_func"):
            return None
        parts.append(_fingerprint(inner))
        if parts[-1] is None:
            return None
    return "(" + ",".join(parts) + ")"


def specialise(template, bindings, **options):
    """``numba.njit`` of ``template`` with the global names of ``bindings`` bound to its values.

    Parameters
    ----------
    template : function
        A plain module-level function whose code refers to the names of ``bindings`` as globals.
    bindings : dict of str to compiled function, ndarray or bool, int, float, str
        Values of those names (a kernel's functions, flags, constant tables: numba freezes a
        global array into the compiled code).
    **options
        Options of :func:`numba.njit` (``parallel``, ``inline``...); ``cache`` is decided here.

    Returns
    -------
    function : numba dispatcher
        Cached on disk when every bound value can be fingerprinted.
    """
    fingerprints = [f"{name}={_fingerprint(value)}" for name, value in sorted(bindings.items())]
    cache = all("=None" not in part for part in fingerprints)
    key = hashlib.sha1("|".join(fingerprints + [_package_stamp()]).encode()).hexdigest()[:16]
    namespace = dict(template.__globals__)
    namespace.update(bindings)
    function = types.FunctionType(template.__code__, namespace, template.__name__,
                                  template.__defaults__)
    function.__qualname__ = f"{template.__name__}_{key}"
    return numba.njit(cache=cache, **options)(function)
