# oncelink: `make run` starts the app, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint servers api-check bench bench-smoke screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/oncelink serve

# Style, types, the architecture's import contracts (pyproject.toml), and dead code.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy quart_app
	$(BIN)/lint-imports
	$(BIN)/vulture

# The tests start their own PostgreSQL and Redis and drive the system's Chromium; this
# installs the Debian packages once.
servers:
	scripts/install-test-servers.sh

# Two test processes: much of the suite waits on servers it started, not on the CPU.
test: lint servers
	$(BIN)/pytest -n 2 -m "not bench_smoke"

# Every benchmark once at a tiny size: proves the scripts still run; the figures mean nothing.
bench-smoke: $(STAMP) servers
	$(BIN)/pytest -n 2 -m bench_smoke tests/test_bench.py

# The API against its own OpenAPI document, by schemathesis: 1,000 examples per operation, for
# releases (`make test` runs the same test with a few).
api-check: $(STAMP)
	ONCELINK_API_CHECK_EXAMPLES=1000 $(BIN)/pytest -q -rP tests/test_api_schemathesis.py

# Retake the README's screenshots (docs/screenshots/*.png) with the browser tests.
screenshots: $(STAMP) servers
	ONCELINK_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/test_browser.py tests/test_browser_admin.py \
		tests/test_browser_audit.py tests/test_browser_requests.py

bench: $(STAMP) servers
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
