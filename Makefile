# ESAP Hub: `make run` starts the local hub, `make test` runs every test.
# Both install what they need first and reuse it on the next call.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
CONFIG ?= esap.yaml
CHP_VERSION := 5.3.0

BIN := $(VENV)/bin
MARK := $(VENV)/.esap
# the build hook finds jlpm (from jupyter-builder) on PATH
WITH_VENV := PATH="$(abspath $(BIN)):$$PATH"
LAB := extensions/labextension
LAB_SOURCES := $(shell find $(LAB)/src $(LAB)/style $(LAB)/schema -type f 2>/dev/null) \
	$(wildcard $(LAB)/package.json $(LAB)/yarn.lock $(LAB)/tsconfig.json $(LAB)/webpack.config.js)

.PHONY: run test docs install install-test system-packages lint clean help

help:
	@echo "make run    start the local hub on http://127.0.0.1:$(PORT) (PORT=, CONFIG= to change)"
	@echo "make test   install what the tests need and run them all"
	@echo "make docs   build the documentation site into docs/_build/html (offline, warnings fail it)"

run: install
	$(BIN)/esap hub --config $(CONFIG) --port $(PORT)

test: install-test system-packages
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The documentation site (Sphinx, MyST): nothing is fetched and no notebook is
# executed, and any warning fails the build; `make test` builds it too
# (tests/test_docs.py).
docs: $(MARK)/docs
	$(BIN)/sphinx-build -W --keep-going -n -b html docs docs/_build/html

# The labextension's linters (stylelint, prettier, eslint with typescript-eslint);
# `make test` runs them too, in tests/test_labextension_lint.py.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check extensions tests benchmarks examples
	$(BIN)/mypy
	cd $(LAB) && $(WITH_VENV) jlpm lint:check

install: $(MARK)/runtime $(MARK)/proxy
install-test: $(MARK)/test $(MARK)/example $(MARK)/proxy $(MARK)/oidc $(MARK)/rucio

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The labextension is built by the package's build hook; it is rebuilt when
# its sources change (the hook skips the build while its output exists).
# The single-user image's lock is the environment installed here, so what is
# tested is what ships (images/lock.sh regenerates it from pyproject.toml).
LOCK := images/singleuser/requirements.txt
$(MARK)/runtime: $(BIN)/python pyproject.toml $(LOCK) $(LAB_SOURCES)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) hatchling "hatch-jupyter-builder>=0.9" \
		"jupyter-builder>=1.2" "jupyterlab>=4.2,<5"
	rm -rf extensions/esap/labextension
	$(WITH_VENV) $(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK) -e .
	@mkdir -p $(MARK) && touch $@

$(MARK)/test: $(MARK)/runtime
	$(WITH_VENV) $(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK) -e ".[test]"
	@mkdir -p $(MARK) && touch $@

$(MARK)/docs: $(MARK)/runtime
	$(WITH_VENV) $(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK) -e ".[docs]"
	@mkdir -p $(MARK) && touch $@

# The example community package: its adapters reach ESAP Hub only through its
# entry points, as a third-party package's do, and `make test` runs its tests.
# Entry points are read at install, so a change to its pyproject.toml reinstalls it.
EXAMPLE := examples/community-adapters
$(MARK)/example: $(MARK)/runtime $(EXAMPLE)/pyproject.toml
	$(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK) -e $(EXAMPLE)
	@mkdir -p $(MARK) && touch $@

$(MARK)/proxy: $(BIN)/python
	npm install --silent --no-fund --no-audit --no-save --no-package-lock \
		--prefix $(VENV) configurable-http-proxy@$(CHP_VERSION)
	ln -sf ../node_modules/.bin/configurable-http-proxy $(BIN)/configurable-http-proxy
	@mkdir -p $(MARK) && touch $@

# The OpenID Connect provider the login tests run (oidc-provider, from the lock).
OIDC := tests/oidc
$(MARK)/oidc: $(OIDC)/package.json $(OIDC)/package-lock.json | $(BIN)/python
	npm ci --silent --no-fund --no-audit --prefix $(OIDC)
	@mkdir -p $(MARK) && touch $@

# The Rucio server the data lake tests run (its own virtualenv, from the lock).
RUCIO_VENV := $(VENV)/rucio-server
$(MARK)/rucio: tests/rucio/requirements.txt | $(BIN)/python
	$(PYTHON) -m venv $(RUCIO_VENV)
	$(RUCIO_VENV)/bin/python -m pip install --quiet -r tests/rucio/requirements.txt
	@mkdir -p $(MARK) && touch $@

# Debian packages of the real servers the tests talk to (Chromium, PostgreSQL,
# GAVO DaCHS); installed with apt only where missing.
system-packages:
	bash tests/install-system-packages.sh

clean:
	rm -rf $(VENV) extensions/esap/labextension $(LAB)/lib $(LAB)/node_modules \
		$(LAB)/tsconfig.tsbuildinfo .pytest_cache .ruff_cache .mypy_cache \
		docs/_build docs/tutorials/notebooks
