"""Print the requirements of skdcl with TensorFlow's CPU wheel in place of ``tensorflow``.

``make`` installs these, then the package itself without dependencies, so that test machines
get the smaller CPU-only wheel while ``pip install skdcl`` gets ``tensorflow``.

Usage: ``python .ci/requirements.py [EXTRA ...]``
"""

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CPU_WHEEL = "tensorflow-cpu"


def requirements(extras):
    """The base requirements plus those of ``extras``, with ``tensorflow`` as its CPU wheel."""
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    optional = project["optional-dependencies"]
    unknown = [extra for extra in extras if extra not in optional]
    if unknown:
        raise SystemExit(f"unknown extras {unknown}; known: {sorted(optional)}")
    listed = list(project["dependencies"]) + [r for extra in extras for r in optional[extra]]
    return [re.sub(r"^tensorflow(?=[<>=!~ ;]|$)", CPU_WHEEL, r) for r in listed]


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1:])))
