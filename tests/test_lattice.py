import numpy as np
import pytest

from skdcl.lattice import (
    check_lattice_size,
    check_observation_temperature,
    check_snapshots,
    check_temperature,
    ordering_permutation,
    rewrap,
    unwrap,
)
from skdcl.sites import SiteVariables

ISING = SiteVariables.ising()


@pytest.mark.parametrize("ordering", ["raster", "snake", "spiral"])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (6, 2)])
def test_orderings_are_permutations_and_invert(ordering, shape):
    perm = ordering_permutation(shape, ordering)
    assert sorted(perm.tolist()) == list(range(shape[0] * shape[1]))
    X = np.random.default_rng(0).integers(0, 3, size=(5,) + shape)
    np.testing.assert_array_equal(rewrap(unwrap(X, perm), perm, shape), X)


def test_snake_and_spiral_visit_neighbours_consecutively():
    for ordering in ("snake", "spiral"):
        perm = ordering_permutation((5, 5), ordering)
        rows, cols = np.divmod(perm, 5)
        steps = np.abs(np.diff(rows)) + np.abs(np.diff(cols))
        assert np.all(steps == 1), ordering


def test_check_snapshots_reshapes_flat_rows_only_to_a_known_shape():
    X = check_snapshots(np.ones((2, 4, 4)), ISING)
    assert X.shape == (2, 4, 4) and X.dtype == np.int8
    potts = SiteVariables.potts(2)
    assert check_snapshots(np.zeros((2, 12)), potts, shape=(3, 4)).shape == (2, 3, 4)
    assert check_snapshots(np.zeros((2, 64)), potts, flat_shape=(4, 16)).shape == (2, 4, 16)
    with pytest.raises(ValueError, match="unknown; pass configurations of shape"):
        check_snapshots(np.ones((2, 16)), ISING)  # 4x4 or 2x8? never guessed
    with pytest.raises(ValueError, match="the lattice is 3x5"):
        check_snapshots(np.ones((2, 16)), ISING, flat_shape=(3, 5))


@pytest.mark.parametrize("X, sites, match", [
    (np.zeros((2, 4, 4)), ISING, "Ising spins"),
    (np.full((2, 4, 4), 3), SiteVariables.potts(3), r"\[0, 3\)"),
    (-np.ones((2, 4, 4)), SiteVariables.potts(3), r"\[0, 3\)"),
    (np.full((2, 4, 4), 256), SiteVariables.potts(3), r"\[0, 3\).*256"),
    (-np.ones((2, 4, 4)), SiteVariables("ising", 2, values="labels"), "0 or 1"),
    (np.ones((4, 4)).reshape(1, 1, 4, 4), ISING, "rank"),
    (np.ones(4), ISING, "rank"),
    (np.full((1, 2, 2), np.nan), ISING, "NaN"),
    (np.ones((1, 7)), ISING, "shape is unknown"),
    (np.ones((1, 1, 4)), ISING, "at least 2"),
    (np.ones((1, 4, 1)), ISING, "at least 2"),
    (np.ones((1, 2, 2)) * 0.5, ISING, "integer"),
    (np.ones((0, 2, 2)), ISING, "at least one"),
])
def test_check_snapshots_rejects_bad_input(X, sites, match):
    with pytest.raises(ValueError, match=match):
        check_snapshots(X, sites)


def test_check_snapshots_names_the_argument():
    with pytest.raises(ValueError, match="^snapshots"):
        check_snapshots(np.zeros((1, 2, 2)), ISING, name="snapshots")


@pytest.mark.parametrize("T", [0, -1.0, float("nan"), float("inf"), "hot", True])
def test_check_temperature_rejects(T):
    with pytest.raises(ValueError, match="T"):
        check_temperature(T)


def test_observation_temperature():
    assert check_observation_temperature(np.full(3, 2.5), 3) == 2.5
    with pytest.raises(ValueError, match="one temperature"):
        check_observation_temperature([1.0, 2.0], 2)
    with pytest.raises(ValueError, match="shape"):
        check_observation_temperature([1.0, 1.0], 3)
    with pytest.raises(ValueError, match="> 0"):
        check_observation_temperature([-1.0, -1.0], 2)


@pytest.mark.parametrize("L", [1, 0, (2, 1), 2.5, "8", (2, 2, 2)])
def test_check_lattice_size_rejects(L):
    with pytest.raises(ValueError, match="L"):
        check_lattice_size(L)
