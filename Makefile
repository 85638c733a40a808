# The two commands of the README: `make demo` and `make test`. Both create .venv if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= 2

.PHONY: demo test test-slow bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python .ci/requirements.py test > $(VENV)/requirements-cpu.txt
	$(BIN)/python -m pip install --quiet -r $(VENV)/requirements-cpu.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m skdcl.cli demo --out out --force

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -v

BENCHMARKS := bench_montecarlo.py "bench_rnn.py throughput" "bench_rnn.py ising" \
	"bench_rnn.py potts" "bench_ednn.py accuracy" "bench_ednn.py thermo" "bench_ednn.py potts" \
	"bench_ednn.py grid" "bench_ednn.py speed" "bench_pipeline.py ising" \
	"bench_pipeline.py mix" "bench_pipeline.py potts" "bench_pipeline.py glass" \
	"bench_rnn.py checks" "bench_generality.py all" "bench_generality.py potts7"

# Every benchmark of docs/benchmarks.rst with its default settings (hours on 2 cores)
bench: $(STAMP)
	for command in $(BENCHMARKS); do $(BIN)/python benchmarks/$$command || exit 1; done

docs: $(STAMP)
	$(BIN)/python .ci/requirements.py docs > $(VENV)/requirements-docs.txt
	$(BIN)/python -m pip install --quiet -r $(VENV)/requirements-docs.txt
	$(BIN)/python -m sphinx -b html docs docs/_build/html

clean:
	rm -rf $(VENV) out docs/_build docs/auto_examples *.egg-info
