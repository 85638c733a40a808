"""Regressions of the reliability issue: no silent wrong result, no shared or stale state."""

import random

import numpy as np
import pytest

from skdcl import (
    DCLPipeline,
    EDNNEnergyModel,
    IsingModel,
    MetropolisSimulator,
    PottsModel,
    RNNEnergyModel,
    ising_exact,
    make_snapshots,
)
from skdcl.interactions import LocalInteractionModel


@pytest.fixture(scope="module")
def ising4():
    return make_snapshots(IsingModel(), 4, 3.0, 600, random_state=0)


def _tiny_rnn(**params):
    return RNNEnergyModel(units=4, epochs=1, kernel_size=3, symmetrize="none",
                          validation_fraction=0.0, random_state=0).set_params(**params)


def _tiny_ednn(**params):
    return EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=2, validation_fraction=0.0,
                           random_state=0).set_params(**params)


# ------------------------------------------------------------------- silent wrong results


def test_metropolis_rejects_uphill_moves_at_tiny_temperature():
    # beta * dE of order 1e18 once overflowed the tabulated acceptance and accepted everything
    table = MetropolisSimulator(PottsModel(3), random_state=0).thermodynamics(
        [1e-16, 1e-18], 4, n_chains=2, n_sweeps=20, n_equilibration=0, moves="metropolis")
    np.testing.assert_array_equal(table["energy"], [-2.0, -2.0])
    np.testing.assert_array_equal(table["acceptance"], [0.0, 0.0])


def test_all_up_ising_snapshots_fit():
    X = np.ones((300, 4, 4), dtype=np.int8)
    model = _tiny_rnn().fit(X, 2.0)
    assert np.all(np.isfinite(model.predict(X[:3])))
    assert set(np.unique(model.sample(5, random_state=0))) <= {0, 1}  # labels, as given


@pytest.mark.parametrize("call, match", [
    (lambda: PottsModel(q=300).energy(np.zeros((1, 4, 4))), "q must be an int from 2 to 127"),
    (lambda: make_snapshots(PottsModel(q=129), 4, 1.0, 2), "q must be an int from 2 to 127"),
    (lambda: PottsModel(q=3).energy(np.full((1, 4, 4), 256)), r"\[0, 3\).*256"),
    (lambda: PottsModel(J=float("nan")).energy(np.zeros((1, 4, 4))), "J must be finite"),
])
def test_labels_and_couplings_out_of_range_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_flat_rows_use_the_fitted_shape_or_are_refused():
    X = make_snapshots(IsingModel(), (4, 16), 3.0, 300, random_state=0)
    model = _tiny_ednn().fit(X, IsingModel().energy(X))
    np.testing.assert_allclose(model.predict(X[:5].reshape(5, -1)), model.predict(X[:5]))
    with pytest.raises(ValueError, match="shape is unknown"):
        IsingModel().energy(X[:5].reshape(5, -1))  # 64 sites: 8x8 or 4x16?
    with pytest.raises(ValueError, match="the lattice is 4x16"):
        model.predict(np.ones((2, 16), dtype=np.int8))


def test_successive_transforms_continue_one_markov_chain():
    def chain(simulator, n_calls):
        X = np.ones((16, 8, 8), dtype=np.int8)
        energies = []
        for _ in range(n_calls):
            X = simulator.transform(X)
            energies.append(IsingModel().energy(X) / 64)
        return np.array(energies)

    energies = chain(MetropolisSimulator(temperature=2.5, n_sweeps=1, random_state=0), 600)
    per_chain = energies[100:].mean(axis=0)  # 16 independent chains after 100 sweeps
    error = per_chain.std(ddof=1) / np.sqrt(len(per_chain))
    exact = ising_exact(8, 2.5)["energy"][0]
    assert abs(per_chain.mean() - exact) < 4 * error
    # reproducible: a fresh simulator with the same seed repeats the chain; fit restarts it
    again = MetropolisSimulator(temperature=2.5, n_sweeps=1, random_state=0)
    np.testing.assert_array_equal(chain(again, 5), energies[:5])
    again.fit(np.ones((16, 8, 8), dtype=np.int8))
    np.testing.assert_array_equal(chain(again, 5), energies[:5])


def test_overflowing_fits_are_refused(ising4):
    with pytest.raises(ValueError, match="non-finite energy scales"):
        _tiny_ednn().fit(ising4, IsingModel().energy(ising4) * 1e155)
    with pytest.raises(ValueError, match="T_obs = 1e\\+308 is too large"):
        _tiny_rnn().fit(ising4, 1e308)


def test_lattice_sides_of_one_are_refused():
    for model in (IsingModel(), PottsModel(3)):
        with pytest.raises(ValueError, match="at least 2"):
            model.energy(np.zeros((1, 1, 8)) + (model.n_states == 2))


def test_empty_label_temperatures_are_refused(ising4):
    pipeline = DCLPipeline(_tiny_rnn(), _tiny_ednn(), n_labels=50, label_temperatures=())
    with pytest.raises(ValueError, match="label_temperatures is empty"):
        pipeline.fit(ising4, 3.0)


# ---------------------------------------------------------------- shared and stale state


def test_no_default_sub_model_is_shared():
    first, second = DCLPipeline(), DCLPipeline()
    assert first.rnn is None and first.ednn is None
    first.set_params(rnn__units=3)
    assert first.rnn.units == 3 and second.rnn is None
    assert second.get_params()["rnn__units"] == 64


def test_a_failed_refit_leaves_the_previous_fit(ising4, monkeypatch):
    model = _tiny_rnn().fit(ising4, 3.0)
    before = model.predict(ising4[:5])
    state = {k: v for k, v in vars(model).items() if k.endswith("_")}
    X8 = make_snapshots(IsingModel(), 8, 3.0, 300, random_state=1)

    def broken(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(RNNEnergyModel, "_train", broken)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(X8, 5.0)
    monkeypatch.undo()
    assert model.lattice_shape_ == (4, 4) and model.T_obs_ == 3.0
    assert {k: v for k, v in vars(model).items() if k.endswith("_")}.keys() == state.keys()
    np.testing.assert_array_equal(model.predict(ising4[:5]), before)


def test_a_failed_pipeline_refit_keeps_its_stages_together(ising4, monkeypatch):
    pipeline = DCLPipeline(_tiny_rnn(), _tiny_ednn(), n_labels=60, refine=None,
                           random_state=0).fit(ising4, 3.0)
    before = pipeline.predict(ising4[:5])
    monkeypatch.setattr(EDNNEnergyModel, "fit", lambda self, X, y: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        pipeline.fit(make_snapshots(IsingModel(), 8, 3.0, 300, random_state=1), 3.0)
    monkeypatch.undo()
    assert pipeline.rnn_.lattice_shape_ == pipeline.lattice_shape_ == (4, 4)
    np.testing.assert_array_equal(pipeline.predict(ising4[:5]), before)


def test_a_failed_refinement_restores_the_weights(ising4, monkeypatch):
    model = _tiny_ednn().fit(ising4, IsingModel().energy(ising4))
    before = model.predict(ising4[:5])
    import skdcl.ednn._estimator as estimator

    def broken(core, *args, **kwargs):
        for weight in core.kernels:
            weight.assign(weight * 0.0)
        raise RuntimeError("interrupted")

    monkeypatch.setattr(estimator, "fine_tune", broken)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.refine_pseudo_likelihood(ising4, 3.0, parameters="all", epochs=1)
    np.testing.assert_array_equal(model.predict(ising4[:5]), before)


@pytest.mark.parametrize("make", [
    lambda X: _tiny_rnn().fit(X, 3.0),
    lambda X: _tiny_ednn().fit(X, IsingModel().energy(X)),
    lambda X: LocalInteractionModel(penalties=(1.0,), random_state=0).fit(X, 3.0),
    lambda X: DCLPipeline(_tiny_rnn(), _tiny_ednn(), n_labels=60, refine=None,
                          random_state=0).fit(X, 3.0),
], ids=["rnn", "ednn", "interactions", "pipeline"])
def test_seeded_fits_leave_the_global_generators_alone(ising4, make):
    np.random.seed(123)
    random.seed(123)
    make(ising4)
    assert np.random.randint(2**31) == np.random.RandomState(123).randint(2**31)
    assert random.random() == random.Random(123).random()
