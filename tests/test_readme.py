"""The README's code runs as written, at reduced sizes.

Every ```python block of README.md belongs to one group below; the blocks of a group run in
order in one namespace, as a reader would paste them. The sizes of a real job (snapshots,
temperatures, folds, grid candidates) are replaced by small ones through ``REDUCTIONS``, pairs of
README text and the text run instead; a pair whose text is no longer in the README fails the test,
so the reductions cannot silently stop applying. Training and Monte Carlo lengths, which the README
leaves at their defaults, are shortened by the ``small_jobs`` fixture: ``DCLPipeline.fit`` first
sets ``SMALL_FIT`` and ``MetropolisSimulator.thermodynamics`` takes ``SMALL_RUN`` for the
settings a call does not pass; ``n_jobs`` runs on joblib's threading backend rather than in
worker processes. Nothing else of a block is changed.

The ``skdcl`` commands of the ```bash blocks run in a subprocess (``python -m skdcl``) with
``COMMAND_REDUCTIONS``; the other shell lines name make targets and benchmark scripts, which
must exist. The groups that train several models run in the slow suite; the grid search of the
quick start (the temperature given per snapshot) and the parallel Monte Carlo run
(``n_jobs``) run in the default one, the former with ``refine="scale"`` (see
``FAST_FIT_GROUPS``) and again as written in the slow suite.
"""

import os
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

#: Each group of python blocks, as a line identifying each of its blocks, in README order.
GROUPS = {
    "quick start": ("dcl = DCLPipeline(random_state=0, verbose=1).fit(X, 4.0)",
                    "search = GridSearchCV("),
    "unknown symmetry": ("X = make_snapshots(IsingModel(J=(1.0, 0.5), h=0.3)",),
    "spin glass": ("glass = EdwardsAndersonModel(",),
    "exact Monte Carlo": ("simulator = MetropolisSimulator(IsingModel(), n_jobs=2",),
}
#: Groups that train several models: slow suite.
SLOW_GROUPS = {"unknown symmetry", "spin glass"}
#: Groups the default suite runs with ``refine="scale"``, skipping the window interactions
#: (about ten seconds of CPU per fit even at these sizes); the slow suite runs them as written.
FAST_FIT_GROUPS = {"quick start"}

#: (README text, text run instead) per group.
REDUCTIONS = {
    "quick start": [
        ("n_samples=100_000", "n_samples=2_000"),
        ("np.linspace(1.5, 4.0, 26)", "np.linspace(1.5, 4.0, 3)"),
        ('{"ednn__focus": [1, 2], "ednn__context": [0, 1, 2]}, cv=3',
         '{"ednn__focus": [2], "ednn__context": [0, 1]}, cv=2'),
    ],
    "unknown symmetry": [("n_samples=100_000", "n_samples=2_000")],
    "spin glass": [("n_samples=100_000", "n_samples=1_000")],
    "exact Monte Carlo": [("n_samples=10_000", "n_samples=200"),
                          ("np.linspace(1.5, 3.5, 21)", "np.linspace(1.5, 3.5, 3)")],
}

#: Parameters every DCLPipeline.fit of the README takes first (a few seconds per fit).
SMALL_FIT = {"n_labels": 600, "rnn__epochs": 1, "rnn__units": 8, "rnn__layers": 1,
             "ednn__epochs": 2, "ednn__hidden_layer_sizes": (8,), "refine_epochs": 1}
#: Monte Carlo settings of thermodynamics() where a call does not give them.
SMALL_RUN = {"n_chains": 4, "n_sweeps": 200, "n_equilibration": 100}

#: (argument text in the README, text run instead) of the skdcl commands.
COMMAND_REDUCTIONS = [
    ("--n 100000", "--n 300"),
    ("--T-obs 4 --seed 0",
     "--T-obs 4 --seed 0 --set n_labels=600 --set rnn__epochs=1 --set rnn__units=8 "
     "--set ednn__epochs=2 --set ednn__hidden_layer_sizes=(8,)"),
    ("--T 1.5:4:26", "--T 1.5:4:3 --n-chains 4 --n-sweeps 100 --n-equilibration 50"),
]


def readme_blocks(language):
    """The code blocks of the README in one language, in order."""
    return [code for lang, code in FENCE.findall(README.read_text()) if lang == language]


def group_blocks(group):
    """The python blocks of a group, each found by its identifying line."""
    blocks = readme_blocks("python")
    found = []
    for line in GROUPS[group]:
        matching = [block for block in blocks if line in block]
        assert len(matching) == 1, f"{len(matching)} README python blocks hold {line!r}"
        found.append(matching[0])
    return found


def reduced(blocks, reductions):
    """The blocks with every reduction applied; each must apply to one of them at least."""
    for text, replacement in reductions:
        assert any(text in block for block in blocks), (
            f"the README no longer holds {text!r}; update the reductions")
        blocks = [block.replace(text, replacement) for block in blocks]
    return blocks


@pytest.fixture
def small_jobs(monkeypatch, tmp_path):
    """Short fits and Monte Carlo runs, in a scratch working directory, warnings tolerated."""
    from skdcl import MetropolisSimulator
    from skdcl.pipeline import DCLPipeline

    fit, thermodynamics = DCLPipeline.fit, MetropolisSimulator.thermodynamics

    def small_fit(self, X, y):
        self.set_params(**SMALL_FIT)
        return fit(self, X, y)

    def short_thermodynamics(self, temperatures, L, **kwargs):
        return thermodynamics(self, temperatures, L, **{**SMALL_RUN, **kwargs})

    monkeypatch.setattr(DCLPipeline, "fit", small_fit)
    monkeypatch.setattr(MetropolisSimulator, "thermodynamics", short_thermodynamics)
    monkeypatch.chdir(tmp_path)
    # threads: worker processes would spend the test's time importing and compiling
    with warnings.catch_warnings(), parallel_config(backend="threading"):
        warnings.simplefilter("ignore")  # too few snapshots, unconverged short chains
        yield tmp_path


def run_group(group):
    namespace = {"__name__": "__readme__"}
    for index, block in enumerate(reduced(group_blocks(group), REDUCTIONS[group])):
        exec(compile(block, f"README.md [{group}, block {index}]", "exec"), namespace)
    return namespace


def check_quick_start(ns):
    assert ns["E"].shape == (10,) and np.all(np.isfinite(ns["E"]))
    table = ns["table"]
    assert len(table) == 3 and {"energy", "energy_err", "specific_heat"} <= set(table.columns)
    np.testing.assert_allclose(ns["exact"]["T"], table["T"])
    search = ns["search"]
    assert set(search.best_params_) == {"ednn__focus", "ednn__context"}
    assert len(search.cv_results_["params"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert Path("cache").is_dir() and any(Path("cache").rglob("*")), "memory= cached nothing"


def check_unknown_symmetry(ns):
    assert ns["dcl"].symmetry_.describe()


def check_spin_glass(ns):
    dcl = ns["dcl"]
    assert dcl.refine_ == "all" and dcl.ednn_.shared is False
    assert np.all(np.isfinite(dcl.predict(ns["X"][:5])))


def check_exact_monte_carlo(ns):
    X, table, exact = ns["X"], ns["table"], ns["exact"]
    assert X.shape == (200, 8, 8) and X.dtype == np.int8
    assert len(table) == 3
    # short chains, but the exact energy per spin is still within a few hundredths
    deviation = np.abs(table["energy"].to_numpy() - exact["energy"].to_numpy())
    assert np.all(deviation < 0.05 + 5 * table["energy_err"].to_numpy()), deviation


CHECKS = {"quick start": check_quick_start, "unknown symmetry": check_unknown_symmetry,
          "spin glass": check_spin_glass, "exact Monte Carlo": check_exact_monte_carlo}


def test_every_python_block_belongs_to_one_group():
    blocks = readme_blocks("python")
    assert blocks, "the README has no python blocks"
    owners = {index: [group for group, lines in GROUPS.items()
                      if any(line in block for line in lines)]
              for index, block in enumerate(blocks)}
    orphans = {index: groups for index, groups in owners.items() if len(groups) != 1}
    assert not orphans, f"python blocks in no group or several (index: groups): {orphans}"
    assert set(CHECKS) == set(GROUPS) == set(REDUCTIONS)


@pytest.mark.parametrize("group", [pytest.param(group, marks=pytest.mark.slow)
                                   if group in SLOW_GROUPS else group for group in GROUPS])
def test_python_blocks_run(group, small_jobs, monkeypatch):
    if group in FAST_FIT_GROUPS:
        monkeypatch.setitem(SMALL_FIT, "refine", "scale")
    CHECKS[group](run_group(group))


@pytest.mark.slow
@pytest.mark.parametrize("group", sorted(FAST_FIT_GROUPS))
def test_python_blocks_run_with_default_refinement(group, small_jobs):
    CHECKS[group](run_group(group))


def test_a_wrong_block_fails(small_jobs, monkeypatch):
    """The harness reports an error of a block rather than passing over it."""
    monkeypatch.setitem(REDUCTIONS, "exact Monte Carlo",
                        REDUCTIONS["exact Monte Carlo"] + [("L=16)", "L=16, n_jobs=2)")])
    with pytest.raises(TypeError, match="n_jobs"):
        run_group("exact Monte Carlo")


# -- shell blocks ---------------------------------------------------------------------------


def shell_lines():
    """Every command line of the README's bash blocks, comments removed."""
    lines = []
    for block in readme_blocks("bash"):
        lines += [shlex.split(line, comments=True) for line in block.splitlines()]
    return [words for words in lines if words]


def skdcl_commands():
    commands = []
    for words in shell_lines():
        if words[0] == "skdcl":
            text = " ".join(words[1:])
            for old, new in COMMAND_REDUCTIONS:
                text = text.replace(old, new)
            commands.append(shlex.split(text))
    return commands


def run_skdcl(arguments, cwd):
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-m", "skdcl", *arguments], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"skdcl {' '.join(arguments)} exited with {result.returncode}\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result.stdout


def test_command_reductions_apply():
    text = "\n".join(" ".join(words) for words in shell_lines())
    for old, _ in COMMAND_REDUCTIONS:
        assert old in text, f"the README no longer holds {old!r}; update COMMAND_REDUCTIONS"
    assert [words[0] for words in skdcl_commands()] == [
        "--version", "generate", "fit", "simulate", "info"]


def test_other_shell_lines_name_existing_targets_and_scripts():
    makefile = (ROOT / "Makefile").read_text()
    for words in shell_lines():
        if words[0] == "make":
            assert re.search(rf"^{re.escape(words[1])}:", makefile, re.MULTILINE), words
        elif words[0].endswith("python"):
            script = ROOT / words[1]
            assert script.is_file(), words
            for argument in words[2:]:
                assert f'"{argument}"' in script.read_text(), (
                    f"{words[1]} has no command {argument!r}")
        else:
            assert words[0] == "skdcl", f"a README shell line the tests do not know: {words}"


def test_version_and_generate_commands(tmp_path):
    import skdcl

    commands = {words[0]: words for words in skdcl_commands()}
    assert run_skdcl(commands["--version"], tmp_path).strip() == f"skdcl {skdcl.__version__}"
    run_skdcl(commands["generate"], tmp_path)
    X = np.load(tmp_path / "snaps.npy")
    assert X.shape == (300, 8, 8) and X.dtype == np.int8
    assert set(np.unique(X)) <= {-1, 1}


@pytest.mark.slow
def test_every_command_runs_in_order(tmp_path):
    outputs = [run_skdcl(arguments, tmp_path) for arguments in skdcl_commands()]
    table = pd.read_csv(tmp_path / "table.csv")
    assert len(table) == 3 and "energy_err" in table.columns
    assert (tmp_path / "table.png").stat().st_size > 0
    assert "T_obs" in outputs[-1]


def test_relative_links_and_images_exist():
    targets = re.findall(r"\]\((?!https?://|#)([^)\s]+)\)", README.read_text())
    assert any(target.endswith(".png") for target in targets), "the README shows no figure"
    for target in targets:
        path = ROOT / target
        assert path.exists(), f"README links to {target}, which does not exist"
        if path.suffix == ".png":
            assert path.stat().st_size < 150_000, f"{target} is larger than 150 kB"
