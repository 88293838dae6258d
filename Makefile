# elenco — the two commands of the README, and a few more for developers.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest workers (pytest-xdist): one per logical CPU (not "auto": with psutil installed it counts physical
# cores, 1 on a 2-vCPU machine); JOBS=0 runs in a single process
JOBS ?= logical

.PHONY: demo test test-slow lint typecheck unit bench clean

$(BIN)/python:
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 11))" || { echo "Serve Python 3.11 o successivo: indicarlo con make PYTHON=/percorso/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installazione di elenco e delle sue dipendenze in $(VENV) (dettagli in $(VENV)/install.log)…"
	@$(BIN)/python -m pip install --upgrade pip > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@$(BIN)/python -m pip install -e '.[dev]' >> $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/elenco demo --dir demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check sync webhook tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

AXE := tests/browser/node_modules/axe-core/axe.min.js

# axe-core for the browser tests (npm); without npm the browser tests are skipped (under CI they fail)
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --prefer-offline --no-audit --no-fund --silent && touch $(AXE); \
	else echo "npm non trovato: i test nel browser (axe-core) verranno saltati"; fi

unit: $(STAMP) $(AXE)
	$(BIN)/pytest -q -n $(JOBS)

# the long runs marked `slow` (reliability schedules, kills, hostile sheets), left out of `make test`
test-slow: $(STAMP) $(AXE)
	$(BIN)/pytest -q -n $(JOBS) -m slow

bench: $(STAMP)
	for b in bench_local bench_match bench_gsheets bench_webhook reliability; do $(BIN)/python -m bench.$$b || exit 1; done

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
