# The two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# uv installs the exact versions in uv.lock; it is itself pinned here and comes from PyPI.
UV_VERSION := 0.13.9
UV := UV_PROJECT_ENVIRONMENT=$(abspath $(VENV)) $(VENV)/bin/uv

.PHONY: run test lint format install lock lock-check bench clean

# --frozen: install uv.lock as it is (`make lock-check` says whether it matches pyproject.toml);
# --inexact: leave pip and uv themselves in the virtualenv.
$(STAMP): pyproject.toml uv.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) sync --frozen --inexact --extra dev --quiet
	touch $(STAMP)

install: $(STAMP)

## Resolve every dependency again, to the newest versions pyproject.toml allows; review the
## diff of uv.lock (`git diff uv.lock`), run `make install test`, and commit it.
lock: $(STAMP)
	$(UV) lock --upgrade
	@echo "uv.lock updated: review 'git diff uv.lock', then 'make install test'"

## Fails when uv.lock no longer matches pyproject.toml (CI runs it; `make lock` fixes it).
lock-check: $(STAMP)
	$(UV) lock --check

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
	$(PY) -m bench.courses
	$(PY) -m bench.serialisation

clean:
	rm -rf $(VENV) var/ .pytest_cache .mypy_cache .ruff_cache
