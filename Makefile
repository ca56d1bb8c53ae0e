# Appraisal Impact: `make run` serves the seeded example; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi.py

.PHONY: setup system-packages run test test-sqlite test-postgres bench clean worker backup deploy-check

$(BIN)/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Debian packages the tests need: Chromium for the browser tests, fonts and Pango for PDFs,
# pg_dump/pg_restore (postgresql-client) for backups, poppler (pdfinfo) to check PDFs are tagged, LibreOffice
# Calc to count the return's printed pages.
# Installed only when missing, and only when we are root on a Debian-like machine.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list | grep -qi "Liberation Sans" || missing="$$missing fonts-liberation2"; \
	ldconfig -p | grep -q libpangoft2 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v pg_dump >/dev/null || missing="$$missing postgresql-client"; \
	command -v pdfinfo >/dev/null || missing="$$missing poppler-utils"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-calc-nogui"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install:$$missing (as root: apt-get install$$missing)"; exit 1; fi; \
	fi

run: setup
	$(BIN)/flask db-upgrade
	$(BIN)/flask seed --if-empty
	@echo; echo "Appraisal Impact: http://127.0.0.1:$(PORT)"; \
	  if [ -f instance/example-sign-in.txt ]; then echo "Sign in with one of these example users:"; cat instance/example-sign-in.txt; fi; echo
	@# The job worker (refresh all from NICE, PDFs, the nightly NICE refresh) runs beside gunicorn; Ctrl-C stops both.
	@$(BIN)/flask jobs worker & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	  $(BIN)/gunicorn --preload --workers 2 --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

# The job worker alone (e.g. beside `flask run --debug`).
worker: setup
	$(BIN)/flask jobs worker

# A backup of the database into instance/backups/ (see docs/deploy.md).
backup: setup
	$(BIN)/flask backup create

# Start the production configuration as docs/deploy.md says, check it, stop it (PostgreSQL at 127.0.0.1:5432).
deploy-check: setup system-packages
	bash deploy/smoke-test.sh

# Every test on SQLite; then again on PostgreSQL when a server answers (CI has one at 127.0.0.1:5432).
test: setup system-packages
	$(BIN)/python -m pytest -n 2 -q
	@if [ -n "$$TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "== the same suite on PostgreSQL =="; \
	  TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/python -m pytest -n 2 -q; \
	else echo "PostgreSQL not running here: suite ran on SQLite only."; fi

# Benchmarks (not tests): small sizes by default, a few minutes; `make bench BENCH_SIZE=full` for issue #16's sizes.
bench: setup
	$(BIN)/python -m bench $(if $(filter full,$(BENCH_SIZE)),--full)

clean:
	rm -rf $(VENV) instance .pytest_cache
