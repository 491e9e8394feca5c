# The two set-up commands: `make run` (serve on SQLite with processes/ deployed) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The web console (web/, Vite): rebuilt when web/dist is missing or older than its sources.
CONSOLE := web/dist/index.html
CONSOLE_SOURCES := $(shell find web/src web/public web/scripts -type f 2>/dev/null) web/index.html \
	web/vite.config.ts web/tsconfig.json web/package.json web/package-lock.json
NODE_STAMP := web/node_modules/.installed

.PHONY: run test lint check bench clean console openapi

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(CONSOLE): $(NODE_STAMP) $(CONSOLE_SOURCES)
	cd web && npm run build
	touch $(CONSOLE)

console: $(CONSOLE)

# The console's API client: the service's OpenAPI document, then the TypeScript types made from it
# (tests/console/test_openapi_client.py fails when either is stale).
openapi: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m app.cli openapi --output web/src/api/openapi.json
	cd web && npm run --silent openapi:types

run: $(STAMP) $(CONSOLE)
	$(BIN)/ducha serve --demo --watch

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/ducha lint processes

# Browser tests (tests/browser) drive Debian's /usr/bin/chromium against the built console.
test: lint $(CONSOLE)
	$(BIN)/pytest -n 2 -p no:cacheprovider

check: test

bench: $(STAMP)
	$(BIN)/python -m bench.engine_bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache web/dist web/node_modules
