import numpy as np
import pytest

from skdcl import EdwardsAndersonModel, IsingModel, PottsModel, enumerate_exact, ising_exact

# Reference values of the shared protocol (DESIGN.md), per spin.
REFERENCE_8 = {2.0: (-1.7456831703, 0.7141226029), 2.269: (-1.4918013791, 1.1453785659),
               3.0: (-0.8413154279, 0.4839664714), 4.0: (-0.5584911366, 0.1742505045)}
REFERENCE_16 = {1.5: -1.9511165731, 2.0: -1.7455306690, 2.269: -1.4533425477,
                2.5: -1.1313179844, 3.0: -0.8176893679, 4.0: -0.5572728327}


def test_ising_exact_matches_reference_values():
    table = ising_exact(8, list(REFERENCE_8))
    for row in table.itertuples():
        e, c = REFERENCE_8[row.T]
        assert row.energy == pytest.approx(e, abs=1e-9)
        assert row.specific_heat == pytest.approx(c, abs=1e-9)
    table = ising_exact(16, list(REFERENCE_16))
    for row in table.itertuples():
        assert row.energy == pytest.approx(REFERENCE_16[row.T], abs=1e-9)
    assert ising_exact(16, 2.269).specific_heat[0] == pytest.approx(1.4983111035, abs=1e-9)


@pytest.mark.parametrize("shape", [(4, 4), (3, 4), (2, 5)])
def test_ising_exact_matches_enumeration(shape):
    temperatures = [0.7, 1.5, 2.269, 3.0, 10.0]
    exact = ising_exact(shape, temperatures)
    enumerated = enumerate_exact(IsingModel(), shape, temperatures)
    np.testing.assert_allclose(exact.energy, enumerated.energy, atol=1e-10)
    np.testing.assert_allclose(exact.specific_heat, enumerated.specific_heat, atol=1e-9)
    np.testing.assert_allclose(-exact.free_energy * np.prod(shape) / exact["T"],
                               enumerated.log_z, atol=1e-9)


def test_ising_exact_is_clean_at_extremes():
    table = ising_exact(32, [0.05, 0.3, 2.269185314, 1e3])
    assert np.all(np.isfinite(table.to_numpy()))
    assert table.energy[0] == pytest.approx(-2.0, abs=1e-12)
    assert table.specific_heat[0] == pytest.approx(0.0, abs=1e-12)
    assert table.energy[3] == pytest.approx(-2 * np.tanh(1e-3), rel=1e-3)


def test_enumeration_of_potts_and_spin_glass_is_consistent():
    for model in (PottsModel(q=3), EdwardsAndersonModel(L=3, random_state=0)):
        q = model.n_states
        table = enumerate_exact(model, 3, [1.0, 2.0])
        # brute force over all configurations with the vectorised energy
        labels = np.array(np.unravel_index(np.arange(q**9), (q,) * 9)).T.reshape(-1, 3, 3)
        X = (2 * labels - 1) if model.spin_kind == "ising" else labels
        E = model.energy(X.astype(np.int8))
        for row in table.itertuples():
            w = np.exp(-(E - E.min()) / row.T)
            assert row.energy == pytest.approx(np.dot(w, E) / w.sum() / 9, abs=1e-10)


@pytest.mark.parametrize("kwargs, match", [({"L": 1}, "L"),
                                           ({"temperatures": 0.0}, "temperatures")])
def test_ising_exact_rejects_bad_input(kwargs, match):
    args = {"L": 4, "temperatures": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        ising_exact(**args)


def test_enumeration_rejects_large_lattices():
    with pytest.raises(ValueError, match="16 sites"):
        enumerate_exact(IsingModel(), 5, 1.0)
