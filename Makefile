# Northstar: `make run` starts the app with a demo roadmap, `make test` runs the tests.
# Needs only Python >= 3.11 and make. uv is used when it is on PATH, otherwise it is
# installed into .venv-tools/ first.

SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo .venv-tools/bin/uv)
PYTHON ?= $(shell command -v python3 2>/dev/null || command -v python)

.PHONY: install run test lint format bench migrate demo serve clean

# A venv without its own pip is made in a second, and the system's pip installs uv
# into it; a pip too old for --python falls back to a venv with its own pip.
.venv-tools/bin/uv:
	$(PYTHON) -m venv --without-pip .venv-tools
	$(PYTHON) -m pip --python .venv-tools/bin/python install --quiet --disable-pip-version-check uv \
	  || { rm -rf .venv-tools && $(PYTHON) -m venv .venv-tools \
	       && .venv-tools/bin/python -m pip install --quiet --disable-pip-version-check uv; }

install: $(UV)
	$(UV) sync --locked --quiet

migrate: install
	$(UV) run --locked python manage.py migrate --no-input

# Prints the demo sign-ins by role, the share links' full URLs (only when it
# creates them: their secrets are not stored) and where the audience pages are.
demo: migrate
	$(UV) run --locked python manage.py load_demo --if-empty --base-url http://$(HOST):$(PORT)

run: demo
	@echo ""
	@echo "  Northstar is running on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@if [ -z "$$DATABASE_URL" ]; then \
	  echo "  Its embedded PostgreSQL keeps running after that; make stop stops it."; fi
	@echo ""
	DJANGO_DEBUG=1 $(UV) run --locked python manage.py runserver --skip-checks $(HOST):$(PORT)

# The embedded PostgreSQL outlives make run and make test, so that the next
# command starts at once; this stops it (the data in .data/ stays).
.PHONY: stop
stop: install
	@$(UV) run --locked python -m config.embedded_db stop

# Production settings on gunicorn (gunicorn.conf.py; WEB_CONCURRENCY sets the
# workers), over plain http on this machine (so cookies may travel without TLS).
serve: demo
	$(UV) run --locked python manage.py collectstatic --no-input --verbosity 0
	DJANGO_SECURE_COOKIES=0 GUNICORN_BIND=$(HOST):$(PORT) $(UV) run --locked gunicorn --config gunicorn.conf.py

# pytest exits with 5 when it collects no tests; that is not a failure here.
# The suite runs on one worker per core (pytest-xdist).
PYTEST_WORKERS ?= -n auto --dist load
test: install
	$(UV) run --locked pytest $(PYTEST_WORKERS) $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "No tests were collected."; exit 0; fi; exit $$status

lint: install
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy config strategy metrics roadmap accounts
	$(UV) run --locked python manage.py makemigrations --check --dry-run

# mypy with django-stubs (settings in pyproject.toml); lint runs it too.
.PHONY: typecheck
typecheck: install
	$(UV) run --locked mypy config strategy metrics roadmap accounts

format: install
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

# A dump of the whole database into backups/, made by the pg_dump of the server's
# own major version; `make restore FILE=backups/....dump` replaces the database's
# tables with a dump's. A product's JSON export (manage.py export_roadmap) is
# the portable copy of one plan.
.PHONY: backup restore
backup: install
	$(UV) run --locked python -m config.backup dump --dir backups

restore: install
	@if [ -z "$(FILE)" ]; then echo "Usage: make restore FILE=backups/<dump file>"; exit 2; fi
	$(UV) run --locked python -m config.backup restore "$(FILE)"

# Card edits and API batches against gunicorn while its workers, then its master,
# are SIGKILLed; every acknowledged write must be there after a restart, and no
# batch half-applied. Needs a PostgreSQL server (CRASH_CHECK_SERVER, default
# postgres://postgres@127.0.0.1:5432): it works in a throwaway database there.
.PHONY: crash-check
crash-check: install
	$(UV) run --locked python .ci/crash_check.py

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(UV) run --locked python $$script || exit $$?; done

clean:
	rm -rf .venv .venv-tools staticfiles
