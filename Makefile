# beanbill's front door. `make demo` to see the product, `make test` to run the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.beanbill-installed
LEDGER ?= ledgers/main.beancount
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install demo test check lint compile documents bench serve clean fuzz system-libs

# WeasyPrint (the PDF documents) needs Pango and a font from Debian. Installed only when missing
# (dpkg-query asks), so a machine that has them is never touched.
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
system-libs:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "Installing from Debian: $$missing"; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes (the install is editable).
$(STAMP): pyproject.toml | $(BIN)/python system-libs
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

check: install
	$(BIN)/beanbill check $(LEDGER)

compile: install
	$(BIN)/beanbill compile $(LEDGER)

documents: install
	$(BIN)/beanbill render $(LEDGER)

serve: install
	$(BIN)/beanbill serve $(LEDGER) --host $(HOST) --port $(PORT)

demo: check documents serve

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check plugins tests
	$(BIN)/ruff format --check plugins tests
	$(BIN)/mypy

bench: install
	$(BIN)/python -m beanbill.bench

# The property tests of tests/test_fuzz.py with 1000 examples each (`make test` runs 30).
FUZZ_EXAMPLES ?= 1000
fuzz: install
	BEANBILL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
