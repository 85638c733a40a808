"""The gallery: every example runs to the end in its reduced mode (slow, a minute or two each)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))
TIMEOUT = 900


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_in_quick_mode(path, tmp_path):
    env = dict(os.environ, SKDCL_QUICK_EXAMPLES="1", MPLBACKEND="Agg")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, (
        f"{path.name} exited with {result.returncode}\n"
        f"--- stdout (end) ---\n{result.stdout[-3000:]}\n"
        f"--- stderr (end) ---\n{result.stderr[-3000:]}")


def test_every_example_has_a_title_and_supports_quick_mode():
    assert EXAMPLES, f"no examples found in {EXAMPLES_DIR}"
    for path in EXAMPLES:
        text = path.read_text()
        assert text.startswith('"""\n'), f"{path.name} must open with a reST docstring title"
        assert "SKDCL_QUICK_EXAMPLES" in text, f"{path.name} ignores SKDCL_QUICK_EXAMPLES"
        assert "# %%" in text, f"{path.name} has no cells"
