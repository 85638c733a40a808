"""Drivers specialised to a kernel: bound correctly, kept apart, and cached across processes."""

import subprocess
import sys
import textwrap

import numba
import numpy as np

from skdcl.montecarlo.specialise import specialise


@numba.njit(cache=True)
def _plus_one(x):
    return x + 1.0


@numba.njit(cache=True)
def _twice(x):
    return 2.0 * x


def _apply_template(values):
    out = np.empty_like(values)
    for k in range(values.shape[0]):
        out[k] = function(values[k]) + offset  # noqa: F821
    return out


def test_each_specialisation_runs_its_own_functions():
    values = np.arange(3.0)
    first = specialise(_apply_template, {"function": _plus_one, "offset": 0.0})
    second = specialise(_apply_template, {"function": _twice, "offset": 10.0})
    np.testing.assert_array_equal(first(values), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(second(values), [10.0, 12.0, 14.0])
    assert first.py_func.__qualname__ != second.py_func.__qualname__
    assert first.stats.cache_path is not None


def _table_template(values):
    out = np.empty_like(values)
    for k in range(values.shape[0]):
        out[k] = TABLE[values[k]]  # noqa: F821
    return out


def test_bound_arrays_are_constants_of_their_own_cached_specialisation():
    first = specialise(_table_template, {"TABLE": np.array([1.0, 2.0, 3.0])})
    second = specialise(_table_template, {"TABLE": np.array([1.0, 2.0, 4.0])})
    again = specialise(_table_template, {"TABLE": np.array([1.0, 2.0, 3.0])})
    indices = np.array([2, 0])
    np.testing.assert_array_equal(first(indices), [3.0, 1.0])
    np.testing.assert_array_equal(second(indices), [4.0, 1.0])
    assert first.py_func.__qualname__ == again.py_func.__qualname__
    assert first.py_func.__qualname__ != second.py_func.__qualname__
    assert first.stats.cache_path is not None


def test_functions_without_a_source_file_are_compiled_in_memory_only():
    namespace = {}
    exec("import numba\n@numba.njit\ndef f(x):\n    return x - 1.0\n", namespace)
    driver = specialise(_apply_template, {"function": namespace["f"], "offset": 0.0})
    np.testing.assert_array_equal(driver(np.ones(2)), [0.0, 0.0])
    assert type(driver._cache).__name__ == "NullCache"


def test_a_fresh_process_loads_the_engine_drivers_from_disk():
    script = textwrap.dedent("""
        import numpy as np
        from skdcl import PottsModel
        from skdcl.montecarlo import ChainState, run_chains, seed_streams
        from skdcl.montecarlo.engine import _site_sweeper
        model = PottsModel(q=3)
        configs = np.zeros((2, 5, 5), dtype=np.int8)
        state = ChainState(configs, model.energy(configs), seed_streams(2, 0))
        run_chains(model.local_kernel(), state, 1.0, 3, sites=model.sites)
        print(sum(_site_sweeper(model.local_kernel()).stats.cache_hits.values()))
    """)
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True) for _ in range(2)]
    assert int(runs[1].stdout.split()[-1]) >= 1
