"""Property-based tests of the input boundary: validators and the cheap entry points.

Every public validator and entry point either refuses an input with a ``ValueError`` or
``TypeError`` whose message names the argument (in skdcl's own words, not numpy's or Python's),
or accepts it and gives back exactly what it was given: configurations as int8 arrays equal to
the input values (no wraparound, no silent cast of NaN, complex or time values), lattices of the
input's own shape (no reshape), numbers equal to the input. Valid inputs, drawn from the allowed
values, are always accepted.

Hypothesis runs derandomized with no example database, so every run checks the same examples.
"""

import numbers
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skdcl import EdwardsAndersonModel, IsingModel, MetropolisSimulator, PottsModel, make_snapshots
from skdcl.interactions import LocalInteractionModel
from skdcl.lattice import (
    check_lattice_size,
    check_observation_temperature,
    check_snapshots,
    check_temperature,
)
from skdcl.sites import MAX_STATES, SiteVariables


def _settings(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


ENCODINGS = [SiteVariables.ising(), SiteVariables("ising", 2, values="labels"),
             SiteVariables.potts(2), SiteVariables.potts(3), SiteVariables.potts(MAX_STATES)]
NAN, INF = float("nan"), float("inf")


# --------------------------------------------------------------------------------- helpers


def _names(message, name):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message)


def attempt(call):
    """``(result, None)`` or ``(None, error)`` for a ValueError or TypeError; anything else
    (OverflowError, MemoryError) propagates and fails the test.

    A silent cast is a failure too: numpy's RuntimeWarnings about discarded imaginary parts or
    NaN and out-of-range values cast to integers become errors that no property accepts.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", ".*encountered in cast", RuntimeWarning)
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        try:
            return call(), None
        except (ValueError, TypeError) as error:
            return None, error


def assert_names(error, *names):
    """``error`` is a ValueError or TypeError whose message names one of ``names``."""
    assert isinstance(error, (ValueError, TypeError)), error
    message = str(error)
    assert any(_names(message, name) for name in names), (
        f"{type(error).__name__} does not name {' or '.join(names)}: {message!r}")


def assert_same_configurations(result, X, shape=None):
    """``result`` is int8 ``(n, Ly, Lx)`` holding exactly the values of ``X`` (reshaped to
    ``shape`` only when given), from an input of a real numeric dtype."""
    values = np.asarray(X)
    assert values.dtype.kind in "biuf", f"accepted input of dtype {values.dtype} (silent cast)"
    assert isinstance(result, np.ndarray) and result.dtype == np.int8
    expected = values if shape is None else values.reshape((values.shape[0],) + tuple(shape))
    assert result.shape == expected.shape, (result.shape, expected.shape)
    assert np.array_equal(result, expected), "returned values differ from the input"




def _cases(inputs, entries):
    """``(entry, value)`` params of every pair of an input and an entry point."""
    return [pytest.param(entry, value, id=f"{input_id}-{entry}")
            for input_id, value in inputs for entry in entries]


def _is_real(value):
    """A real number: not a bool, not a time (numpy registers both as numbers)."""
    return (isinstance(value, numbers.Real)
            and not isinstance(value, (bool, np.bool_, np.timedelta64, np.datetime64)))


def _positive_real(value):
    if not _is_real(value):
        return False
    try:
        number = float(value)
    except OverflowError:
        return False
    return bool(np.isfinite(number) and number > 0)


def _finite_real(value):
    if not _is_real(value):
        return False
    try:
        return bool(np.isfinite(float(value)))
    except OverflowError:
        return False


def _count(value, low):
    return (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
            and value >= low)


# ------------------------------------------------------------------------------ strategies

SPECIAL_NUMBERS = [-1, 0, 1, 2, 3, 126, 127, 128, 255, 256, -129, 2**31, 2**40, 2**63 - 1,
                   -(2**63), 0.5, -0.0, 1.0 + 2**-52, 1e300, -1e300, NAN, INF, -INF]
# complex snapshots, rows of no sites, ragged nesting, sparse matrices, numbers beyond float64
# and time values have targeted tests of their own (test_*_in_skdcl_words below); the broad
# properties draw everything else
DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint64, np.float16,
          np.float32, np.float64, np.bool_, object, "U2", "S2", "m8[s]", "M8[s]"]


def _representable(value, dtype):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cast = np.array(value).astype(dtype)
        except (OverflowError, ValueError):
            return False
        # compared as Python numbers: numpy would compare 1e300 with float16 inf in float16
        return bool(np.isnan(cast)) if value != value else cast.item() == value


def elements(dtype):
    """Values of ``dtype``: the allowed spins and labels, edge and huge values, anything."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iuf":
        special = [v for v in SPECIAL_NUMBERS
                   if (dtype.kind == "f" or isinstance(v, int)) and _representable(v, dtype)]
        return st.one_of(st.sampled_from(special), hnp.from_dtype(dtype))
    if dtype.kind == "c":
        return st.one_of(st.sampled_from([1 + 0j, -1 + 0j, 1j, complex(NAN, 0)]),
                         hnp.from_dtype(dtype))
    if dtype.kind == "O":  # NaN in object arrays: test_object_snapshots_are_refused_in_skdcl_words
        return st.one_of(st.sampled_from([-1, 1, 0, 2**70, 1.0, None, "1"]),
                         st.integers(), st.floats(allow_nan=False), st.text(max_size=2))
    return hnp.from_dtype(dtype)


ARRAY_SHAPES = st.one_of(hnp.array_shapes(min_dims=3, max_dims=3, min_side=0, max_side=4),
                         hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))


@st.composite
def any_arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    return draw(hnp.arrays(dtype, ARRAY_SHAPES, elements=elements(dtype)))


def _mixed_lists():
    """Lists of configurations of different sizes (of one rank: lists of configurations of
    different ranks are in test_ragged_snapshots_are_refused_in_skdcl_words), as arrays or
    nested lists."""
    configuration = hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1,
                                                          max_side=4),
                               elements=st.sampled_from([-1, 0, 1]))
    arrays = st.lists(configuration, min_size=2, max_size=3)
    return st.one_of(arrays, arrays.map(lambda xs: [x.tolist() for x in xs]))


def _lists_of_shapes(X):
    """Whether ``X`` is a list of configurations of more than one shape."""
    if not isinstance(X, (list, tuple)):
        return False
    try:
        return len({np.shape(x) for x in X}) > 1
    except ValueError:
        return True


def _has_sites(X):
    """False for 2-d input with no sites per row (``[[]]``, shape ``(n, 0)``)."""
    try:
        shape = np.shape(X)
    except ValueError:
        return True
    return not (len(shape) == 2 and shape[1] == 0)


ANY_INPUT = st.one_of(
    any_arrays(),
    any_arrays().map(lambda a: a.tolist()),
    _mixed_lists(),
    st.sampled_from([None, 1, 1.0, "X", "", [], [[[]]], {}, (), b"\x01"]),
).filter(_has_sites)

ALLOWED_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.float32, np.float64]


@st.composite
def valid_snapshots(draw, sites, min_side=2, max_side=5):
    """Configurations of ``sites`` in any numeric dtype, memory layout or as nested lists."""
    shape = (draw(st.integers(1, 4)), draw(st.integers(min_side, max_side)),
             draw(st.integers(min_side, max_side)))
    dtypes = ALLOWED_DTYPES + ([np.uint8] if sites.values.min() >= 0 else [])
    X = draw(hnp.arrays(draw(st.sampled_from(dtypes)), shape,
                        elements=st.sampled_from(sites.values.tolist())))
    layout = draw(st.sampled_from(["C", "F", "reversed", "readonly", "list"]))
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "reversed":
        return np.ascontiguousarray(X[:, ::-1, ::-1])[:, ::-1, ::-1]
    if layout == "readonly":
        X.setflags(write=False)
        return X
    return X.tolist() if layout == "list" else X


ENCODING = st.sampled_from(ENCODINGS)


# ---------------------------------------------------------------------- check_snapshots


@_settings(300)
@given(X=ANY_INPUT, sites=ENCODING, name=st.sampled_from(["X", "snapshots"]))
def test_check_snapshots_refuses_in_its_own_words_or_round_trips(X, sites, name):
    result, error = attempt(lambda: check_snapshots(X, sites, name=name))
    if error is not None:
        assert_names(error, name)
        return
    assert_same_configurations(result, X)
    assert set(np.unique(result).tolist()) <= set(sites.values.tolist())
    assert min(result.shape[1:]) >= 2


@_settings(150)
@given(data=st.data(), sites=ENCODING)
def test_check_snapshots_accepts_every_valid_input_as_it_is(data, sites):
    X = data.draw(valid_snapshots(sites))
    before = np.array(X, copy=True)
    assert_same_configurations(check_snapshots(X, sites), X)
    np.testing.assert_array_equal(np.asarray(X), before)  # the input is left alone


@_settings(80)
@given(data=st.data(), sites=ENCODING)
def test_flat_rows_need_a_known_lattice_shape(data, sites):
    """Flat rows are never reshaped to a guessed (square) lattice; with the shape given,
    exactly that many sites per row are read in that shape."""
    X = np.asarray(data.draw(valid_snapshots(sites)))
    n, Ly, Lx = X.shape
    flat = X.reshape(n, Ly * Lx)
    _, error = attempt(lambda: check_snapshots(flat, sites))
    assert error is not None, f"flat rows of {Ly * Lx} sites were reshaped with no shape given"
    assert_names(error, "X")
    assert re.search(r"Ly,\s*Lx", str(error)), str(error)
    assert_same_configurations(check_snapshots(flat, sites, shape=(Ly, Lx)), flat, (Ly, Lx))
    other = data.draw(st.tuples(st.integers(2, 6), st.integers(2, 6)).filter(
        lambda s: s[0] * s[1] != Ly * Lx))
    _, error = attempt(lambda: check_snapshots(flat, sites, shape=other))
    assert_names(error, "X")


@_settings(60)
@given(data=st.data(), sites=ENCODING, narrow=st.sampled_from([1, 2]))
def test_lattices_with_a_side_of_one_are_refused(data, sites, narrow):
    X = np.asarray(data.draw(valid_snapshots(sites)))
    X = X[:, :1] if narrow == 1 else X[:, :, :1]
    _, error = attempt(lambda: check_snapshots(X, sites))
    assert error is not None, f"accepted {X.shape[1]}x{X.shape[2]} lattices"
    assert_names(error, "X")


@_settings(60)
@given(data=st.data(), sites=ENCODING)
def test_check_snapshots_refuses_other_lattice_shapes(data, sites):
    X = np.asarray(data.draw(valid_snapshots(sites)))
    shape = data.draw(st.tuples(st.integers(2, 6), st.integers(2, 6)))
    result, error = attempt(lambda: check_snapshots(X, sites, shape=shape))
    if tuple(shape) == X.shape[1:]:
        assert_same_configurations(result, X)
    else:
        assert_names(error, "X")


@pytest.mark.parametrize("sites", ENCODINGS, ids=repr)
def test_empty_snapshots_only_when_allowed(sites):
    X = np.zeros((0, 3, 2))
    assert_names(attempt(lambda: check_snapshots(X, sites))[1], "X")
    result = check_snapshots(X, sites, allow_empty=True)
    assert result.shape == (0, 3, 2) and result.dtype == np.int8


@pytest.mark.parametrize("q, dtype", [
    (q, dtype) for q in (128, 200, 255, 256, 300, 2**15, 2**40)
    for dtype in (np.int16, np.int64, np.uint64, np.float64, object)
    if not (dtype is np.int16 and q >= 2**15)])
def test_labels_beyond_int8_are_refused_never_wrapped(q, dtype):
    """A label >= 128 would wrap in int8 (256 -> 0, 128 -> -128): never accepted."""
    X = _labels_beyond_int8(q, dtype)
    for sites in ENCODINGS:
        assert_names(attempt(lambda: check_snapshots(X, sites))[1], "X")
    # inferred or not, the site variables never hold the label
    _, error = attempt(lambda: check_snapshots(X, SiteVariables.infer(X)))
    assert error is not None, f"label {q} accepted"
    assert_names(attempt(lambda: PottsModel(q=q).energy(X))[1], "q")


def _labels_beyond_int8(q, dtype):
    X = np.zeros((2, 3, 3), dtype=dtype)
    X[0, 1, 2] = q - 1 if q == 128 else q  # 127: a 128th state
    return X


@pytest.mark.parametrize("q, dtype", [(127, np.int8), (128, np.int16), (300, np.int64),
                                      (300, np.float64), (2**40, np.uint64)])
def test_inferred_labels_beyond_int8_are_refused_in_words(q, dtype):
    """Site variables inferred from labels that int8 cannot hold: the refusal names X (or its
    labels), not an internal number of states."""
    X = _labels_beyond_int8(q, dtype)
    assert_names(attempt(lambda: SiteVariables.infer(X))[1], "X", "label", "labels")
    model = LocalInteractionModel(penalties=(1.0,), max_iter=5)
    assert_names(attempt(lambda: model.fit(X, 2.0))[1], "X", "label", "labels")


def _beyond_int8_labels(X):
    """Whether ``X`` holds a finite value of 127 or more: a label whose Potts site variables
    int8 cannot hold (test_inferred_labels_beyond_int8_are_refused_in_words)."""
    try:
        values = np.asarray(X)
    except ValueError:
        return False
    if values.dtype.kind not in "biuf" or values.size == 0:
        return False
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    return bool(np.any(values >= MAX_STATES))


# ------------------------------------------------------------------- SiteVariables.infer

KIND = st.sampled_from(["auto", "ising", "potts"])
Q_VALUES = st.one_of(st.none(), st.integers(2, MAX_STATES))  # bad q: test_infer_names_q


@_settings(200)
@given(X=ANY_INPUT, kind=KIND, q=Q_VALUES)
def test_infer_gives_site_variables_that_never_wrap(X, kind, q):
    assume(kind == "ising" or q is not None or not _beyond_int8_labels(X))
    sites, error = attempt(lambda: SiteVariables.infer(X, kind, q))
    if error is not None:  # kind and q are valid here
        assert_names(error, "X", "label", "labels")
        return
    assert isinstance(sites, SiteVariables) and 2 <= sites.n_states <= MAX_STATES
    result, error = attempt(lambda: check_snapshots(X, sites))
    if error is not None:
        assert_names(error, "X")
    else:
        assert_same_configurations(result, X)


@_settings(100)
@given(data=st.data(), q=st.integers(2, MAX_STATES))
def test_infer_reads_valid_labels_and_spins(data, q):
    labels = np.asarray(data.draw(valid_snapshots(SiteVariables.potts(q))))
    expected = SiteVariables.potts(max(2, int(labels.max()) + 1))
    assert SiteVariables.infer(labels) == expected
    assert SiteVariables.infer(labels, "potts", q) == SiteVariables.potts(q)
    spins = np.array(data.draw(valid_snapshots(SiteVariables.ising())), copy=True)
    spins.flat[0] = -1
    assert SiteVariables.infer(spins) == SiteVariables.ising()
    bits = (spins > 0).astype(np.int64)
    assert SiteVariables.infer(bits, "ising") == SiteVariables("ising", 2, values="labels")


# ------------------------------------------------------------------- check_lattice_size

SIDES = st.one_of(st.integers(-3, 9), st.sampled_from([2**40, 10**30]),
                  st.sampled_from([np.int64(4), np.int8(3), np.uint8(2), np.bool_(True)]),
                  st.sampled_from([True, False, 4.0, 2.5, NAN, "4", None, b"4", 4 + 0j]))
LATTICE_SIZES = st.one_of(SIDES, st.tuples(SIDES, SIDES), st.lists(SIDES, max_size=3),
                          st.tuples(SIDES, SIDES, SIDES),
                          st.sampled_from([np.array([4, 4]), np.array(4), {}, (4, (4,))]))


def _side(value):
    return (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
            and value >= 2)


@_settings(200)
@given(L=LATTICE_SIZES, name=st.sampled_from(["L", "shape"]))
def test_check_lattice_size(L, name):
    result, error = attempt(lambda: check_lattice_size(L, name))
    sides = (L, L) if not isinstance(L, (tuple, list)) else tuple(L)
    valid = len(sides) == 2 and all(_side(s) for s in sides)
    if not valid:
        assert error is not None, f"accepted L={L!r} as {result!r}"
        assert_names(error, name)
        return
    if error is not None:  # a side too large to be a lattice may be refused, in words
        assert max(sides) > 2**20
        assert_names(error, name)
        return
    assert type(result) is tuple and all(type(s) is int for s in result)
    assert result == (int(sides[0]), int(sides[1]))


# --------------------------------------------------------------------------- temperatures

REALS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 10), st.integers(2**1000, 2**1020),  # beyond float64: targeted tests
    st.floats(1e-320, 1e-300), st.floats(1e300, 1.7e308),
    st.sampled_from([np.float16(2.0), np.float32(0.5), np.float64(3.0), np.int64(2),
                     np.uint8(1), np.float64(NAN), np.float32(-1.0)]),
)
NON_REALS = st.sampled_from([True, False, np.bool_(True), 1 + 0j, 2j, np.complex128(2),
                             np.complex64(1 + 1j), "2", b"2", None, [2.0], (2.0,),
                             np.array(2.0), np.array([2.0]), {}, np.datetime64(1, "s")])


@_settings(200)
@given(T=st.one_of(REALS, NON_REALS), name=st.sampled_from(["T", "temperature"]))
def test_check_temperature(T, name):
    result, error = attempt(lambda: check_temperature(T, name))
    if _positive_real(T):
        assert error is None, f"refused the temperature {T!r}: {error}"
        assert type(result) is float and result == float(T)
    else:
        assert error is not None, f"accepted T={T!r} as {result!r}"
        assert_names(error, name)


Y_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.uint8, np.uint64, np.bool_, object,
            "U3", "M8[s]"]  # complex and timedelta arrays: targeted tests


@st.composite
def observation_temperatures(draw, n):
    kind = draw(st.sampled_from(["scalar", "constant", "array", "shape", "list"]))
    if kind == "scalar":
        return draw(st.one_of(REALS, NON_REALS))
    if kind == "constant":  # one temperature per snapshot, of any dtype
        dtype = np.dtype(draw(st.sampled_from(Y_DTYPES)))
        value = draw(elements(dtype))
        return np.full(n, value, dtype=dtype)
    if kind == "array":
        dtype = np.dtype(draw(st.sampled_from(Y_DTYPES)))
        return draw(hnp.arrays(dtype, n, elements=elements(dtype)))
    if kind == "shape":
        return draw(hnp.arrays(np.float64, ARRAY_SHAPES, elements=st.floats(0.5, 4)))
    scalars = st.one_of(REALS, NON_REALS).filter(  # ragged and complex: targeted tests
        lambda v: np.ndim(v) == 0 and not isinstance(v, (complex, np.complexfloating)))
    return draw(st.lists(scalars, min_size=n, max_size=n))


@_settings(250)
@given(data=st.data(), n=st.integers(1, 4))
def test_check_observation_temperature(data, n):
    y = data.draw(observation_temperatures(n))
    result, error = attempt(lambda: check_observation_temperature(y, n, "T_obs"))
    if error is not None:
        assert_names(error, "T_obs")
        return
    assert type(result) is float and np.isfinite(result) and result > 0
    if np.ndim(y) == 0:
        # a real number, or a 0-d array of one (unambiguous, so accepted as the scalar)
        zero_d_real = isinstance(y, np.ndarray) and y.dtype.kind in "iuf"
        assert (_positive_real(y) or zero_d_real) and result == float(y)
        return
    values = np.asarray(y)
    assert values.shape == (n,), f"accepted T_obs of shape {values.shape}"
    assert values.dtype.kind in "iuf", f"accepted T_obs of dtype {values.dtype} (silent cast)"
    np.testing.assert_allclose(values.astype(np.float64), result, rtol=1e-12)


@_settings(60)
@given(T=st.floats(1e-300, 1e300), n=st.integers(1, 5),
       dtype=st.sampled_from([np.float64, float, list]))
def test_check_observation_temperature_accepts_one_temperature(T, n, dtype):
    y = [T] * n if dtype is list else np.full(n, T, dtype=dtype)
    assert check_observation_temperature(y, n) == T
    assert check_observation_temperature(T, n) == T


# ------------------------------------------------------------------------- exact models


def _ising_reference(X, Jx, Jy, h, K):
    S = np.asarray(X, dtype=np.float64)
    n, Ly, Lx = S.shape
    energy = np.zeros(n)
    for i in range(Ly):
        for j in range(Lx):
            s, r, d = S[:, i, j], S[:, i, (j + 1) % Lx], S[:, (i + 1) % Ly, j]
            diagonal = S[:, (i + 1) % Ly, (j + 1) % Lx]
            energy -= Jx * s * r + Jy * s * d + h * s + K * s * r * d * diagonal
    return energy


def _potts_reference(X, J):
    S = np.asarray(X, dtype=np.int64)
    n, Ly, Lx = S.shape
    same = np.zeros(n)
    for i in range(Ly):
        for j in range(Lx):
            same += ((S[:, i, j] == S[:, i, (j + 1) % Lx]).astype(int)
                     + (S[:, i, j] == S[:, (i + 1) % Ly, j]).astype(int))
    return -J * same


def _ea_reference(X, Jx, Jy):
    S = np.asarray(X, dtype=np.float64)
    n, Ly, Lx = S.shape
    energy = np.zeros(n)
    for i in range(Ly):
        for j in range(Lx):
            energy -= S[:, i, j] * (Jx[i, j] * S[:, i, (j + 1) % Lx]
                                    + Jy[i, j] * S[:, (i + 1) % Ly, j])
    return energy


# numbers beyond float64, numpy complex numbers, numeric strings and ragged pairs: targeted tests
COUPLING_SCALARS = st.one_of(
    st.floats(-1e6, 1e6), st.integers(-10, 10),
    st.sampled_from([NAN, INF, -INF, np.float64(NAN), np.float32(0.5), np.int64(-2), 1 + 1j,
                     "a", None, {}]))
COUPLINGS = st.one_of(COUPLING_SCALARS,
                      st.sampled_from([[1.0, 2.0, 3.0], (1.0, NAN), np.ones((2, 2))]))


def _coupling_pair(J):
    """``(Jx, Jy)`` when ``J`` is a finite real or a pair of them, else None."""
    try:
        values = (J, J) if np.ndim(J) == 0 else tuple(J)
    except ValueError:  # ragged
        return None
    return values if len(values) == 2 and all(_finite_real(v) for v in values) else None


def _check_outcome(result, error, valid_input, valid_params, param_names):
    """Valid input and parameters: accepted. Otherwise refused, naming what is wrong."""
    if valid_input and valid_params:
        assert error is None, f"refused valid input and parameters: {error}"
        return True
    assert error is not None, f"accepted invalid {'input' if not valid_input else param_names}"
    assert_names(error, *((() if valid_input else ("X",)) + (() if valid_params
                                                               else param_names)))
    return False


@_settings(150)
@given(data=st.data(), X=st.one_of(ANY_INPUT, valid_snapshots(SiteVariables.ising())),
       which=st.sampled_from(["J", "Jpair", "h", "K", "none"]))
def test_ising_energy(data, X, which):
    params = {"J": 1.0, "h": 0.0, "K": 0.0}
    if which == "Jpair":
        params["J"] = data.draw(st.tuples(COUPLING_SCALARS, COUPLING_SCALARS))
    elif which != "none":
        params[which] = data.draw(COUPLINGS)
    pair = _coupling_pair(params["J"])
    valid_params = pair is not None and _finite_real(params["h"]) and _finite_real(params["K"])
    config, config_error = attempt(lambda: check_snapshots(X, SiteVariables.ising()))
    energy, error = attempt(lambda: IsingModel(**params).energy(X))
    names = ("J",) if which in ("J", "Jpair") else (which,)
    if not _check_outcome(energy, error, config_error is None, valid_params, names):
        return
    assert_same_configurations(config, X)
    assert energy.shape == (len(config),) and energy.dtype == np.float64
    expected = _ising_reference(X, float(pair[0]), float(pair[1]), float(params["h"]),
                                float(params["K"]))
    scale = 1 + np.abs(expected).max()
    np.testing.assert_allclose(energy, expected, rtol=1e-12, atol=1e-12 * scale)


Q_PARAMS = st.one_of(st.integers(-2, 6), st.sampled_from(
    [127, 128, 255, 256, 300, 2**40, np.int64(3), np.int8(4), np.uint8(200), 3.0, True,
     np.bool_(True), "3", None]))


@_settings(150)
@given(data=st.data(), q=Q_PARAMS, J=st.one_of(st.just(1.0), COUPLINGS))
def test_potts_energy(data, q, J):
    X = data.draw(st.one_of(ANY_INPUT, valid_snapshots(SiteVariables.potts(3))))
    energy, error = attempt(lambda: PottsModel(q=q, J=J).energy(X))
    if not (_side(q) and q <= MAX_STATES):
        assert error is not None, f"accepted q={q!r}"
        _, label_error = attempt(lambda: check_snapshots(X, SiteVariables.potts(MAX_STATES)))
        # labels of some valid q: q is what is wrong; otherwise either may be found first
        assert_names(error, "q", *(() if label_error is None else ("X",)))
        return
    _, config_error = attempt(lambda: check_snapshots(X, SiteVariables.potts(int(q))))
    if _check_outcome(energy, error, config_error is None, _finite_real(J), ("J",)):
        np.testing.assert_allclose(energy, _potts_reference(X, float(J)), rtol=1e-12)


@pytest.mark.parametrize("J", [NAN, INF, -INF, "a", None, 1 + 1j, [1.0]])
def test_potts_coupling_is_checked_at_energy_and_kernel_time(J):
    model = PottsModel(q=3, J=J)
    assert_names(attempt(lambda: model.energy(np.zeros((1, 3, 3))))[1], "J")
    assert_names(attempt(lambda: model.local_kernel((3, 3)))[1], "J")


@pytest.mark.parametrize("J", [NAN, INF, "a", None, 1 + 1j, [1.0, 2.0, 3.0]])
@pytest.mark.parametrize("name", ["J", "h", "K"])
def test_ising_parameters_are_checked_at_energy_and_kernel_time(J, name):
    model = IsingModel(**{name: J})
    assert_names(attempt(lambda: model.energy(np.ones((1, 3, 3))))[1], name)
    assert_names(attempt(lambda: model.local_kernel((3, 3)))[1], name)


EA_SIZES = st.one_of(st.integers(-1, 5), st.tuples(st.integers(1, 4), st.integers(1, 4)),
                     st.sampled_from([3.0, True, None, "4", (3, 3, 3)]))


@_settings(100)
@given(data=st.data(), L=EA_SIZES)
def test_edwards_anderson_energy(data, L):
    X = data.draw(st.one_of(ANY_INPUT, valid_snapshots(SiteVariables.ising(), max_side=4)))
    model = EdwardsAndersonModel(L=L, random_state=0)
    energy, error = attempt(lambda: model.energy(X))
    sides = (L, L) if not isinstance(L, tuple) else L
    if not (len(sides) == 2 and all(_side(s) for s in sides)):
        assert error is not None, f"accepted L={L!r}"
        assert_names(error, "L")
        return
    # flat rows of the model's own lattice may be read in its shape
    config, config_error = attempt(lambda: check_snapshots(X, SiteVariables.ising(),
                                                           shape=sides))
    if not _check_outcome(energy, error, config_error is None, True, ()):
        return
    values = np.asarray(X)
    assert_same_configurations(config, X, None if values.ndim == 3 else sides)
    np.testing.assert_allclose(energy, _ea_reference(config, model.Jx, model.Jy), rtol=1e-12,
                               atol=1e-12)


# ------------------------------------------------------------------------- make_snapshots

SNAPSHOT_DEFAULTS = {"L": 3, "T": 2.0, "n_samples": 2, "n_equilibration": 1, "thin": 1,
                     "n_chains": None, "init": "random"}
GARBAGE = st.sampled_from([None, "2", 2.0, 2.5, True, NAN, -1, 0, [2], 1 + 0j])
SNAPSHOT_VALUES = {
    "L": st.one_of(st.integers(-1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)), GARBAGE),
    "T": st.one_of(REALS, NON_REALS),
    "n_samples": st.one_of(st.integers(-1, 4), GARBAGE),
    "n_equilibration": st.one_of(st.integers(-1, 3), GARBAGE),
    "thin": st.one_of(st.integers(-1, 2), GARBAGE),
    "n_chains": st.one_of(st.none(), st.integers(-1, 3), GARBAGE),
    "init": st.one_of(st.sampled_from(["random", "ordered", "Random", "", None, 0]), GARBAGE),
}
SNAPSHOT_VALID = {
    "L": lambda L: (_side(L) if not isinstance(L, tuple)
                    else len(L) == 2 and all(_side(s) for s in L)),
    "T": _positive_real,
    "n_samples": lambda n: _count(n, 1),
    "n_equilibration": lambda n: _count(n, 0),
    "thin": lambda n: _count(n, 1),
    "n_chains": lambda n: n is None or _count(n, 1),
    "init": lambda init: isinstance(init, str) and init in ("random", "ordered"),
}


@_settings(120)
@given(data=st.data(), which=st.sampled_from(sorted(SNAPSHOT_VALUES)),
       model=st.sampled_from([IsingModel(), PottsModel(q=3)]))
def test_make_snapshots(data, which, model):
    params = dict(SNAPSHOT_DEFAULTS, **{which: data.draw(SNAPSHOT_VALUES[which])})
    X, error = attempt(lambda: make_snapshots(model, random_state=0, **params))
    if not SNAPSHOT_VALID[which](params[which]):
        assert error is not None, f"accepted {which}={params[which]!r}"
        assert_names(error, which)
        return
    assert error is None, f"refused valid {which}={params[which]!r}: {error}"
    L = params["L"]
    assert X.dtype == np.int8
    assert X.shape == (params["n_samples"],) + ((L, L) if not isinstance(L, tuple) else L)
    assert set(np.unique(X).tolist()) <= set(model.sites.values.tolist())


@pytest.mark.parametrize("L", [2**20, 2**40, (2, 2**62), 10**30])
def test_make_snapshots_refuses_impossible_lattices_in_words(L):
    """A lattice that cannot be allocated is refused naming L, not by numpy or a MemoryError."""
    try:
        _, error = attempt(lambda: make_snapshots(IsingModel(), L, 2.0, 1, n_equilibration=0,
                                                  random_state=0))
    except MemoryError as memory_error:
        pytest.fail(f"L={L!r}: {type(memory_error).__name__}: {memory_error}")
    assert_names(error, "L")


# --------------------------------------------------------------------- MetropolisSimulator


@_settings(150)
@given(X=ANY_INPUT, model=st.sampled_from([None, PottsModel(q=3)]))
def test_simulator_transform_without_sweeps_round_trips(X, model):
    """Zero sweeps: transform returns the configurations it was given, or refuses them.

    Lists of configurations of different shapes: test_ragged_snapshots_are_refused_in_skdcl_words
    (transform reads np.ndim(X) before validating it).
    """
    assume(not _lists_of_shapes(X))
    simulator = MetropolisSimulator(model, n_sweeps=0, random_state=0)
    result, error = attempt(lambda: simulator.transform(X))
    if error is not None:
        assert_names(error, "X")
        return
    assert np.ndim(X) == 3, "flat rows transformed with no lattice shape known"
    assert_same_configurations(result, X)


@_settings(100)
@given(X=ANY_INPUT)
def test_simulator_fit_learns_the_input_shape_or_refuses(X):
    simulator = MetropolisSimulator(n_sweeps=0, random_state=0)
    fitted, error = attempt(lambda: simulator.fit(X))
    if error is not None:
        assert_names(error, "X")
        assert not hasattr(simulator, "lattice_shape_"), "a refused fit left fitted state"
        return
    assert fitted is simulator and np.ndim(X) == 3
    assert tuple(simulator.lattice_shape_) == np.shape(X)[1:]


@_settings(60)
@given(data=st.data(), model=st.sampled_from([None, PottsModel(q=3)]))
def test_simulator_reads_flat_rows_of_the_fitted_shape_only(data, model):
    simulator = MetropolisSimulator(model, n_sweeps=0, random_state=0)
    sites = (model or IsingModel()).sites
    X = np.asarray(data.draw(valid_snapshots(sites)))
    n, Ly, Lx = X.shape
    simulator.fit(X)
    flat = X.reshape(n, -1)
    result = simulator.transform(flat)
    assert result.shape == flat.shape and result.dtype == np.int8
    np.testing.assert_array_equal(result, flat)
    width = data.draw(st.integers(1, 30).filter(lambda w: w != Ly * Lx))
    other = np.resize(flat, (n, width))
    assert_names(attempt(lambda: simulator.transform(other))[1], "X")


@_settings(40)
@given(data=st.data(), model=st.sampled_from([None, PottsModel(q=3)]),
       temperature=st.floats(0.1, 1e6))
def test_simulator_transform_keeps_shape_and_values(data, model, temperature):
    simulator = MetropolisSimulator(model, temperature=temperature, n_sweeps=2, random_state=0)
    sites = (model or IsingModel()).sites
    X = data.draw(valid_snapshots(sites))
    before = np.array(X, copy=True)
    result = simulator.transform(X)
    assert result.shape == np.shape(X) and result.dtype == np.int8
    assert set(np.unique(result).tolist()) <= set(sites.values.tolist())
    np.testing.assert_array_equal(np.asarray(X), before)  # the input is not modified


SIMULATOR_VALUES = {
    "temperature": st.one_of(REALS, NON_REALS),
    "n_sweeps": st.one_of(st.integers(-2, 3), st.sampled_from([2.5, 1.0, NAN, "1", None,
                                                               np.int64(1), 1 + 0j])),
}
SIMULATOR_VALID = {"temperature": _positive_real, "n_sweeps": lambda n: _count(n, 0)}


@_settings(80)
@given(data=st.data(), which=st.sampled_from(sorted(SIMULATOR_VALUES)))
def test_simulator_parameters_are_checked_by_fit(data, which):
    value = data.draw(SIMULATOR_VALUES[which])
    simulator = MetropolisSimulator(**{which: value, "random_state": 0})
    X = np.ones((2, 3, 3), dtype=np.int8)
    result, error = attempt(lambda: simulator.fit(X).transform(X))
    if SIMULATOR_VALID[which](value):
        assert error is None, f"refused {which}={value!r}: {error}"
        assert result.shape == X.shape
    else:
        assert error is not None, f"accepted {which}={value!r}"
        assert_names(error, which)


@pytest.mark.parametrize("which", [
    "temperature",
    "n_sweeps",
])
@_settings(80)
@given(data=st.data())
def test_simulator_parameters_are_checked_by_transform_without_fit(data, which):
    """transform needs no fit (requires_fit=False), so it checks the parameters itself."""
    value = data.draw(SIMULATOR_VALUES[which])
    simulator = MetropolisSimulator(**{which: value, "random_state": 0})
    X = np.ones((2, 3, 3), dtype=np.int8)
    result, error = attempt(lambda: simulator.transform(X))
    if SIMULATOR_VALID[which](value):
        assert error is None, f"refused {which}={value!r}: {error}"
        assert result.shape == X.shape
    else:
        assert error is not None, f"accepted {which}={value!r}: ran {result.shape}"
        assert_names(error, which)


# ------------------------------------------------------------------ LocalInteractionModel


def _refused_by_validation(X):
    sites, error = attempt(lambda: SiteVariables.infer(X))
    if error is not None:
        return True
    config, error = attempt(lambda: check_snapshots(X, sites))
    return error is not None or min(config.shape[1:]) < 3 or sites.n_states > 4


@_settings(60)
@given(X=ANY_INPUT)
def test_local_interaction_fit_refuses_invalid_snapshots_in_words(X):
    """Only inputs that validation refuses are drawn (a valid fit takes seconds)."""
    assume(_refused_by_validation(X) and not _beyond_int8_labels(X))
    model = LocalInteractionModel(penalties=(1.0,), max_iter=5)
    _, error = attempt(lambda: model.fit(X, 2.0))
    assert error is not None, "fitted on input the validators refuse"
    assert_names(error, "X", "q")  # q: too many states for the 3x3 window table
    assert not hasattr(model, "table_")


@_settings(40)
@given(data=st.data(), n=st.integers(1, 3))
def test_local_interaction_fit_refuses_invalid_temperatures_in_words(data, n):
    y = data.draw(observation_temperatures(n))
    X = np.ones((n, 3, 3), dtype=np.int8)
    _, expected = attempt(lambda: check_observation_temperature(y, n))
    assume(expected is not None)  # a valid temperature would start a fit
    model = LocalInteractionModel(penalties=(1.0,), max_iter=5)
    _, error = attempt(lambda: model.fit(X, y))
    assert_names(error, "y", "T_obs")
    assert not hasattr(model, "table_")


@pytest.mark.filterwarnings("ignore:the pseudo-likelihood fit with penalty")
def test_local_interaction_fit_on_one_valid_example_round_trips_flat_rows():
    X = np.ones((4, 3, 4), dtype=np.int8)
    X[::2, 1, 2] = -1
    model = LocalInteractionModel(penalties=(1.0,), max_iter=20).fit(X, 2.0)
    energies = model.predict(X)
    assert energies.shape == (4,) and np.all(np.isfinite(energies))
    flat, error = attempt(lambda: model.predict(X.reshape(4, -1)))
    if error is None:  # flat rows of the fitted shape, read in that shape
        np.testing.assert_array_equal(flat, energies)
    else:
        assert_names(error, "X")
    assert_names(attempt(lambda: model.predict(X.reshape(4, 2, 6).reshape(4, -1)[:, :10]))[1],
                 "X")


# ------------------------------------------- targeted: refused in skdcl's own words, never cast
#
# Each category below once failed somewhere (another library's message, a silent cast, an
# exception other than ValueError or TypeError); every entry point now refuses it by name.


SNAPSHOT_ENTRY_POINTS = {
    "check_snapshots": lambda X: check_snapshots(X, SiteVariables.ising()),
    "infer+check_snapshots": lambda X: check_snapshots(X, SiteVariables.infer(X)),
    "IsingModel.energy": lambda X: IsingModel().energy(X),
    "PottsModel.energy": lambda X: PottsModel(q=3).energy(X),
    "MetropolisSimulator.fit": lambda X: MetropolisSimulator(n_sweeps=0).fit(X),
    "MetropolisSimulator.transform": lambda X: MetropolisSimulator(n_sweeps=0).transform(X),
    "LocalInteractionModel.fit": lambda X: LocalInteractionModel(penalties=(1.0,),
                                                                 max_iter=5).fit(X, 2.0),
}
ENTRY_NAMES = sorted(SNAPSHOT_ENTRY_POINTS)


def _assert_refused_naming_X(entry, X):
    _, error = attempt(lambda: SNAPSHOT_ENTRY_POINTS[entry](X))
    assert error is not None, f"{entry} accepted {X!r}"
    assert_names(error, "X")




@pytest.mark.parametrize("entry, X", _cases(
    [("[[]]", [[]]), ("[[],[]]", [[], []]), ("zeros(2,0)", np.zeros((2, 0))),
     ("zeros(0,0)", np.zeros((0, 0), np.int8))], ENTRY_NAMES))
def test_rows_without_sites_are_refused_in_skdcl_words(entry, X):
    _assert_refused_naming_X(entry, X)


@pytest.mark.parametrize("entry, X", _cases(
    [("ones", np.ones((2, 3, 3), complex)), ("1+1j", np.full((1, 2, 2), 1 + 1j)),
     ("list", [[[1 + 0j, -1], [1, 1]]])], ENTRY_NAMES))
def test_complex_snapshots_are_refused_in_skdcl_words(entry, X):
    _assert_refused_naming_X(entry, X)




@pytest.mark.parametrize("entry, X", _cases([
    ("ragged-rows", [[[1, 1], [1, 1]], [[1, 1], [1]]]),   # a configuration with ragged rows
    ("nested-site", [[[1, 1], [1, [1]]]]),                # a site that is a list
    ("array-and-ragged", [np.ones((2, 2)), [[1, 1], [1]]]),
    ("two-sizes", [np.ones((2, 2)), np.ones((3, 3))]),    # lattices of two sizes
    ("two-ranks", [np.ones(1), np.ones((1, 1))]),         # configurations of two ranks
], ENTRY_NAMES))
def test_ragged_snapshots_are_refused_in_skdcl_words(entry, X):
    _assert_refused_naming_X(entry, X)


@pytest.mark.parametrize("entry, X", _cases([
    ("nan", np.full((1, 2, 2), np.nan, dtype=object)),
    ("1-and-nan", np.array([[[1, -1], [np.nan, 1]]], dtype=object)),
    ("None", np.array([[[1, -1], [None, 1]]], dtype=object)),
    ("str", np.array([[[1, -1], ["1", 1]]], dtype=object)),
], ENTRY_NAMES))
def test_object_snapshots_are_refused_in_skdcl_words(entry, X):
    _assert_refused_naming_X(entry, X)


@pytest.mark.parametrize("entry, X", _cases(
    [("csr_matrix", sp.csr_matrix(np.ones((2, 4)))), ("csr_array", sp.csr_array(np.ones((2, 4)))),
     ("coo", sp.coo_matrix((3, 9)))], ENTRY_NAMES))
def test_sparse_snapshots_are_refused_in_skdcl_words(entry, X):
    _assert_refused_naming_X(entry, X)




@pytest.mark.parametrize("q", [-1, 0, 1, 128, 300, 2**40, 3.0, True, "3"])
def test_infer_names_q(q):
    X = np.zeros((2, 3, 3), dtype=np.int8)
    for kind in ("auto", "potts"):
        assert_names(attempt(lambda: SiteVariables.infer(X, kind, q))[1], "q")


@pytest.mark.parametrize("q", [128, 300])
def test_estimators_name_q_beyond_int8(q):
    X = np.zeros((2, 3, 3), dtype=np.int8)
    model = LocalInteractionModel(q=q, penalties=(1.0,), max_iter=5)
    assert_names(attempt(lambda: model.fit(X, 2.0))[1], "q")


NUMBER_ENTRY_POINTS = {
    "check_temperature": (lambda v: check_temperature(v, "T"), "T"),
    "check_observation_temperature": (lambda v: check_observation_temperature(v, 3), "T_obs"),
    "IsingModel(J)": (lambda v: IsingModel(J=v).energy(np.ones((1, 3, 3))), "J"),
    "IsingModel(h)": (lambda v: IsingModel(h=v).energy(np.ones((1, 3, 3))), "h"),
    "IsingModel(K)": (lambda v: IsingModel(K=v).local_kernel((3, 3)), "K"),
    "PottsModel(J)": (lambda v: PottsModel(J=v).energy(np.zeros((1, 3, 3))), "J"),
    "make_snapshots(T)": (lambda v: make_snapshots(IsingModel(), 3, v, 1, n_equilibration=0,
                                                   random_state=0), "T"),
    "MetropolisSimulator.fit": (lambda v: MetropolisSimulator(temperature=v).fit(
        np.ones((1, 3, 3))).transform(np.ones((1, 3, 3))), "temperature"),
    "MetropolisSimulator.transform": (lambda v: MetropolisSimulator(temperature=v).transform(
        np.ones((1, 3, 3))), "temperature"),
}
NUMBER_NAMES = sorted(NUMBER_ENTRY_POINTS)
COUPLING_ENTRIES = ("IsingModel(J)", "IsingModel(h)", "IsingModel(K)", "PottsModel(J)")


def _assert_number_refused(entry, value):
    call, name = NUMBER_ENTRY_POINTS[entry]
    result, error = attempt(lambda: call(value))
    assert error is not None, f"{entry} accepted {value!r} (silent cast)"
    assert_names(error, name)


@pytest.mark.parametrize("entry, value", _cases(
    [("10**400", 10**400), ("-10**400", -(10**400)), ("2**1024", 2**1024)], NUMBER_NAMES))
def test_numbers_beyond_float64_are_refused_in_skdcl_words(entry, value):
    """A Python int too large for a float is refused with a ValueError, not an OverflowError."""
    _assert_number_refused(entry, value)


@pytest.mark.parametrize("entry, value", _cases(
    [("complex128(2)", np.complex128(2)), ("complex64(1+1j)", np.complex64(1 + 1j))],
    NUMBER_NAMES))
def test_complex_numbers_are_refused_never_cast(entry, value):
    _assert_number_refused(entry, value)


@pytest.mark.parametrize("entry, value", _cases(
    [("'2'", "2"), ("'1e3'", "1e3"), ("b'2'", b"2")], NUMBER_NAMES))
def test_numeric_strings_are_refused_never_cast(entry, value):
    _assert_number_refused(entry, value)


@pytest.mark.parametrize("J", [(1.0, [1.0, 2.0]), ([1.0], 1.0), (1.0, np.ones(2))],
                         ids=["list-second", "list-first", "array-second"])
def test_ragged_coupling_pairs_are_refused_in_skdcl_words(J):
    assert_names(attempt(lambda: IsingModel(J=J).energy(np.ones((1, 3, 3))))[1], "J")
    assert_names(attempt(lambda: IsingModel(J=J).local_kernel((3, 3)))[1], "J")




@pytest.mark.parametrize("entry, value", _cases(
    [("2s", np.timedelta64(2, "s")), ("3D", np.timedelta64(3, "D"))], NUMBER_NAMES))
def test_time_values_are_refused_never_cast(entry, value):
    """numpy registers timedelta64 as an integer; a duration is still no temperature."""
    _assert_number_refused(entry, value)


@pytest.mark.parametrize("y", [
    pytest.param(np.full(3, 3 + 0j), id="complex"),
    pytest.param(np.full(3, 3 + 1j), id="complex-imaginary"),
    pytest.param(np.full(3, 3, dtype="m8[s]"), id="timedelta"),
    pytest.param([3.0, [3.0], 3.0], id="ragged"),
    pytest.param([[3.0], 3.0, 3.0], id="ragged-first"),
])
def test_observation_temperature_arrays_are_refused_never_cast(y):
    _, error = attempt(lambda: check_observation_temperature(y, 3))
    assert error is not None, f"accepted T_obs={y!r} (silent cast)"
    assert_names(error, "T_obs")
