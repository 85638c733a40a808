"""Tests of symmetry groups and of their detection from snapshots."""

import math

import numpy as np
import pytest

from skdcl import IsingModel, PottsModel
from skdcl.datasets import make_snapshots
from skdcl.rnn import RNNEnergyModel
from skdcl.sites import SiteVariables
from skdcl.symmetry import (
    MAX_LABEL_PERMUTATIONS,
    POINT_GENERATORS,
    SymmetryGroup,
    detect_symmetry,
    point_permutation,
)

ISING = SiteVariables.ising()

SMALL = dict(units=16, epochs=3, batch_size=128, random_state=0)


def _product_model(p_up):
    """log-likelihood of independent spins, +1 with probability ``p_up`` per site (array)."""
    p_up = np.asarray(p_up, dtype=float)

    def log_prob(X):
        return np.where(X > 0, np.log(p_up), np.log1p(-p_up)).sum(axis=(1, 2))
    return log_prob


def _draw(p_up, n, seed=0):
    rng = np.random.RandomState(seed)
    return np.where(rng.rand(n, *np.shape(p_up)) < p_up, 1, -1).astype(np.int8)


def test_point_permutations_form_the_dihedral_group():
    group = SymmetryGroup((4, 4), ISING, POINT_GENERATORS)
    assert group.size == 8
    rectangle = SymmetryGroup((4, 6), ISING, POINT_GENERATORS)
    assert len(rectangle.site_permutations) == 4  # no quarter turn, no diagonal on a rectangle
    for name in ("rot90", "transpose"):
        assert point_permutation((4, 6), name) is None


def test_point_images_are_distinct():
    X = np.arange(9).reshape(1, 3, 3)
    images = list(SymmetryGroup((3, 3), SiteVariables.potts(9), POINT_GENERATORS).images(X))
    assert len({image.tobytes() for image in images}) == 8


def test_images_are_the_group_orbit():
    X = _draw(np.full((4, 4), 0.5), 3)
    group = SymmetryGroup.named("full", (4, 4), ISING)
    images = list(group.images(X))
    assert len(images) == 16
    np.testing.assert_array_equal(images[0], X)
    assert any(np.array_equal(image, -X[:, :, ::-1]) for image in images)
    assert any(np.array_equal(image, np.rot90(X, 1, axes=(1, 2))) for image in images)


def test_potts_label_group_is_bounded():
    for q in (3, 4, 7, 10):
        group = SymmetryGroup.named("full", (4, 4), SiteVariables.potts(q))
        expected = math.factorial(q) if math.factorial(q) <= MAX_LABEL_PERMUTATIONS else 2 * q
        assert len(group.value_tables) == expected
        # every map is a permutation of the labels
        assert all(sorted(row) == list(range(q)) for row in group.value_tables)
    assert len(SymmetryGroup((4, 4), SiteVariables.potts(5), ["label_cycle"]).value_tables) == 5


def test_unknown_generator_is_refused():
    with pytest.raises(ValueError, match="unknown symmetry generators"):
        SymmetryGroup((4, 4), ISING, ["rot45"])


def test_detection_keeps_every_symmetry_of_a_symmetric_system():
    p_up = np.full((4, 4), 0.5)
    group = detect_symmetry(_product_model(np.full((4, 4), 0.52)), _draw(p_up, 4000), ISING)
    assert set(group.generators) >= set(POINT_GENERATORS) | {"flip", "shift_x", "shift_y"}
    assert group.translation_period == 1
    assert all(abs(z) <= 4.0 for z in group.statistics.values())


def test_detection_rejects_a_broken_flip():
    p_up = np.full((4, 4), 0.6)  # a field
    group = detect_symmetry(_product_model(p_up), _draw(p_up, 4000), ISING)
    assert "flip" not in group.generators
    assert group.statistics["flip"] > 4.0
    assert set(POINT_GENERATORS) <= set(group.generators)


def test_detection_rejects_one_site_translations_of_an_alternating_law():
    y, x = np.indices((4, 4))
    p_up = np.where((x + y) % 2 == 0, 0.7, 0.3)  # a staggered field
    group = detect_symmetry(_product_model(p_up), _draw(p_up, 4000), ISING)
    assert "shift_x" not in group.generators and "shift_y" not in group.generators
    assert {"shift2_x", "shift2_y"} <= set(group.generators)
    assert group.translation_period == 2


def test_detection_keeps_the_largest_subgroup_of_what_passed():
    y, x = np.indices((4, 4))
    p_up = np.where(x == 0, 0.8, 0.5)  # a column apart: no translations along x, no rotation
    group = detect_symmetry(_product_model(p_up), _draw(p_up, 4000), ISING)
    assert "mirror_y" in group.generators and "rot90" not in group.generators
    assert "shift_y" in group.generators and "shift_x" not in group.generators
    # every element of the kept point group passed its own test
    assert len(group.site_permutations) == 2


def test_rnn_detects_a_field_from_snapshots():
    X = make_snapshots(IsingModel(h=0.4), 4, 3.0, 4000, random_state=0)
    model = RNNEnergyModel(**SMALL).fit(X, 3.0)
    assert "flip" not in model.symmetry_.generators
    assert "rot90" in model.symmetry_.generators
    assert not model.model_.layers[-1].odd and model.shared_


def test_rnn_keeps_the_symmetries_of_the_ising_model():
    X = make_snapshots(IsingModel(), 4, 3.0, 4000, random_state=0)
    model = RNNEnergyModel(**SMALL).fit(X, 3.0)
    assert {"flip", "rot90", "mirror_x", "shift_x", "shift_y"} <= set(model.symmetry_.generators)
    assert model.model_.layers[-1].odd
    # the learned energy is invariant under the kept group
    np.testing.assert_allclose(model.predict(np.rot90(X[:5], 1, axes=(1, 2))),
                               model.predict(X[:5]), atol=1e-4)


def test_rnn_detects_unequal_couplings():
    X = make_snapshots(IsingModel(J=(1.0, 0.3)), 4, 2.0, 4000, random_state=0)
    model = RNNEnergyModel(**SMALL).fit(X, 2.0)
    assert "rot90" not in model.symmetry_.generators
    assert {"mirror_x", "mirror_y", "flip"} <= set(model.symmetry_.generators)


def test_too_few_snapshots_keep_no_symmetry_and_warn():
    X = make_snapshots(IsingModel(), 4, 3.0, 500, random_state=0)
    with pytest.warns(UserWarning, match="keeping none but translations"):
        model = RNNEnergyModel(units=4, epochs=1, random_state=0).fit(X, 3.0)
    assert model.symmetry_.generators == ("shift_x", "shift_y") and model.symmetry_.size == 1
    assert not model.model_.layers[-1].odd and model.shared_


def test_explicit_generators_are_used_as_given():
    X = make_snapshots(PottsModel(q=3), 4, 1.5, 300, random_state=0)
    model = RNNEnergyModel(symmetrize=("label_cycle", "mirror_x", "shift_x", "shift_y"),
                           units=4, epochs=1, random_state=0).fit(X, 1.5)
    assert model.symmetry_.size == 3 * 2
    assert model.shared_
    unshared = RNNEnergyModel(symmetrize=("mirror_x",), units=4, epochs=1,
                              random_state=0).fit(X, 1.5)
    assert not unshared.shared_  # translations not listed: a law of its own at every site


def test_potts_averaging_cost_is_bounded_at_large_q():
    X = np.random.RandomState(0).randint(0, 7, size=(200, 4, 4)).astype(np.int8)
    model = RNNEnergyModel(symmetrize="full", units=4, epochs=1, random_state=0).fit(X, 1.0)
    group = model._group(for_evaluation=True)
    assert group.size == 8 * 2 * 7  # not 8 * 7! = 40320
    # the energy is invariant under the averaged subgroup: cycled and reversed labels
    np.testing.assert_allclose(model.predict((X[:4] + 1) % 7), model.predict(X[:4]), atol=1e-3)
    np.testing.assert_allclose(model.predict((-X[:4]) % 7), model.predict(X[:4]), atol=1e-3)
