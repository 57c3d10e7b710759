# Hutor: `make run` serves the demo, `make test` runs the checks. Both create or refresh .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run setup test test-slow lint typecheck pytest venv messages clean guide-screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Hutor needs Python 3.11 or newer (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# The local demo: SQLite under var/, mail to var/mail/, http://127.0.0.1:$(PORT).
# The worker (email delivery, provisioning) runs beside the web server, and PowerDNS when
# `hutor demo` configured it under var/pdns/ (Debian's pdns-server installed); Ctrl-C stops all.
RUN_ENV = DEBUG=$${DEBUG-1} HUTOR_BASE_URL=$${HUTOR_BASE_URL-http://127.0.0.1:$(PORT)}

# The part of `make run` before serving: the database and the demo data, and var/base_url, the
# address other `hutor` commands of this checkout put into links (settings' local default).
setup: $(STAMP)
	@mkdir -p "$${HUTOR_VAR_DIR:-var}" && echo "$${HUTOR_BASE_URL-http://127.0.0.1:$(PORT)}" > "$${HUTOR_VAR_DIR:-var}/base_url"
	$(RUN_ENV) $(BIN)/hutor migrate --no-input
	$(RUN_ENV) $(BIN)/hutor demo

run: setup
	@$(RUN_ENV) sh -c 'pdns=""; conf="$${HUTOR_VAR_DIR:-var}/pdns"; \
	  if [ -f "$$conf/pdns.conf" ]; then \
	    PATH="$$PATH:/usr/sbin" pdns_server --config-dir="$$conf" >"$$conf/pdns.log" 2>&1 & pdns=$$!; fi; \
	  $(BIN)/hutor worker & worker=$$!; \
	  trap "kill $$worker $$pdns 2>/dev/null; wait $$worker $$pdns" EXIT INT TERM; \
	  $(BIN)/hutor runserver 127.0.0.1:$(PORT)' 

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src
	$(BIN)/ruff format --check src

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite without the tests marked `slow` (property tests and runs that take a minute or
# more); `make test-slow` runs those, and CI runs both on both databases. Both spread the test
# modules over JOBS processes (pytest-xdist; one per core, at most 4; JOBS=0 runs in this
# process), each with its own test database.
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
XDIST = $(if $(filter 0 1,$(JOBS)),,-n $(JOBS) --dist loadscope)

pytest: $(STAMP)
	$(BIN)/pytest -m "not slow" $(XDIST) $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/pytest -m slow $(XDIST) $(PYTEST_ARGS)

# The pictures of the guide to the billing panel (kb/guide/), taken in Chromium from the demo's
# customer and written where the help center serves them; commit the result. CI runs the same
# test (marked slow) into a temporary folder: it fails when an article shows a picture it no
# longer makes.
guide-screenshots: $(STAMP)
	HUTOR_GUIDE_SCREENSHOTS=src/hutor/kb/static/hutor/guide $(BIN)/pytest -m slow -p no:cacheprovider src/hutor/kb/tests/test_guide_screenshots.py

# Regenerate the translation catalogues (needs Debian's gettext).
messages: $(STAMP)
	cd src/hutor && ../../$(BIN)/hutor makemessages -l ru -l en --no-obsolete && ../../$(BIN)/hutor compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
