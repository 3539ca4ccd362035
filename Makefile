# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test bench lint clean chromium wget

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=24"

# Stamp files record which extras are installed, so re-runs are quick.
# The SHA-512 lanes extension is built in place; an old build is removed first so that a build
# that fails (no C compiler) leaves hashlib in use, never a stale binary.
$(VENV)/.base: $(VENV)/bin/python pyproject.toml src/archiver/_sha512x4.c
	rm -f src/archiver/_sha512x4.*.so
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.test: $(VENV)/bin/python pyproject.toml src/archiver/_sha512x4.c
	rm -f src/archiver/_sha512x4.*.so
	$(PIP) install --quiet -e ".[test,dev]"
	touch $@ $(VENV)/.base

$(VENV)/.bench: $(VENV)/.test pyproject.toml
	$(PIP) install --quiet -e ".[test,dev,bench]"
	touch $@

# Browser capture (`archiver capture --browser`) drives the system's Chromium; nothing ever
# downloads a browser.  Run as root (CI, a fresh container) on Debian or Ubuntu, make installs
# the distribution's chromium package when no Chromium is found; otherwise it says how to.
CHROMIUM_NAMES := chromium chromium-browser google-chrome google-chrome-stable
chromium:
	@found=""; for name in $(CHROMIUM_NAMES); do \
	  command -v $$name >/dev/null 2>&1 && found=$$name && break; done; \
	if [ -n "$$found" ] || [ -n "$$ARCHIVER_CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium for browser capture (apt-get install chromium)..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	  echo "WARNING: could not install chromium: browser capture will not work"; \
	else \
	  echo "NOTE: no Chromium found, so 'archiver capture --browser' cannot run (the rest works)."; \
	  echo "      Install it: sudo apt-get install chromium   (Fedora: sudo dnf install chromium),"; \
	  echo "      or point ARCHIVER_CHROMIUM at a Chromium or Chrome executable."; \
	fi

# wget is what the tests compare archiver's WARC reading with on files another tool wrote
# (wget --warc-file); installed the same way when missing.
wget:
	@if command -v wget >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing wget for the tests (apt-get install wget)..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget >/dev/null || \
	  echo "WARNING: could not install wget: the tests reading wget's WARCs will be skipped"; \
	else \
	  echo "NOTE: no wget found: the tests reading wget's WARCs are skipped (apt-get install wget)."; \
	fi

demo: $(VENV)/.base chromium
	$(VENV)/bin/archiver demo --output demo-output

test: $(VENV)/.test chromium wget
	$(PY) -m pytest -q

bench: $(VENV)/.bench
	$(PY) benchmarks/run.py

lint: $(VENV)/.test
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) demo-output build dist src/*.egg-info .pytest_cache .mypy_cache
	rm -f src/archiver/_sha512x4.*.so
