# oncelink: `make run` starts the app, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive the system's Chromium; Playwright never downloads one of its own.
CHROMIUM := /usr/bin/chromium
# The benchmarks' load generator, from Debian's package.
WRK := /usr/bin/wrk

.PHONY: run test lint bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/oncelink serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy quart_app

$(CHROMIUM):
	apt-get update -qq
	apt-get install -y --no-install-recommends chromium

$(WRK):
	apt-get update -qq
	apt-get install -y --no-install-recommends wrk

test: lint $(CHROMIUM) $(WRK)
	$(BIN)/pytest

# Retake the README's screenshots (docs/screenshots/*.png) with the browser tests.
screenshots: $(STAMP) $(CHROMIUM)
	ONCELINK_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/test_browser.py

bench: $(STAMP) $(WRK)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
