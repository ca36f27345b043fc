# Quick start: `make demo` (install into .venv, run the demo offline) and `make test` (dev install, lint, tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint format bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[langchain]"
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(PY) -m langroute demo

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

$(VENV)/.bench-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev,bench]"
	touch $@ $(VENV)/.dev-installed $(VENV)/.demo-installed

# Routing overhead side by side with the alternatives (a few minutes; see benchmarks/README.md).
bench: $(VENV)/.bench-installed
	$(PY) benchmarks/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
