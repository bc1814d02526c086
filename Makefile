# Two commands do everything on a fresh Debian machine:
#   make run    set up, migrate, load the demo plan, serve http://127.0.0.1:8000
#   make test   set up (with PostgreSQL, Chromium, poppler) and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MPLCONFIGDIR := $(CURDIR)/data/mplconfig

.PHONY: run test lint setup setup-test compile bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The editable install leaves the app's own modules uncompiled; where PYTHONDONTWRITEBYTECODE
# is set (containers, CI) every command would compile them again (~0.15 s per process).
compile:
	$(BIN)/python -m compileall -q tracker

setup: $(VENV)/.installed compile
	bash scripts/system-packages.sh run

setup-test: $(VENV)/.installed compile
	bash scripts/system-packages.sh test

run: setup
	$(BIN)/tracker demo load
	$(BIN)/tracker serve --host 127.0.0.1 --port 8000

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: setup-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data
