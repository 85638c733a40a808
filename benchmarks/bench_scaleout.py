"""What a fresh worker process pays before its first result, and what a warm one pays.

Each case runs in a new Python process, as a Dask or joblib worker would: import skdcl, then
two identical calls of ``MetropolisSimulator.thermodynamics`` (one temperature, a small lattice,
few sweeps). The first call includes loading the model and compiling (or reading from numba's
disk cache) its kernels and the engine's drivers; the second is the warm cost. Every case runs
twice with a numba cache folder of its own (``NUMBA_CACHE_DIR``), empty at the start: the first
process compiles everything, the second finds it on disk, as a second worker would.

Run: ``python benchmarks/bench_scaleout.py``
"""

import os
import subprocess
import sys
import tempfile
import time

import joblib

CASE = r"""
import sys, time
start = time.perf_counter()
import joblib
import numpy as np
from skdcl import MetropolisSimulator
imported = time.perf_counter()
model = joblib.load(sys.argv[1])
loaded = time.perf_counter()
sim = MetropolisSimulator(model, random_state=0)
times = []
for _ in range(2):
    begin = time.perf_counter()
    sim.thermodynamics([2.5], int(sys.argv[2]), n_chains=2, n_sweeps=20, n_equilibration=0)
    times.append(time.perf_counter() - begin)
print(f"{imported - start:.2f} {loaded - imported:.2f} {times[0]:.2f} {times[1]:.3f}")
"""


def models(folder):
    """``(name, path, L)`` of each case, its model saved with joblib in ``folder``."""
    import warnings

    from skdcl import EDNNEnergyModel, IsingModel, PottsModel, make_snapshots

    X = make_snapshots(IsingModel(), 8, 3.0, 500, random_state=0)
    ednn = EDNNEnergyModel(focus=2, context=1, hidden_layer_sizes=(8,), epochs=2,
                           random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ednn.fit(X, IsingModel().energy(X))
    cases = [("Ising, exact (even side)", IsingModel(), 16),
             ("Potts q=3, exact (odd side)", PottsModel(q=3), 15),
             ("EDNN focus 2 context 1", ednn, 16)]
    out = []
    for index, (name, model, L) in enumerate(cases):
        path = os.path.join(folder, f"model{index}.joblib")
        joblib.dump(model, path)
        out.append((name, path, L))
    return out


def main():
    with tempfile.TemporaryDirectory() as folder:
        print("seconds: import skdcl, load the model, first call, second call (warm)")
        print(f"{'case':<30}{'process':>9}{'import':>8}{'load':>7}{'first':>8}{'warm':>8}")
        for index, (name, path, L) in enumerate(models(folder)):
            env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(folder, f"cache{index}"))
            for attempt in ("cold", "cached"):
                started = time.perf_counter()
                result = subprocess.run([sys.executable, "-c", CASE, path, str(L)],
                                        capture_output=True, text=True, check=True, env=env)
                total = time.perf_counter() - started
                imported, loaded, first, warm = result.stdout.split()
                print(f"{name:<30}{attempt:>9}{imported:>8}{loaded:>7}{first:>8}{warm:>8}"
                      f"   (process {total:.1f} s)")


if __name__ == "__main__":
    main()
