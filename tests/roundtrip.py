"""Round trips of fitted estimators through pickle, joblib and a fresh Python process."""

import pickle
import subprocess
import sys

import joblib
import numpy as np


def assert_round_trips(model, X, folder):
    """``model.predict(X)`` is unchanged after pickle, joblib and loading in a new process."""
    expected = model.predict(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), expected)
    joblib.dump(model, folder / "model.joblib")
    np.testing.assert_array_equal(joblib.load(folder / "model.joblib").predict(X), expected)
    np.save(folder / "X.npy", X)
    np.save(folder / "expected.npy", expected)
    script = (
        "import joblib, numpy as np\n"
        f"model = joblib.load({str(folder / 'model.joblib')!r})\n"
        f"X = np.load({str(folder / 'X.npy')!r})\n"
        f"np.testing.assert_array_equal(model.predict(X), np.load("
        f"{str(folder / 'expected.npy')!r}))\n")
    subprocess.run([sys.executable, "-c", script], check=True)
