"""Progress goes through logging, and a pipeline's verbosity reaches its sub-models."""

import logging

import pytest

from skdcl import DCLPipeline, EDNNEnergyModel, IsingModel, RNNEnergyModel, make_snapshots


@pytest.fixture(scope="module")
def ising4():
    return make_snapshots(IsingModel(), 4, 3.0, 300, random_state=0)


def _pipeline(**params):
    return DCLPipeline(RNNEnergyModel(units=4, epochs=2, kernel_size=3, symmetrize="none"),
                       EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=2), n_labels=50,
                       refine=None, random_state=0, **params)


def test_verbose_pipeline_reports_every_stage_and_epoch(ising4, capsys):
    _pipeline(verbose=1).fit(ising4, 3.0)
    out = capsys.readouterr().out
    assert "[DCLPipeline] training the sequence model on 300 snapshots" in out
    for model in ("RNNEnergyModel", "EDNNEnergyModel"):
        assert f"[{model}] epoch 2/2 loss=" in out and "s left)" in out


def test_silent_without_verbose(ising4, capsys):
    _pipeline().fit(ising4, 3.0)
    assert capsys.readouterr().out == ""


def test_messages_go_to_a_handler_of_the_skdcl_logger(ising4, capsys):
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("skdcl")
    handler, before = Collect(), list(logger.handlers)
    logger.handlers = [handler]
    try:
        _pipeline(verbose=1).fit(ising4, 3.0)
    finally:
        logger.handlers = before
    assert capsys.readouterr().out == ""  # the user's handler replaces printing
    names = {record.name for record in records}
    assert {"skdcl.pipeline", "skdcl.training"} <= names
    assert all(record.levelno == logging.INFO for record in records)


class _EpochCounter:
    """A Keras callback that records the epochs it saw (built lazily: Keras loads on use)."""

    @staticmethod
    def make():
        from skdcl._keras import keras

        class EpochCounter(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.epochs = []

            def on_epoch_end(self, epoch, logs=None):
                self.epochs.append((epoch, sorted(logs or {})))

        return EpochCounter()


@pytest.mark.parametrize("estimator", [
    lambda cb: RNNEnergyModel(units=4, epochs=2, kernel_size=3, symmetrize="none",
                              callbacks=[cb], random_state=0),
    lambda cb: EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=3, callbacks=[cb],
                               random_state=0),
], ids=["rnn", "ednn"])
def test_callbacks_reach_every_keras_fit(ising4, estimator):
    counter = _EpochCounter.make()
    model = estimator(counter)
    y = 3.0 if isinstance(model, RNNEnergyModel) else IsingModel().energy(ising4)
    model.fit(ising4, y)
    assert [epoch for epoch, _ in counter.epochs] == list(range(model.epochs))
    assert all("loss" in keys for _, keys in counter.epochs)


def test_refinement_passes_callbacks_too(ising4):
    counter = _EpochCounter.make()
    model = EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=1, callbacks=[counter],
                            random_state=0).fit(ising4, IsingModel().energy(ising4))
    model.refine_pseudo_likelihood(ising4, 3.0, parameters="all", epochs=2)
    assert [epoch for epoch, _ in counter.epochs] == [0, 0, 1]


def test_callbacks_must_be_keras_callbacks(ising4):
    with pytest.raises(ValueError, match="callbacks must be a list of keras.callbacks.Callback"):
        EDNNEnergyModel(epochs=1, callbacks=[print]).fit(ising4, IsingModel().energy(ising4))
    with pytest.raises(ValueError, match="callbacks"):
        EDNNEnergyModel(epochs=1, callbacks=print).fit(ising4, IsingModel().energy(ising4))


def test_a_keras_logger_writes_every_epoch(ising4, tmp_path):
    from skdcl._keras import keras

    log = tmp_path / "training.csv"
    EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=3, random_state=0,
                    callbacks=[keras.callbacks.CSVLogger(str(log))]).fit(
        ising4, IsingModel().energy(ising4))
    rows = log.read_text().splitlines()
    assert rows[0].startswith("epoch") and len(rows) == 4
