# The commands people type. `make serve` and `make test` work on a fresh clone:
# they create the virtual environment and install the project first.
VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8080
BIN := $(VENV)/bin
# Two installs, each with its stamp: `make serve` needs the base package only (the mock and
# its CLI), everything else the dev extra (the suite, test and lint tools, the browser
# driver, the client generators). A venv that has the dev extra serves as it is.
STAMP := $(VENV)/.installed
BASE_STAMP := $(VENV)/.installed-base
SERVE_STAMP := $(if $(wildcard $(STAMP)),$(STAMP),$(BASE_STAMP))
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: install serve test lint format typecheck contract bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[dev]'
	touch $(STAMP)

$(BASE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $(BASE_STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

serve: $(SERVE_STAMP) ## serve the mock with its built-in fixtures on http://$(HOST):$(PORT)
	$(BIN)/campaign-mock serve --host $(HOST) --port $(PORT) $(ARGS)

# Most tests wait on sped-up clocks and servers, not on the CPU: four workers cut the run to
# about a third on two cores. `make test PYTEST_ARGS=` runs them in one process.
PYTEST_ARGS ?= -n 4

test: $(STAMP) ## the import rules (ARCHITECTURE.md), then the whole test suite
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, and the import rules of ARCHITECTURE.md (import-linter)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contract: $(STAMP) ## run the contract suite against a server: make contract URL=... CONFIG=...
	$(BIN)/campaign-contract run --base-url $(URL) --config $(CONFIG) $(ARGS)

BENCH ?= http_throughput sending plugin_overhead

bench: $(STAMP) ## the benchmarks (make bench BENCH=sending); each prints ratios against a baseline
	for name in $(BENCH); do $(BIN)/python bench/$$name.py $(ARGS) || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
