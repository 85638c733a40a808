"""The API page lists every public class and function, and only names that exist.

A public module is any module of the package whose path has no component starting with an
underscore, the command line (``skdcl.cli``, documented in the README and the user guide) aside.
Every class or function in the ``__all__`` of a public module must be listed in
``docs/api.rst``, under its own name or under a name that imports the same object (a name
re-exported by ``skdcl`` or a subpackage counts once). Constants are not required.
"""

import doctest
import importlib
import pkgutil
import re
import types
from pathlib import Path

import pytest

import skdcl

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api.rst"
GUIDE = ROOT / "docs" / "user_guide"

#: Modules not documented on purpose.
UNDOCUMENTED_MODULES = {"skdcl.cli"}

def api_entries():
    """The names of the autosummary blocks of the API page, relative to ``skdcl``."""
    text = API.read_text()
    assert ".. currentmodule:: skdcl\n" in text
    entries = []
    for block in re.findall(r"^\.\. autosummary::\n((?:[ \t]+\S.*\n|\n)+)", text, re.MULTILINE):
        entries += [line.strip() for line in block.splitlines()
                    if line.strip() and not line.strip().startswith(":")]
    return entries


def resolve(name):
    """The object ``skdcl.<name>``, importing submodules on the way."""
    obj, path = skdcl, "skdcl"
    for part in name.split("."):
        path = f"{path}.{part}"
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(path)
    return obj


def public_modules():
    names = ["skdcl"] + [info.name for info in
                         pkgutil.walk_packages(skdcl.__path__, prefix="skdcl.")]
    return [name for name in names
            if not any(part.startswith("_") for part in name.split(".")[1:])
            and not any(name == skip or name.startswith(skip + ".")
                        for skip in UNDOCUMENTED_MODULES)]


def test_every_api_entry_exists():
    entries = api_entries()
    assert len(entries) > 20
    duplicates = {name for name in entries if entries.count(name) > 1}
    assert not duplicates, f"listed twice in docs/api.rst: {sorted(duplicates)}"
    for name in entries:
        resolve(name)


@pytest.mark.parametrize("module_name", public_modules())
def test_public_names_are_in_the_api_page(module_name):
    module = importlib.import_module(module_name)
    documented = {id(resolve(name)) for name in api_entries()}
    missing = []
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType) or not callable(obj):
            continue  # constants need no page of their own
        if id(obj) not in documented:
            missing.append(name)
    assert not missing, f"{module_name}.__all__ names missing from docs/api.rst: {missing}"


def test_user_guide_and_developer_guide_are_in_the_toctree():
    index = (ROOT / "docs" / "index.rst").read_text()
    for page in ("user_guide/index", "api", "auto_examples/index", "dev/index"):
        assert re.search(rf"^\s+{re.escape(page)}$", index, re.MULTILINE), page
    guide = (ROOT / "docs" / "user_guide" / "index.rst").read_text()
    pages = re.findall(r"^\s{3}(\w+)$", guide, re.MULTILINE)
    assert pages, "the user guide lists no pages"
    for page in pages:
        assert (ROOT / "docs" / "user_guide" / f"{page}.rst").is_file(), page


@pytest.mark.parametrize("page", sorted(GUIDE.glob("*.rst")), ids=lambda page: page.stem)
def test_user_guide_examples_run(page):
    """The ``>>>`` examples of the user guide (docs/user_guide is outside the doctest paths)."""
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS,
                              raise_on_error=False, verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) of {page.name} failed (see stdout)"


def test_user_guide_has_examples():
    assert sum(page.read_text().count(">>> ") for page in GUIDE.glob("*.rst")) >= 5
