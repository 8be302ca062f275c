# Kizuna developer commands. A newcomer needs two: `make run` and `make test`.
#
# Everything runs from the virtualenv in .venv, installed from requirements.lock
# (pip-compile output of pyproject.toml). Installing is skipped while the lock
# file is unchanged (stamp file .venv/.installed).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
# Everything make starts is development: debug pages and the development secret key.
# The settings default to DEBUG off, so a deployment that forgets DEBUG=0 is safe.
export DEBUG ?= 1
# pip reports each local package index it skips; those lines are noise here.
PIP_NOISE := { grep -v "^WARNING: Location '.*' is ignored" || true; }

.PHONY: help run test lint fmt bench mutate install messages translations migrate seed worker shell check lock clean

# Compiled translations (.mo) are built here, not committed: Babel compiles them, so no
# GNU gettext is needed to run or test (config/translations.py).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

run: install messages migrate ## Start the web server, a Celery worker and beat, with demo data
	@$(BIN)/python manage.py seed_demo
	@echo
	@echo "  Open http://127.0.0.1:$(PORT)/ — organiser admin at http://127.0.0.1:$(PORT)/admin/"
	@echo "  Mail is written to var/outbox/*.eml. Press Ctrl-C to stop everything."
	@echo
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile --port $(PORT)

test: install messages ## Run the whole test suite (PYTEST_ARGS="-k name" to narrow it)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff, the import contracts (ARCHITECTURE.md) and complete translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m config.translations check

messages: install $(MO_FILES) ## Compile the translations (locale/*/LC_MESSAGES/*.po into .mo)

%.mo: %.po | $(STAMP)
	$(BIN)/python -m config.translations compile $<

translations: install ## Add new strings to locale/ (needs GNU gettext), then list what lacks Japanese
	$(BIN)/python manage.py makemessages --no-location --no-obsolete --locale=ja $(foreach pattern,.venv var bench tests staticfiles *.egg-info locale,--ignore='$(pattern)')
	$(BIN)/python -m config.translations check

fmt: install ## Fix what ruff can and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

mutate: install ## Mutation testing of the core modules (MODULE=reminders for one; minutes each; not in CI)
	$(BIN)/python tools/mutate.py $(MODULE) --list-survivors

bench: install ## Run the benchmarks (needs PostgreSQL and Redis; BENCH_ARGS=--quick)
	$(BIN)/python bench/pages.py $(BENCH_ARGS)
	$(BIN)/python bench/registration.py $(BENCH_ARGS)
	$(BIN)/python bench/reminders.py $(BENCH_ARGS)
	$(BIN)/python bench/archive.py $(BENCH_ARGS)
	$(BIN)/python bench/insights.py $(BENCH_ARGS)
	$(BIN)/python bench/human_check.py $(BENCH_ARGS)

install: $(STAMP) ## Create .venv and install from requirements.lock

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kizuna needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock | $(BIN)/python
	@echo "Installing from requirements.lock into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | $(PIP_NOISE)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>&1 | $(PIP_NOISE)
	@touch $@

migrate: install ## Apply database migrations
	$(BIN)/python manage.py migrate --noinput

seed: migrate ## Load the demo data (idempotent)
	$(BIN)/python manage.py seed_demo

worker: install ## Run only a Celery worker with beat (e.g. beside `manage.py runserver`)
	$(BIN)/celery -A config worker -B -Q celery,mail -l info

shell: install ## Django shell
	$(BIN)/python manage.py shell

check: install ## Django system checks and missing migrations
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

lock: install ## Re-pin requirements.lock after editing pyproject.toml
	@test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools 2>&1 | $(PIP_NOISE)
	$(BIN)/pip-compile --extra=dev --no-emit-index-url --strip-extras --quiet --output-file=requirements.lock pyproject.toml

clean: ## Delete .venv and caches (keeps var/: the database, outbox and uploads)
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
