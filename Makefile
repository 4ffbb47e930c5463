# The two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint format install bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Set up, migrate, load demo data when empty, and run every service until Ctrl-C.
run: $(STAMP)
	$(VENV)/bin/clinic dev

## The whole test suite (SQLite; PostgreSQL too where TEST_DATABASE_URL is set).
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Benchmarks, run by hand; each prints a table with its ceiling measured in the same run.
bench: $(STAMP)
	$(PY) -m bench.availability
	$(PY) -m bench.feeds
	$(PY) -m bench.bookings
	$(PY) -m bench.serialisation

clean:
	rm -rf $(VENV) var/ .pytest_cache .mypy_cache .ruff_cache
