# Deskside: `make run` starts the app, `make test` runs every check. Both set up a fresh machine themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint docs unit bench system-deps screenshot clean package

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Apt packages the app and the tests need (only when root; otherwise it tells what is missing).
system-deps:
	@bash scripts/install-system-deps.sh

run: $(STAMP)
	@bash scripts/run-app.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mkdocs build --strict --quiet

# The documentation site (docs/, mkdocs.yml) into site/; --strict turns a broken link or anchor into an error.
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

test: $(STAMP) system-deps lint
	@bash scripts/run-tests.sh

unit: $(STAMP)
	$(VENV)/bin/pytest -q tests/unit

bench: $(STAMP) system-deps
	$(PY) bench/run_all.py

# The Linux x86_64 one-folder build (PyInstaller) in dist/deskside/ and its .deb in dist/ (docs/development.md, Packages).
package: $(STAMP)
	@bash packaging/linux/build.sh

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/deskside gui --run --screenshot docs/screenshots/diagnostics.png

clean:
	rm -rf $(VENV) build dist site *.egg-info .pytest_cache .mypy_cache .ruff_cache
