"""What a learned energy holds: local energy changes, effective couplings, and their plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from skdcl import (  # noqa: E402
    EDNNEnergyModel,
    IsingModel,
    PottsModel,
    RNNEnergyModel,
    make_snapshots,
)
from skdcl.baselines import PseudoLikelihoodIsing  # noqa: E402
from skdcl.inspection import (  # noqa: E402
    cheapest_moves,
    coupling_map,
    effective_couplings,
    local_energy_map,
)
from skdcl.plotting import (  # noqa: E402
    OBSERVABLE_LABELS,
    plot_effective_couplings,
    plot_local_energy,
    plot_thermodynamics,
    plot_training_history,
)


@pytest.fixture(scope="module")
def anisotropic():
    model = IsingModel(J=(1.0, 0.4), h=0.3)
    return model, make_snapshots(model, 6, 3.0, 2000, random_state=0)


def test_effective_couplings_of_a_pairwise_model_are_its_couplings(anisotropic):
    model, X = anisotropic
    J = effective_couplings(model, X[:3], radius=2)
    expected = np.zeros((5, 5))
    expected[2, 1] = expected[2, 3] = 1.0
    expected[1, 2] = expected[3, 2] = 0.4
    expected[2, 2] = np.nan
    np.testing.assert_allclose(J, expected, atol=1e-12)


def test_a_plaquette_term_is_not_a_pair_coupling():
    # -K s1 s2 s3 s4 has context-dependent pair interactions averaging to zero in random contexts
    rng = np.random.default_rng(0)
    X = rng.choice(np.array([-1, 1], dtype=np.int8), size=(200, 6, 6))
    J = effective_couplings(IsingModel(J=0.0, K=1.0), X, radius=1)
    assert np.nanmax(np.abs(J)) < 0.1
    assert np.nanmax(np.abs(effective_couplings(IsingModel(J=0.0, K=1.0), X[:1], 1))) > 0.5


def test_baseline_couplings_read_through_energies_match_its_matrix(anisotropic):
    _, X = anisotropic
    baseline = PseudoLikelihoodIsing().fit(X, 3.0)
    through_energies = effective_couplings(baseline, X[:2], radius=2)
    np.testing.assert_allclose(through_energies, coupling_map(baseline.couplings_, (6, 6), 2),
                               atol=1e-9)
    assert abs(through_energies[2, 3] - 1.0) < 0.1 and abs(through_energies[3, 2] - 0.4) < 0.1


def test_local_energy_map_of_the_ising_model():
    config = np.ones((4, 4), dtype=np.int8)
    config[1, 1] = -1
    changes = local_energy_map(IsingModel(), config)
    assert changes.shape == (4, 4)
    assert changes[1, 1] == -8.0 and changes[0, 1] == 4.0 and changes[3, 3] == 8.0


def test_local_energy_map_of_potts_has_one_change_per_state():
    config = np.zeros((4, 4), dtype=np.int8)
    changes = local_energy_map(PottsModel(q=3), config)
    assert changes.shape == (4, 4, 3)
    np.testing.assert_array_equal(changes[..., 0], 0.0)
    np.testing.assert_array_equal(changes[..., 1:], 4.0)
    np.testing.assert_array_equal(cheapest_moves(PottsModel(q=3), config), 4.0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="two-state"):
        effective_couplings(PottsModel(q=3), np.zeros((1, 6, 6), dtype=np.int8))
    with pytest.raises(ValueError, match="radius"):
        effective_couplings(IsingModel(), np.ones((1, 4, 4)), radius=2)
    with pytest.raises(ValueError, match="radius"):
        effective_couplings(IsingModel(), np.ones((1, 6, 6)), radius=0)
    with pytest.raises(ValueError, match="config must be one configuration"):
        local_energy_map(IsingModel(), np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match="couplings must have shape"):
        coupling_map(np.zeros((4, 4)), (4, 4))
    with pytest.raises(ValueError, match="energy or a predict"):
        local_energy_map(object(), np.ones((4, 4)))


def test_coupling_plot_puts_models_side_by_side_with_units(anisotropic):
    model, X = anisotropic
    figure = plot_effective_couplings({"exact": model, "baseline":
                                       PseudoLikelihoodIsing().fit(X, 3.0)}, X[:2], radius=1)
    panels = [ax for ax in figure.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["exact", "baseline"]
    assert all("/ lattice sites" in ax.get_xlabel() for ax in panels)
    assert sum("/ J" in ax.get_ylabel() for ax in figure.axes) == 2  # colour bars
    plt.close(figure)


def test_local_energy_plot(anisotropic):
    model, X = anisotropic
    figure = plot_local_energy(model, X[0])
    images = [ax.images[0].get_array() for ax in figure.axes if ax.images]
    np.testing.assert_array_equal(images[1], local_energy_map(model, X[0]))
    plt.close(figure)


def test_training_history_of_a_fitted_model_and_its_units(anisotropic):
    model, X = anisotropic
    ednn = EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(
        X[:300], model.energy(X[:300]))
    figure = plot_training_history(ednn)
    ax = figure.axes[0]
    assert len(ax.lines) == 2 and len(ax.lines[0].get_xdata()) == 3
    assert "energy_scale_" in ax.get_ylabel() and ax.get_xlabel() == "epoch"
    plt.close(figure)
    with pytest.raises(ValueError, match="no training history"):
        plot_training_history(RNNEnergyModel())


def test_every_thermodynamics_panel_has_a_unit_or_says_dimensionless():
    import pandas as pd

    table = pd.DataFrame({"T": [2.0, 3.0], **{name: [0.1, 0.2] for name in OBSERVABLE_LABELS}})
    figure = plot_thermodynamics(table, observables=tuple(OBSERVABLE_LABELS))
    for ax in figure.axes:
        assert "/" in ax.get_ylabel() or "dimensionless" in ax.get_ylabel()
        assert ax.get_xlabel() == "T / J"
    plt.close(figure)
