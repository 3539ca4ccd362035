# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test bench lint clean

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

demo: $(VENV)/.base
	$(VENV)/bin/archiver demo --output demo-output

test: $(VENV)/.test
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
