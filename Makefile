# `make test` and `make run` work on a fresh checkout: they build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install test run serve postgres lint schema clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

postgres:
	bash .ci/ensure-postgres

test: install postgres
	$(BIN)/python -m pytest

run serve: install
	$(BIN)/concierge serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

schema: install
	$(BIN)/concierge export-schema

clean:
	rm -rf $(VENV) .pytest_cache concierge.db concierge.db-wal concierge.db-shm
