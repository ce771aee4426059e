# mentionwatch: the two commands are `make demo` and `make test`.
# Both create the virtual environment on first use; nothing needs installing by hand
# beyond Python 3.11 and, for the Pub/Sub emulator, the Google Cloud CLI with Java.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= configs/demo.yaml
PYTEST_ARGS ?=

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

# checkov (tests/infra) has dependencies that clash with Beam's: it lives in its own
# virtual environment, pinned.
INFRA_VENV ?= .venv-infra
CHECKOV_VERSION := 3.3.30
INFRA_STAMP := $(INFRA_VENV)/.installed-checkov-$(CHECKOV_VERSION)

.PHONY: install infra-tools demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,train,postgres,gcp]'
	touch $(STAMP)

install: $(STAMP)

$(INFRA_STAMP):
	$(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(INFRA_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(INFRA_STAMP)

infra-tools: $(INFRA_STAMP)

demo: $(STAMP)
	$(BIN)/mentionwatch demo $(CONFIG)

test: $(STAMP) $(INFRA_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) $(INFRA_STAMP)
	$(BIN)/python -m pytest -m "not integration and not model and not slow" $(PYTEST_ARGS)

# Ruff's checks (the rules pyproject.toml enables) and its formatter, and the structure
# check (no import cycles, no private names across modules, module and function sizes);
# .ci/run runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks pipelines
	$(BIN)/ruff format --check src tests benchmarks pipelines
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit/test_code_structure.py

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(INFRA_VENV) build dist src/*.egg-info .pytest_cache mentionwatch-demo.db demo-out
