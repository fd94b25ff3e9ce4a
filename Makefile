# Two commands on a fresh machine: `make demo` and `make test`. Each builds its own virtualenv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080

.PHONY: demo test lint typecheck check clean bench translations
SCALE ?= full

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(BIN)/.installed-bench: $(BIN)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# Every figure of DESIGN.md's "Numbers it must reach": docs/benchmarks.md and bench/results.json.
# SCALE=small: the same scenarios on 24 municipal nodes, for development (writes *-small files).
bench: $(BIN)/.installed-bench
	bench/install-tools.sh
	$(BIN)/python -m bench.run --scale $(SCALE)

demo: $(BIN)/.installed
	$(BIN)/sportnode demo --federation --port $(PORT)

# axe-core for the browser tests (tests/pages), pinned by tests/browser-deps/package-lock.json; like the
# validators below, installed again only when the lock file changes, and a failed `npm ci` is reported.
BROWSER_DEPS := tests/browser-deps/node_modules/.installed
$(BROWSER_DEPS): tests/browser-deps/package-lock.json
	@if (cd tests/browser-deps && $(NPM) ci --no-audit --no-fund --loglevel=error); then touch $@; \
	else echo "make: npm ci in tests/browser-deps failed; the axe checks in tests/pages will fail" >&2; fi

# OpenActive's validators (npm) for tests/test_rpde_validators.py, pinned by its package-lock.json: installed
# again only when the lock file changes (the stamp lives in node_modules, so deleting that folder resets it).
# Without npm nothing is installed and those tests skip; a failed `npm ci` (offline?) is reported and the
# suite still runs, where those tests then fail with the same advice.
NPM ?= $(shell command -v npm)
OPENACTIVE := tests/openactive
OPENACTIVE_STAMP := $(OPENACTIVE)/node_modules/.installed-from-lock

$(OPENACTIVE_STAMP): $(OPENACTIVE)/package-lock.json
	@if (cd $(OPENACTIVE) && $(NPM) ci --no-audit --no-fund --loglevel=error); then touch $@; \
	else echo "make: npm ci in $(OPENACTIVE) failed; tests/test_rpde_validators.py will fail" >&2; fi

test: $(BIN)/.installed $(if $(NPM),$(BROWSER_DEPS) $(OPENACTIVE_STAMP))
	$(BIN)/python -m pytest -q

# The English catalogue of the pages: new Dutch texts added, dropped ones removed, untranslated ones listed.
translations: $(BIN)/.installed
	$(BIN)/python tools/translations.py

lint: $(BIN)/.installed
	$(BIN)/ruff check node tests bench tools

typecheck: $(BIN)/.installed
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
