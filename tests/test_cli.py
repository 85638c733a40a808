"""The ``skdcl`` command: checks of ``--out``, ``--force`` and atomic outputs."""

import os
import subprocess
import sys

import pytest

from skdcl import cli


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

    monkeypatch.setattr(cli, "_demo_exact", fake(cli._EXACT_OUTPUTS))
    monkeypatch.setattr(cli, "_demo_dcl", fake(cli._DCL_OUTPUTS))
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
    names = cli._EXACT_OUTPUTS if exact else cli._DCL_OUTPUTS
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
    _old_outputs(out, cli._DCL_OUTPUTS)
    assert cli.main(["demo", "--out", str(out), "--force"]) == 0
    assert len(fake_demos) == 1
    for name in cli._DCL_OUTPUTS:
        assert (out / name).read_bytes() == b"new " + name.encode()
    assert sorted(os.listdir(out)) == sorted(cli._DCL_OUTPUTS)
    assert "wrote" in capsys.readouterr().out


def test_creates_missing_out(tmp_path, fake_demos):
    out = tmp_path / "a" / "b"
    assert cli.main(["demo", "--out", str(out), "--exact"]) == 0
    assert sorted(os.listdir(out)) == sorted(cli._EXACT_OUTPUTS)
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
    old = _old_outputs(out, cli._DCL_OUTPUTS)
    staged = []

    def failing(folder, quick=False):
        with open(os.path.join(folder, cli._DCL_OUTPUTS[0]), "wb") as file:
            file.write(b"partial")
        staged.extend(os.listdir(folder))
        raise interruption("stop")

    monkeypatch.setattr(cli, "_demo_dcl", failing)
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
    assert staged == [cli._DCL_OUTPUTS[0]]  # the first file was written, in staging
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == old
    assert _leftovers(out) == []


def test_missing_output_is_an_error(tmp_path, monkeypatch):
    out = tmp_path / "out"
    old = _old_outputs(out, cli._EXACT_OUTPUTS)

    def incomplete(folder, quick=False):
        with open(os.path.join(folder, cli._EXACT_OUTPUTS[0]), "wb"):
            pass

    monkeypatch.setattr(cli, "_demo_exact", incomplete)
    with pytest.raises(RuntimeError, match=cli._EXACT_OUTPUTS[1]):
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
