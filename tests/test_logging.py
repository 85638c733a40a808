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
