# One-command entry points (see README). The virtual environment is built from pyproject.toml.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-bench serve test

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Benchmarks need more (matplotlib, jedi, the MiniLM search anchor); the server and the tests do not.
setup-bench: $(VENV)/.installed-bench

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

serve: setup
	$(BIN)/rodimus-lsp serve

test: setup
	sh scripts/install-test-deps.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider
