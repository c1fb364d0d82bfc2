# `make test` and `make run` work on a fresh checkout: they build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install test run serve postgres redis clients chromium wrk npm postgraphile bench bench-scale lint schema clean check

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

postgres:
	bash .ci/ensure-postgres

redis:
	bash .ci/ensure-redis

# The npm clients the suite drives (graphql-ws; Apollo Client, urql, Relay), from their locks.
clients: npm
	test -d tests/clients/node_modules/graphql-ws || (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
	test -d tests/clients/apollo/node_modules/@apollo/client || (cd tests/clients/apollo && npm ci --no-audit --no-fund --loglevel=error)
	test -d tests/clients/urql/node_modules/@urql/exchange-graphcache || (cd tests/clients/urql && npm ci --no-audit --no-fund --loglevel=error)
	test -d tests/clients/relay/node_modules/relay-compiler || (cd tests/clients/relay && npm ci --no-audit --no-fund --loglevel=error)

chromium:
	bash .ci/ensure-chromium

wrk:
	bash .ci/ensure-wrk

npm:
	bash .ci/ensure-npm

# PostGraphile, the benchmark's peer, from the npm registry into bench/postgraphile/
# (npm ci of its lock; nothing to do when that lock is installed already).
postgraphile: install npm
	$(BIN)/python -m bench.peer

test: install postgres redis clients chromium wrk postgraphile
	$(BIN)/python -m pytest

# The benchmark (README, "Benchmark"): seeds the concierge_bench database, then
# loads Concierge, the naive baseline, PostGraphile and the floor; results go to
# bench/results/.
bench: install postgres wrk postgraphile
	$(BIN)/python -m bench $(BENCH_ARGS)

# The same benchmark over ten times the messages (database concierge_bench_10x):
# per-request costs are to stay flat as the data grows.
bench-scale: install postgres wrk postgraphile
	$(BIN)/python -m bench --size bench-10x --no-profile \
		--database-url postgresql://postgres@127.0.0.1:5432/concierge_bench_10x $(BENCH_ARGS)

run serve: install
	$(BIN)/concierge serve --host $(HOST) --port $(PORT)

check: install
	$(BIN)/concierge check

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy persistence gql

schema: install
	$(BIN)/concierge export-schema

clean:
	rm -rf $(VENV) .pytest_cache concierge.db concierge.db-wal concierge.db-shm concierge-files
