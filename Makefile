# wxhub — every target sets up what it needs (virtualenv, packages) by itself.
# Needs Python 3.11 or newer (PYTHON=python3.12 make ... picks another interpreter).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Pinned versions of every dependency: the code subclasses private internals of uvicorn and aiormq.
LOCK := constraints.txt
PY_MINOR := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# The venv's marker names the interpreter that built it; another interpreter rebuilds the venv.
VENV_MARK := $(VENV)/.python-$(PY_MINOR)
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test check lint format bench-inbound bench-outbound bench-stats bench-cs migrate smoke lock clean venv venv-run check-deploy cluster chaos haproxy promtool
.PHONY: web web-types web-types-check test-web web-screenshots chromium

$(VENV_MARK):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "wxhub needs Python 3.11 or newer; '$(PYTHON)' is $(if $(PY_MINOR),Python $(PY_MINOR),not found)." >&2; \
	  echo "Install it, or point make at one: make PYTHON=python3.11 ..." >&2; exit 1; }
	@if [ -e $(VENV) ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$(PY_MINOR)" ]; then \
	  echo "$(VENV) was built by another Python; rebuilding it with Python $(PY_MINOR)"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@rm -f $(VENV)/.python-* $(RUN_STAMP) $(DEV_STAMP)
	@touch $@

## Only what running needs.
$(RUN_STAMP): $(VENV_MARK) pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	@touch $@

## Running needs plus the test and lint tools.
$(DEV_STAMP): $(VENV_MARK) pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $@ $(RUN_STAMP)

venv-run: $(RUN_STAMP)
venv: $(DEV_STAMP)

## Start the whole platform in one process: SQLite, in-process bus, sandboxes, demo data.
run: venv-run web
	$(BIN)/wxhub dev

# pytest workers of `make test` (1: one process); each has a PostgreSQL database of its own, and
# RabbitMQ namespaces and Redis key prefixes are per test.
TEST_WORKERS ?= 2

## Unit, contract and end-to-end tests (real RabbitMQ/PostgreSQL/Redis when reachable; required with CI=true)
## on TEST_WORKERS workers; fails when total coverage drops below the floor in pyproject.toml
## ([tool.coverage.report]); then the admin app's unit and browser tests. The local-cluster test
## needs HAProxy (installed if missing).
test: venv web haproxy promtool
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=term --durations=30
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
	$(BIN)/mypy libs services sandboxes wxhub bench tests
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Production wiring on this machine: 2 replicas of every service behind HAProxy, on the local
## RabbitMQ, PostgreSQL (database wxhub_cluster) and Redis; prints the URLs, Ctrl-C stops it.
## CLUSTER_ARGS="--base-port 18000" (or WXHUB_CLUSTER_* variables) picks ports and servers.
cluster: venv-run haproxy
	$(BIN)/wxhub cluster $(CLUSTER_ARGS)

## The chaos suite: the local cluster on private RabbitMQ, PostgreSQL and Redis (free loopback ports,
## a temporary directory; the machine's own servers are never touched) under mixed load, through
## kill -9 of one replica of each service, AMQP connections closed, RabbitMQ, PostgreSQL and Redis
## restarted; a table row per fault, counted from the sandboxes' logs; exit 1 on any loss or double
## send. CHAOS_ARGS="--quick" is the CI stage (tests/e2e/test_chaos.py); "--rate 30" and "--keep".
chaos: venv-run haproxy
	$(BIN)/python -m wxhub.chaos $(CHAOS_ARGS)

## Debian packages the local cluster and the deployment checks need; apt-get as root if missing.
haproxy:
	@PATH="$$PATH:/usr/sbin:/sbin" command -v haproxy >/dev/null || $(call apt_install,haproxy)

promtool:
	@command -v promtool >/dev/null || $(call apt_install,prometheus)

apt_install = { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(1) || \
	    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(1); }; }; } || \
	  { echo "needs the Debian package $(1): apt-get install $(1) (as root)" >&2; exit 1; }

## Alert rules: promtool's syntax check and the rule unit tests in deploy/monitoring/tests.
## Installs promtool (Debian package prometheus) when missing; fails without it, never skips.
check-deploy: promtool haproxy
	promtool check rules deploy/monitoring/prometheus-rules.yaml
	promtool test rules deploy/monitoring/tests/*.yaml

migrate: venv-run
	$(BIN)/wxhub migrate

## Start `wxhub dev` on free ports, drive every front door once, stop it (what CI runs after the tests).
smoke: venv-run
	$(BIN)/python -m wxhub.smoke

## Re-resolve every dependency in a scratch venv and pin the result in $(LOCK).
lock:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make lock needs Python 3.11+" >&2; exit 1; }
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --upgrade pip
	$(VENV)-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Pinned dependency versions (runtime and dev), used as pip constraints by the Makefile and"; \
	  echo "# the Dockerfile. Generated by 'make lock' with Python $(PY_MINOR); edit pyproject.toml, not this."; \
	  $(VENV)-lock/bin/python -m pip freeze --exclude-editable; } > $(LOCK)
	rm -rf $(VENV)-lock

## Benchmarks print figures; they are not tests. Each compares wxhub with a plain peer in alternating
## rounds (docs/performance.md); ARGS="--rounds 5" or ARGS="--baseline DIR" (bench-inbound) pass options.
bench-inbound: venv
	$(BIN)/python -m bench.inbound $(ARGS)

bench-outbound: venv
	$(BIN)/python -m bench.outbound $(ARGS)

## Events at >= 10,000/s through RabbitMQ into the stats worker on PostgreSQL: ingest rate and lag.
bench-stats: venv
	$(BIN)/python -m bench.stats $(ARGS)

## Customer service at full size: 30 agents × 10 chats through gateway, engine, admin_api's socket,
## dispatcher and the WeChat API sandbox; latency p50/p99 each way and lost messages.
bench-cs: venv
	$(BIN)/python -m bench.cs $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
