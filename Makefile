# One-command entry points (see README). The virtual environment is built from pyproject.toml.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup serve test bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

serve: setup
	$(BIN)/rodimus-lsp serve

test: setup
	sh scripts/install-test-deps.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider
