"""Tests of the site variables: one object for what a site holds and its encodings."""

import numpy as np
import pytest

from skdcl.montecarlo import propose
from skdcl.sites import MAX_STATES, SiteVariables

ENCODINGS = [SiteVariables.ising(), SiteVariables("ising", 2, values="labels"),
             SiteVariables.potts(2), SiteVariables.potts(3), SiteVariables.potts(MAX_STATES)]


@pytest.mark.parametrize("sites", ENCODINGS, ids=repr)
def test_states_and_values_invert(sites):
    values = sites.values
    np.testing.assert_array_equal(sites.states(values), np.arange(sites.n_states))
    np.testing.assert_array_equal(sites.from_states(sites.states(values)), values)
    assert values.dtype == np.int8 and len(np.unique(values)) == sites.n_states
    X = sites.random(50, (3, 4), random_state=0)
    assert X.shape == (50, 3, 4) and set(np.unique(X)) <= set(values.tolist())
    assert set(np.unique(sites.ordered((2, 2)))) <= set(values.tolist())


@pytest.mark.parametrize("sites", ENCODINGS, ids=repr)
def test_proposal_draws_every_other_state_uniformly(sites):
    rng = np.random.default_rng(0)
    draws = rng.integers(0, 2**63, size=6000, dtype=np.uint64) * np.uint64(2)
    old = sites.values[0]
    proposed = np.array([propose(old, r, sites.kernel_values) for r in draws])
    assert old not in proposed
    counts = np.unique(proposed, return_counts=True)[1]
    assert len(counts) == sites.n_states - 1
    expected = len(draws) / (sites.n_states - 1)
    # binomial counts: within 4 standard errors of uniform
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected) + 1)


@pytest.mark.parametrize("X, kind, q, expected", [
    ([[-1, 1, 1, -1]], "auto", None, SiteVariables.ising()),
    ([[0, 1, 1, 0]], "auto", None, SiteVariables.potts(2)),
    ([[0, 1, 1, 0]], "ising", None, SiteVariables("ising", 2, values="labels")),
    ([[1, 1, 1, 1]], "auto", None, SiteVariables.potts(2)),
    ([[0, 2, 1, 0]], "auto", 5, SiteVariables.potts(5)),
])
def test_infer(X, kind, q, expected):
    assert SiteVariables.infer(X, kind, q) == expected


@pytest.mark.parametrize("args, match", [
    (("ising", 3), "2 states"),
    (("potts", 1), "from 2 to"),
    (("potts", 300), "from 2 to"),
    (("spins", 2), "kind"),
])
def test_bad_site_variables_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        SiteVariables(*args)


def test_labels_beyond_int8_are_refused_not_wrapped():
    with pytest.raises(ValueError, match="X holds labels up to 300; Potts labels must be below"):
        SiteVariables.infer(np.full((1, 2, 2), 300))
    with pytest.raises(ValueError, match="q must be an int from 2 to 127"):
        SiteVariables.infer(np.zeros((1, 2, 2)), q=128)


@pytest.mark.parametrize("sites", ENCODINGS[:4], ids=repr)
def test_network_inputs_of_two_states_do_not_depend_on_storage(sites):
    encoded = np.asarray(sites.encode(sites.values))
    if sites.two_state:
        np.testing.assert_array_equal(encoded, [[-1.0], [1.0]])
    else:
        np.testing.assert_array_equal(encoded, np.eye(sites.n_states))
