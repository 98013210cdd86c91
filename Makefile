# MSI Survey. `make run` and `make test` do all set-up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench setup lint format messages clean

$(STAMP): requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(STAMP) node_modules/.package-lock.json

# The whole application on embedded defaults: SQLite, a Celery worker and
# beat on kombu's filesystem broker, emails as files under var/mail/.
# `make run PORT=8080` serves on another port (honcho sets PORT for its own
# use, so the Procfile reads MSI_PORT).
PORT ?= 8000
run: export LOCAL_DEMO ?= true
run: export MSI_PORT := $(PORT)
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_msi_demo --links 3
	@echo
	@echo "Site:   $(SITE_URL)/"
	@echo "Log in: $(SITE_URL)/accounts/login/ (accounts above; staff then find the admin at /admin/)"
	@echo "Emails: written as files to var/mail/ by the Celery worker"
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

# Every test, after ruff and mypy. Uses DATABASE_URL and REDIS_URL when set (CI sets both).
test: setup lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every measurement in one run against the local PostgreSQL and Redis (on a
# database of its own, removed afterwards); needs wrk (installed if missing).
bench: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the translation files after changing texts, then translate the
# new entries in locale/*/LC_MESSAGES/django.po.
messages:
	$(BIN)/python manage.py makemessages --locale sv --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'tests/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) node_modules var staticfiles
