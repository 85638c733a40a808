"""Spin-data versions of scikit-learn's estimator checks that feed float features.

``tests/test_common.py`` lists ``check_fit_idempotent``, ``check_dict_unchanged``,
``check_dont_overwrite_parameters``, ``check_estimators_overwrite_params``, the pickling check
and the subset and sample-order invariance checks as expected failures for every estimator, only
because they feed random floats. Here the same logic runs on what the estimators take: Ising
+-1 snapshots of a 4x4 lattice at T = 3, with the energies (EDNN) or the observation temperature
(the others) as ``y``, and the estimators of ``tests/test_common.py::ESTIMATORS`` with their tiny
settings. Every estimator is seeded (``random_state=0`` throughout, as scikit-learn's
``set_random_state`` does), so fits are deterministic and compared exactly; outputs computed in
different batches are compared to float32 precision.

A :class:`~skdcl.MetropolisSimulator`'s "predictions" are :meth:`transform` with an int
``random_state``: each call continues the random stream that ``fit`` restarts. Its rows are
independent Markov chains seeded by position, so subset and sample-order invariance are checked
where the dynamics is deterministic (``temperature`` near zero), and chain independence at the
fitted temperature.

The default ``DCLPipeline`` of ``ESTIMATORS`` refines by fitting the window interactions with six
penalties, 20 s to a minute per fit on two cores; it runs under the ``slow`` marker, and the same
pipeline with ``refine="scale"`` runs by default.
"""

import copy
import pickle
import re

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import ShuffleSplit

from skdcl import IsingModel, MetropolisSimulator, make_snapshots
from tests.test_common import ESTIMATORS

pytestmark = pytest.mark.filterwarnings("ignore:symmetrize='auto' needs:UserWarning")

T_OBS = 3.0
METHODS = ["predict", "transform", "decision_function", "predict_proba", "score_samples"]
#: Temperature at which Metropolis is deterministic: every uphill move is refused.
FROZEN = 1e-6


def _estimator_params():
    """The estimators of ESTIMATORS by id (the exact DCLPipeline only with the slow tests)."""
    cases = []
    for estimator in ESTIMATORS:
        name = type(estimator).__name__
        if name == "DCLPipeline":
            cases.append((clone(estimator).set_params(refine="scale"),
                          "DCLPipeline-refine-scale", []))
            cases.append((estimator, "DCLPipeline", [pytest.mark.slow]))
        else:
            cases.append((estimator, name, []))
    return [pytest.param(estimator, id=id_, marks=marks) for estimator, id_, marks in cases]


def _seeded(estimator, seed=0):
    """A clone with every ``*random_state`` parameter (sub-models too) set to ``seed``."""
    estimator = clone(estimator)
    names = [key for key in estimator.get_params() if key.endswith("random_state")]
    return estimator.set_params(**{key: seed for key in names})


def _target(estimator, X):
    name = type(estimator).__name__
    if name == "MetropolisSimulator":
        return None
    if name == "EDNNEnergyModel":
        return IsingModel().energy(X)
    return np.full(len(X), T_OBS)


def _is_simulator(estimator):
    return isinstance(estimator, MetropolisSimulator)


def _methods(estimator):
    return [method for method in METHODS if hasattr(estimator, method)]


def _outputs(estimator, X):
    return {method: getattr(estimator, method)(X) for method in _methods(estimator)}


def _is_public_parameter(name):
    return not (name.startswith("_") or name.endswith("_"))


def _same(a, b):
    """``a`` and ``b`` are the same object or equal values (arrays compared elementwise)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and bool(np.array_equal(a, b)))
    try:
        return bool(a == b)
    except Exception:  # objects without a truth value of their comparison
        return False


def _assert_close(actual, desired, err_msg="", exact=False):
    """Equal to float32 precision (outputs of one network computed in different batches), or
    exactly."""
    desired = np.asarray(desired)
    if exact or desired.dtype.kind in "iub":
        np.testing.assert_array_equal(actual, desired, err_msg=err_msg)
        return
    scale = max(1.0, float(np.abs(desired).max()))
    np.testing.assert_allclose(actual, desired, rtol=1e-5, atol=1e-5 * scale, err_msg=err_msg)


@pytest.fixture(scope="module")
def snapshots():
    X = make_snapshots(IsingModel(), 4, 3.0, 300, random_state=0)
    train, test = next(ShuffleSplit(test_size=0.2, random_state=0).split(X))
    return X, train, test


@pytest.fixture(scope="module", params=_estimator_params())
def fitted(request, snapshots):
    """One seeded fit per estimator, with what scikit-learn's checks record around it."""
    X, train, test = snapshots
    estimator = _seeded(request.param)
    y = _target(estimator, X)
    y_train = None if y is None else y[train]
    dict_before_fit = estimator.__dict__.copy()
    params_before_fit = copy.deepcopy(estimator.get_params())
    returned = estimator.fit(X[train], y_train)
    record = {
        "estimator": estimator, "returned": returned, "X": X, "train": train, "test": test,
        "y_train": y_train, "dict_before_fit": dict_before_fit,
        "dict_after_fit": estimator.__dict__.copy(), "params_before_fit": params_before_fit,
        "params_after_fit": estimator.get_params(), "outputs": _outputs(estimator, X[test]),
    }
    return record


# ----------------------------------------------------------- the four float-feature checks


def test_fit_idempotent(fitted):
    """check_fit_idempotent: fit then fit again (same seed, same data) predicts the same, and so
    does a fresh instance (an int random_state gives reproducible fits)."""
    estimator, X = fitted["estimator"], fitted["X"]
    X_train, X_test = X[fitted["train"]], X[fitted["test"]]
    assert fitted["returned"] is estimator
    estimator.fit(X_train, fitted["y_train"])
    again = _outputs(estimator, X_test)
    fresh = _seeded(estimator).fit(X_train, fitted["y_train"])
    for method, first in fitted["outputs"].items():
        np.testing.assert_array_equal(again[method], first,
                                      err_msg=f"{method} after a second fit")
        np.testing.assert_array_equal(getattr(fresh, method)(X_test), first,
                                      err_msg=f"{method} of a fresh instance, same seed")


def test_dict_unchanged(fitted):
    """check_dict_unchanged: prediction methods leave the estimator's __dict__ as it was."""
    estimator, X = fitted["estimator"], fitted["X"]
    for method in _methods(estimator):
        before = estimator.__dict__.copy()
        getattr(estimator, method)(X)
        after = estimator.__dict__
        changed = sorted(key for key in set(before) | set(after)
                         if key not in before or key not in after
                         or not _same(before[key], after[key]))
        assert not changed, f"{method} changed {changed} in __dict__"


def test_dont_overwrite_parameters(fitted):
    """check_dont_overwrite_parameters: fit adds and changes only private or fitted (trailing
    underscore) attributes."""
    before, after = fitted["dict_before_fit"], fitted["dict_after_fit"]
    public = [key for key in after if _is_public_parameter(key)]
    added = [key for key in public if key not in before]
    assert not added, f"fit added public attributes {added}"
    changed = [key for key in public if before[key] is not after[key]]
    assert not changed, f"fit changed public attributes {changed}"


def test_estimators_overwrite_params(fitted):
    """check_estimators_overwrite_params: fit neither changes nor mutates any parameter, nested
    sub-models included (joblib.hash compares their contents recursively)."""
    original, new = fitted["params_before_fit"], fitted["params_after_fit"]
    assert set(new) == set(original)
    for name, value in original.items():
        assert joblib.hash(new[name]) == joblib.hash(value), (
            f"fit changed or mutated the parameter {name}: {value!r} -> {new[name]!r}")


# ------------------------------------------------------- pickling and invariance checks


def test_pickle_round_trip(fitted):
    """check_estimators_pickle: the unpickled estimator gives the same outputs, exactly."""
    estimator, X_test = fitted["estimator"], fitted["X"][fitted["test"]]
    restored = pickle.loads(pickle.dumps(estimator))
    assert type(restored) is type(estimator)
    assert joblib.hash(restored.get_params()) == joblib.hash(estimator.get_params())
    for method in _methods(estimator):
        for _ in range(2):  # a simulator's second call continues the same stream in both
            np.testing.assert_array_equal(getattr(restored, method)(X_test),
                                          getattr(estimator, method)(X_test),
                                          err_msg=f"{method} after pickling")
    if hasattr(estimator, "sample"):
        np.testing.assert_array_equal(restored.sample(7, random_state=0),
                                      estimator.sample(7, random_state=0))


def _network(estimator):
    """Whether outputs come from a Keras network in float32 (batch-size dependent rounding)."""
    return hasattr(estimator, "model_") or hasattr(estimator, "ednn_")


def _invariance_estimator(fitted):
    """The fitted estimator; a simulator at a temperature where every row's dynamics is
    deterministic (a copy: the fixture's simulator keeps its temperature)."""
    estimator = fitted["estimator"]
    if _is_simulator(estimator):
        estimator = copy.deepcopy(estimator).set_params(temperature=FROZEN)
    return estimator


def test_methods_subset_invariance(fitted):
    """check_methods_subset_invariance: outputs one snapshot at a time (and on any subset)
    equal the outputs on the whole batch."""
    estimator = _invariance_estimator(fitted)
    X = fitted["X"][fitted["test"]][:20]
    subset = np.random.RandomState(0).choice(len(X), 7, replace=False)
    for method in _methods(estimator):
        function = getattr(estimator, method)
        full = function(X)
        by_row = np.concatenate([function(X[i:i + 1]) for i in range(len(X))])
        exact = not _network(estimator)
        _assert_close(by_row, full, f"{method} one snapshot at a time", exact)
        _assert_close(function(X[subset]), full[subset], f"{method} on a subset", exact)


def test_methods_sample_order_invariance(fitted):
    """check_methods_sample_order_invariance: permuting the snapshots permutes the outputs."""
    estimator = _invariance_estimator(fitted)
    X = fitted["X"][fitted["test"]]
    order = np.random.RandomState(0).permutation(len(X))
    for method in _methods(estimator):
        function = getattr(estimator, method)
        _assert_close(function(X[order]), function(X)[order], f"{method} of permuted snapshots",
                      not _network(estimator))


def test_simulator_chains_are_independent(snapshots):
    """At the working temperature each row is its own chain: changing one configuration (or
    dropping the last rows) leaves the others' results unchanged."""
    X, _, test = snapshots
    X = X[test][:10]
    simulator = next(e for e in ESTIMATORS if _is_simulator(e))
    simulator = _seeded(simulator).set_params(n_sweeps=3)
    reference = simulator.fit(X).transform(X)
    changed = X.copy()
    changed[0] = -changed[0]
    np.testing.assert_array_equal(simulator.fit(X).transform(changed)[1:], reference[1:])
    np.testing.assert_array_equal(simulator.fit(X).transform(X[:6]), reference[:6])
    # the same seed repeats the chain; the stream moves on between calls
    assert not np.array_equal(simulator.transform(X), reference)


# -------------------------------------------------------------- lattice shape after fit


def test_flat_rows_of_the_fitted_lattice(fitted):
    """Flat rows of exactly the fitted number of sites may be read in the fitted shape (and
    then give the same outputs); other widths and lattices with a side of one are refused."""
    estimator = _invariance_estimator(fitted)
    X = fitted["X"][fitted["test"]][:8]
    n = len(X)
    for method in _methods(estimator):
        function = getattr(estimator, method)
        expected = function(X)
        try:
            flat = function(X.reshape(n, -1))
        except ValueError as error:
            assert re.search(r"\bX\b", str(error)), str(error)
        else:
            expected = expected.reshape(n, -1) if method == "transform" else expected
            _assert_close(flat, expected, f"{method} of flat rows", exact=True)
        for bad in (X.reshape(n, -1)[:, :12], X[:, :1, :], X[:, :, :1]):
            with pytest.raises(ValueError, match=r"\bX\b"):
                function(bad)


def _invalid_training_sets(X):
    """Snapshots every estimator must refuse at fit, each with what it is."""
    return {
        "flat rows (no lattice shape known at fit)": X.reshape(len(X), -1),
        "lattices with a side of one": X[:, :1, :],
        "NaN": np.where(X > 0, np.nan, -1.0),
        "non-integer spins": X * 0.5,
    }


@pytest.mark.parametrize("estimator", _estimator_params())
def test_fit_refuses_invalid_snapshots_in_words(estimator, snapshots):
    """Validation comes before any training, names X, and leaves no fitted state behind."""
    X = snapshots[0][:40]
    estimator = _seeded(estimator)
    y = _target(estimator, X)
    before = estimator.__dict__.copy()
    for what, bad in _invalid_training_sets(X).items():
        with pytest.raises(ValueError, match=r"\bX\b") as error:
            estimator.fit(bad, None if y is None else np.full(len(bad), T_OBS))
        assert estimator.__dict__.keys() == before.keys(), (what, str(error.value))


@pytest.mark.parametrize("estimator", _estimator_params())
def test_fit_refuses_labels_beyond_int8(estimator, snapshots):
    """Label 300 would wrap to 44 in int8: refused before any training."""
    X = np.where(snapshots[0][:40] > 0, 300, 0)
    estimator = _seeded(estimator)
    y = _target(estimator, snapshots[0][:40])
    with pytest.raises(ValueError):
        estimator.fit(X, y)
    assert not any(key.endswith("_") and not key.startswith("_") for key in estimator.__dict__)


@pytest.mark.parametrize("estimator", _estimator_params())
def test_fit_names_X_for_labels_beyond_int8(estimator, snapshots):
    X = np.where(snapshots[0][:40] > 0, 300, 0)
    estimator = _seeded(estimator)
    with pytest.raises(ValueError, match=r"\bX\b|\blabels?\b"):
        estimator.fit(X, _target(estimator, snapshots[0][:40]))


def test_refused_fit_leaves_the_fitted_estimator_as_it_was(fitted):
    """A refit that fails on its input restores every attribute: no mixture of old and new."""
    estimator, X = fitted["estimator"], fitted["X"]
    before = estimator.__dict__.copy()
    y = fitted["y_train"]
    with pytest.raises(ValueError, match=r"\bX\b"):
        estimator.fit(X[fitted["train"]][:, :1, :], y)
    after = estimator.__dict__
    assert after.keys() == before.keys()
    assert all(after[key] is before[key] for key in before), [
        key for key in before if after[key] is not before[key]]
