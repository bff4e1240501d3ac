# mloop developer tasks. `make test` is what CI runs (through .ci/run).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LINT_PATHS := $(wildcard src tests benchmarks scripts)
PYTEST_ARGS ?=

.PHONY: venv demo lint test bench clean distclean constraints

venv: $(VENV)/.stamp-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes, so reruns are instant.
$(VENV)/.stamp-dev: pyproject.toml constraints/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints/dev.txt -e '.[dev]'
	touch $@

$(VENV)/.stamp-demo: pyproject.toml constraints/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints/dev.txt -e '.[sklearn,quality,features,serve,server]'
	touch $@

# Refresh the known-good versions from the current dev venv (after upgrading dependencies).
constraints: venv
	{ sed -n '1,2p' constraints/dev.txt; $(BIN)/pip freeze | grep -vE '^(-e |mloop)'; } > constraints/dev.txt.new
	mv constraints/dev.txt.new constraints/dev.txt

demo: $(VENV)/.stamp-demo
	$(BIN)/mloop demo

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy

test: venv
	scripts/services.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -q --durations=15 $(PYTEST_ARGS)

bench: venv
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache .mypy_cache src/*.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
