# wxhub — every target sets up what it needs (virtualenv, packages) by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint format bench-inbound bench-outbound migrate clean venv
.PHONY: web web-types web-types-check test-web web-screenshots chromium

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Start the whole platform in one process: SQLite, in-process bus, sandboxes, demo data.
run: venv web
	$(BIN)/wxhub dev

## Unit, contract and end-to-end tests (real RabbitMQ/PostgreSQL/Redis when reachable; required with CI=true).
test: venv web
	$(BIN)/python -m pytest
	$(MAKE) test-web

# --- the admin app (web/admin): npm ci + vite build when its sources change, stamped like the venv
WEB := web/admin
WEB_DEPS := $(WEB)/node_modules/.installed
WEB_STAMP := $(WEB)/dist/.built
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(addprefix $(WEB)/,index.html package.json vite.config.ts tsconfig.json)

web: $(WEB_STAMP)

$(WEB_DEPS): $(WEB)/package-lock.json
	@command -v npm >/dev/null || (echo "the admin app needs Node.js 20+ and npm" >&2; exit 1)
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

$(WEB_STAMP): $(WEB_DEPS) $(WEB_SOURCES)
	cd $(WEB) && npm run build && node scripts/sizes.mjs
	@touch $@

## Regenerate the app's API payload types from the admin API's OpenAPI schema (commit the result).
web-types: venv $(WEB_DEPS)
	$(BIN)/python -m services.admin_api.openapi_schema var/admin-openapi.json
	cd $(WEB) && npx openapi-typescript ../../var/admin-openapi.json -o src/api/schema.d.ts

## Fails when the committed types no longer match the API (run `make web-types`).
web-types-check: venv $(WEB_DEPS)
	$(BIN)/python -m services.admin_api.openapi_schema var/admin-openapi.json
	cd $(WEB) && npx openapi-typescript ../../var/admin-openapi.json -o ../../var/admin-schema.d.ts
	@diff -q var/admin-schema.d.ts $(WEB)/src/api/schema.d.ts >/dev/null || \
	  (echo "web/admin/src/api/schema.d.ts is stale: run make web-types" >&2; exit 1)

## Debian's chromium drives the browser tests (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium fonts-wqy-microhei)

## Front-end unit tests (Vitest) and browser tests (playwright-core + chromium against wxhub dev).
test-web: venv web web-types-check chromium
	cd $(WEB) && npx vitest run
	cd $(WEB) && WXHUB_PYTHON=$(abspath $(BIN))/python node e2e/run.mjs

## Refresh the README's screenshots (docs/screenshots/) from a browser-test run.
web-screenshots: venv web chromium
	cd $(WEB) && WXHUB_PYTHON=$(abspath $(BIN))/python WXHUB_E2E_SCREENSHOTS=1 node e2e/run.mjs

## ruff, mypy and import-linter (services never import each other).
check: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy libs services sandboxes wxhub bench
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
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
