"""The ``skdcl`` command: every subcommand end to end, ``--force`` and atomic outputs."""

import argparse
import os
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest

from skdcl import cli
from skdcl.cli import _arguments, _commands, _data, _demo, _outputs


@pytest.fixture
def fake_demos(monkeypatch):
    """Replace both demos by writers of small files; return the folders they wrote to."""
    calls = []

    def fake(names):
        def write(folder, quick=False):
            calls.append(folder)
            for name in names:
                with open(os.path.join(folder, name), "wb") as file:
                    file.write(b"new " + name.encode())
        return write

    monkeypatch.setattr(_demo, "demo_exact", fake(_demo.EXACT_OUTPUTS))
    monkeypatch.setattr(_demo, "demo_dcl", fake(_demo.DCL_OUTPUTS))
    return calls


def _old_outputs(out, names):
    """Write earlier outputs into `out`; return their contents by name."""
    out.mkdir(parents=True, exist_ok=True)
    contents = {name: b"old " + name.encode() for name in names}
    for name, content in contents.items():
        (out / name).write_bytes(content)
    return contents


def _leftovers(out):
    """The temporary folders left in `out`."""
    return sorted(path.name for path in out.glob(".skdcl-tmp-*"))


@pytest.mark.parametrize("exact", [False, True])
def test_refuses_to_overwrite_without_force(tmp_path, fake_demos, capsys, exact):
    names = _demo.EXACT_OUTPUTS if exact else _demo.DCL_OUTPUTS
    out = tmp_path / "out"
    old = _old_outputs(out, names[:1])
    with pytest.raises(SystemExit) as info:
        cli.main(["demo", "--out", str(out)] + (["--exact"] if exact else []))
    assert info.value.code == 2
    error = capsys.readouterr().err
    assert "skdcl: error: argument --out:" in error
    assert names[0] in error and "--force" in error
    assert fake_demos == []  # refused before any work
    assert (out / names[0]).read_bytes() == old[names[0]]
    assert sorted(os.listdir(out)) == [names[0]]


def test_force_overwrites(tmp_path, fake_demos, capsys):
    out = tmp_path / "out"
    _old_outputs(out, _demo.DCL_OUTPUTS)
    assert cli.main(["demo", "--out", str(out), "--force"]) == 0
    assert len(fake_demos) == 1
    for name in _demo.DCL_OUTPUTS:
        assert (out / name).read_bytes() == b"new " + name.encode()
    assert sorted(os.listdir(out)) == sorted(_demo.DCL_OUTPUTS)
    assert "wrote" in capsys.readouterr().out


def test_creates_missing_out(tmp_path, fake_demos):
    out = tmp_path / "a" / "b"
    assert cli.main(["demo", "--out", str(out), "--exact"]) == 0
    assert sorted(os.listdir(out)) == sorted(_demo.EXACT_OUTPUTS)
    assert os.path.dirname(fake_demos[0]) == str(out)  # staged beside the outputs


@pytest.mark.parametrize("below", [False, True])
def test_out_not_a_directory(tmp_path, fake_demos, capsys, below):
    path = tmp_path / "file"
    path.write_bytes(b"keep")
    out = path / "sub" if below else path
    with pytest.raises(SystemExit) as info:
        cli.main(["demo", "--out", str(out), "--force"])
    assert info.value.code == 2
    error = capsys.readouterr().err
    assert "skdcl: error: argument --out:" in error and str(out) in error
    assert fake_demos == []
    assert path.read_bytes() == b"keep"


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_interrupted_run_keeps_old_outputs(tmp_path, monkeypatch, capsys, interruption):
    out = tmp_path / "out"
    old = _old_outputs(out, _demo.DCL_OUTPUTS)
    staged = []

    def failing(folder, quick=False):
        with open(os.path.join(folder, _demo.DCL_OUTPUTS[0]), "wb") as file:
            file.write(b"partial")
        staged.extend(os.listdir(folder))
        raise interruption("stop")

    monkeypatch.setattr(_demo, "demo_dcl", failing)
    argv = ["demo", "--out", str(out), "--force"]
    if interruption is KeyboardInterrupt:
        try:
            status = cli.main(argv)
        except KeyboardInterrupt:
            pytest.fail("KeyboardInterrupt escaped main")
        assert status == 130
        assert "interrupted" in capsys.readouterr().err
    else:
        with pytest.raises(RuntimeError, match="stop"):
            cli.main(argv)
    assert staged == [_demo.DCL_OUTPUTS[0]]  # the first file was written, in staging
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == old
    assert _leftovers(out) == []


def test_missing_output_is_an_error(tmp_path, monkeypatch):
    out = tmp_path / "out"
    old = _old_outputs(out, _demo.EXACT_OUTPUTS)

    def incomplete(folder, quick=False):
        with open(os.path.join(folder, _demo.EXACT_OUTPUTS[0]), "wb"):
            pass

    monkeypatch.setattr(_demo, "demo_exact", incomplete)
    with pytest.raises(RuntimeError, match=_demo.EXACT_OUTPUTS[1]):
        cli.main(["demo", "--out", str(out), "--exact", "--force"])
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == old


def test_command_line_bad_out(tmp_path):
    path = tmp_path / "not-a-dir"
    path.write_bytes(b"keep")
    result = subprocess.run(
        [sys.executable, "-m", "skdcl.cli", "demo", "--out", str(path), "--exact"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "skdcl: error: argument --out:" in result.stderr
    assert "not a directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert path.read_bytes() == b"keep"


# ------------------------------------------------------- generate -> fit -> simulate -> info

# sub-models small enough that ``skdcl fit`` takes seconds
TINY = ["--set", "rnn__epochs=1", "--set", "rnn__units=4", "--set", "ednn__epochs=1",
        "--set", "ednn__hidden_layer_sizes=(4,)", "--set", "n_labels=50",
        "--set", "refine=None", "--set", "rnn__symmetrize=none"]


def _skdcl(*args, cwd):
    """Run ``python -m skdcl ARGS`` in `cwd`; the completed process."""
    return subprocess.run([sys.executable, "-m", "skdcl", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _assert_usage_error(result, *words):
    """Exit status 2, one ``skdcl: error:`` line naming `words`, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("skdcl: error: ")
    for word in words:
        assert word in error


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """A folder where ``skdcl generate`` and ``skdcl fit`` ran; their completed processes."""
    folder = tmp_path_factory.mktemp("workflow")
    generate = _skdcl("generate", "ising", "--L", 4, "--T", 2.5, "--n", 200, "--seed", 0,
                      "--out", "snaps.npy", cwd=folder)
    fit = _skdcl("fit", "snaps.npy", "--T-obs", 2.5, "--seed", 0, "--out", "model.joblib",
                 *TINY, cwd=folder)
    return folder, generate, fit


def test_version(tmp_path):
    import skdcl

    result = _skdcl("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"skdcl {skdcl.__version__}\n")
    script = os.path.join(os.path.dirname(sys.executable), "skdcl")
    if not os.path.isfile(script):
        pytest.skip("the skdcl console script is not installed")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, f"skdcl {skdcl.__version__}\n")


def test_generate(workflow):
    folder, generate, _ = workflow
    assert generate.returncode == 0, generate.stderr
    X = np.load(folder / "snaps.npy")
    assert X.shape == (200, 4, 4) and X.dtype == np.int8
    assert set(np.unique(X)) <= {-1, 1}
    assert "wrote 200 4x4 snapshots" in generate.stdout


def test_fit(workflow):
    folder, _, fit = workflow
    assert fit.returncode == 0, fit.stderr
    assert "read 200 4x4 snapshots (Ising spins -1 or +1)" in fit.stdout
    assert "[DCLPipeline] training the sequence model" in fit.stdout  # stage progress
    assert "wrote model.joblib" in fit.stdout
    assert (folder / "model.joblib").stat().st_size > 0
    assert _leftovers(folder) == []


def test_simulate(workflow):
    folder, _, fit = workflow
    assert fit.returncode == 0, fit.stderr
    result = _skdcl("simulate", "model.joblib", "--L", 4, "--T", "1.5:2.5:3", "--n-chains", 2,
                    "--n-sweeps", 10, "--n-equilibration", 5, "--seed", 0,
                    "--out", "table.csv", "--plot", "table.png", cwd=folder)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(folder / "table.csv")
    assert table["T"].tolist() == [1.5, 2.0, 2.5]
    assert (table["L"] == 4).all() and np.isfinite(table["energy"]).all()
    assert (folder / "table.png").read_bytes()[:4] == b"\x89PNG"
    assert "[MetropolisSimulator] T=1.5" in result.stdout
    assert _leftovers(folder) == []


def test_info(workflow):
    folder, _, fit = workflow
    assert fit.returncode == 0, fit.stderr
    result = _skdcl("info", "model.joblib", cwd=folder)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    lines = {name: value.strip() for name, value in lines.items()}
    assert lines["model"] == "DCLPipeline"
    assert lines["lattice"].startswith("4x4")
    assert lines["site variables"].startswith("Ising spins -1 or +1")
    assert (lines["T_obs"], lines["snapshots"], lines["refine"]) == ("2.5", "200", "None")
    assert lines["label set"].startswith("50 configurations")
    assert "units=4" in lines["sequence model"]
    assert "focus 2, context 1, hidden layers (4,)" in lines["EDNN"]
    assert lines["parameters"].endswith("in all")
    assert "sequence model and labels" in lines["timings"]
    assert "symmetry generators kept" in lines["symmetry"]


def test_info_plots_the_training_curves(workflow):
    folder, _, fit = workflow
    assert fit.returncode == 0, fit.stderr
    result = _skdcl("info", "model.joblib", "--plot", "training.png", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "training.png").read_bytes()[:4] == b"\x89PNG"
    again = _skdcl("info", "model.joblib", "--plot", "training.png", cwd=folder)
    assert again.returncode == 2 and "--force" in again.stderr


# ------------------------------------------------------------- bad inputs, one per command


def test_generate_refuses_option_of_another_model(tmp_path):
    result = _skdcl("generate", "ising", "--L", 4, "--T", 2, "--n", 2, "--q", 3,
                    "--out", "snaps.npy", cwd=tmp_path)
    _assert_usage_error(result, "argument --q", "ising")
    assert os.listdir(tmp_path) == []


def test_fit_refuses_flat_rows_without_shape(tmp_path):
    np.savetxt(tmp_path / "snaps.csv", np.ones((3, 16)), fmt="%d", delimiter=",")
    result = _skdcl("fit", "snaps.csv", "--T-obs", 2, "--out", "model.joblib", cwd=tmp_path)
    _assert_usage_error(result, "flat rows of 16 sites", "--shape")
    assert not (tmp_path / "model.joblib").exists()


def test_simulate_refuses_a_file_that_is_not_joblib(tmp_path):
    (tmp_path / "model.joblib").write_text("not a model\n")
    result = _skdcl("simulate", "model.joblib", "--L", 4, "--T", "2", "--out", "table.csv",
                    cwd=tmp_path)
    _assert_usage_error(result, "model.joblib", "not a joblib file")
    assert sorted(os.listdir(tmp_path)) == ["model.joblib"]


def test_info_refuses_what_is_not_a_pipeline(tmp_path):
    joblib.dump({"not": "a model"}, tmp_path / "model.joblib")
    result = _skdcl("info", "model.joblib", cwd=tmp_path)
    _assert_usage_error(result, "holds a dict, not a DCLPipeline")
    assert result.stdout == ""


# ------------------------------------------------------------------------- in one process


def _generate(path, *extra):
    """Tiny Ising snapshots (seed 0) into `path` through ``cli.main``."""
    return cli.main(["generate", "ising", "--L", "4", "--T", "3", "--n", "5", "--seed", "0",
                     "--n-equilibration", "2", "--thin", "1", "--out", str(path), *extra])


def test_generate_keeps_outputs_without_force(tmp_path, capsys):
    path = tmp_path / "snaps.npy"
    path.write_bytes(b"keep")
    with pytest.raises(SystemExit) as info:
        _generate(path)
    assert info.value.code == 2
    assert "already exist" in capsys.readouterr().err and path.read_bytes() == b"keep"
    assert _generate(path, "--force") == 0
    assert np.load(path).shape == (5, 4, 4)
    assert sorted(os.listdir(tmp_path)) == ["snaps.npy"]


def test_snapshot_formats_read_back_alike(tmp_path):
    parser = _outputs.Parser(prog="skdcl")
    for name in ("snaps.npy", "snaps.npz", "snaps.csv"):
        assert _generate(tmp_path / name) == 0
    X, sites = _data.read_snapshots(parser, str(tmp_path / "snaps.npy"))
    assert X.shape == (5, 4, 4) and sites.kind == "ising"
    npz, _ = _data.read_snapshots(parser, str(tmp_path / "snaps.npz"), key="X")
    csv, _ = _data.read_snapshots(parser, str(tmp_path / "snaps.csv"), shape=(4, 4))
    np.testing.assert_array_equal(npz, X)
    np.testing.assert_array_equal(csv, X)
    labels = tmp_path / "labels.npy"
    np.save(labels, (X > 0).astype(np.int8))  # 0/1 read as spins with --kind ising
    assert _data.read_snapshots(parser, str(labels), kind="ising")[1].encoding == "labels"
    with pytest.raises(SystemExit):
        _data.read_snapshots(parser, str(tmp_path / "snaps.npz"), key="Y")


def test_settings_reach_the_pipeline(tmp_path, capsys):
    parser, commands = cli.parsers()
    args = parser.parse_args(["fit", "x.npy", "--T-obs", "2", "--out", "m.joblib", "--kind",
                              "ising", "--quiet", "--set", "refine=None",
                              "--set", "ednn__hidden_layer_sizes=(16, 16)",
                              "--set", "rnn__symmetrize=none"])
    assert _commands.pipeline_parameters(commands["fit"], args) == {
        "verbose": 0, "random_state": None, "rnn__kind": "ising", "ednn__kind": "ising",
        "refine": None, "ednn__hidden_layer_sizes": (16, 16), "rnn__symmetrize": "none"}
    args = parser.parse_args(["fit", "x.npy", "--T-obs", "2", "--out", "m.joblib",
                              "--set", "rnn__unit=4"])
    with pytest.raises(SystemExit) as info:
        _commands.pipeline_parameters(commands["fit"], args)
    assert info.value.code == 2
    assert "'rnn__unit' is not a parameter of DCLPipeline; did you mean rnn__units" in (
        capsys.readouterr().err)


@pytest.mark.parametrize("parse, text", [
    (_arguments.lattice, "1"), (_arguments.lattice, "4x4x4"), (_arguments.lattice, "x"),
    (_arguments.temperatures, "1:2"), (_arguments.temperatures, "0:2:3"),
    (_arguments.temperatures, "a,b"), (_arguments.temperature, "nan"),
    (_arguments.setting, "novalue"), (_arguments.coupling, "1,2,3")])
def test_bad_option_values(parse, text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse(text)
