# Remissagenten: the two commands of the README ("Kom igång") live here.
#   make run   sets everything up and runs the main job on the embedded (offline) defaults
#   make test  sets everything up and runs the checks and tests (what CI runs: .ci/run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test setup lint bench clean-venv

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/remiss index build
	$(BIN)/remiss index status
	$(BIN)/remiss search "Får kommunen ta hand om uppgifter som staten ansvarar för?" --k 3

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

clean-venv:
	rm -rf $(VENV)
