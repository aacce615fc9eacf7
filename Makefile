# wxhub — every target sets up what it needs (virtualenv, packages) by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint format bench-inbound bench-outbound migrate clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Start the whole platform in one process: SQLite, in-process bus, sandboxes, demo data.
run: venv
	$(BIN)/wxhub dev

## Unit, contract and end-to-end tests (real RabbitMQ/PostgreSQL/Redis when reachable; required with CI=true);
## fails when total coverage drops below the floor in pyproject.toml ([tool.coverage.report]).
test: venv
	$(BIN)/python -m pytest --cov --cov-report=term

## ruff, mypy and import-linter (services never import each other).
check: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy libs services sandboxes wxhub bench tests
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: venv
	$(BIN)/wxhub migrate

## Benchmarks print figures; they are not tests.
bench-inbound: venv
	$(BIN)/python -m bench.inbound

bench-outbound: venv
	$(BIN)/python -m bench.outbound

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
