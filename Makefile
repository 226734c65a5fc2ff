# One task runner. `make help` lists the tasks.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: help install test test-pg lint format typecheck schema serve ci bench bench-http bench-quick

help:
	@echo "install    create $(VENV) and install techsov with its dev tools"
	@echo "test       run the test suite on SQLite"
	@echo "test-pg    run the test suite on PostgreSQL (TEST_DATABASE_URL, default local server)"
	@echo "lint       ruff check and format check"
	@echo "format     ruff format and fix"
	@echo "typecheck  mypy --strict"
	@echo "schema     regenerate seed/schema/ from the models"
	@echo "serve      serve the seeded API on http://127.0.0.1:8000/v1"
	@echo "bench      measure loading (bench/README.md)"
	@echo "bench-http the Scale benchmark: 10k, 100k, 1M beside Datasette and the ceiling (bench/run, ~20 minutes)"
	@echo "bench-quick the same at 10k only (bench/run --quick, about three minutes)"
	@echo "ci         what CI runs: .ci/run"

$(BIN)/techsov:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'

install: $(BIN)/techsov

test: install
	$(BIN)/pytest -q

test-pg: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy app tests migrations

schema: install
	$(BIN)/techsov seed schema --to seed/schema

serve: install
	$(BIN)/techsov serve

bench: install
	$(BIN)/python bench/load_seed.py

bench-http: install
	bench/run $(BENCH_ARGS)

bench-quick: install
	bench/run --quick $(BENCH_ARGS)

ci:
	bash .ci/run
