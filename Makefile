# Catalogue ENS — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run install venv deps assets translations migrate seed serve serve-prod test test-sqlite test-postgres test-browser lint check bench clean install-test

run: install seed ## set everything up and serve on 127.0.0.1:$(PORT)
	@echo ""
	@echo "  Catalogue ENS : http://127.0.0.1:$(PORT)/"
	@echo "  Comptes de démonstration : voir ci-dessus (mot de passe Demo-ENS-2026!)"
	@echo ""
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

install: deps assets translations migrate ## everything but serving

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

deps: venv
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt

assets:
	npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent
	mkdir -p catalogue/static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map catalogue/static/vendor/bootstrap/

translations: venv
	$(BIN)/pybabel compile -d translations -f -q || true

migrate: venv
	$(BIN)/flask db upgrade

seed:
	$(BIN)/flask demo seed

serve:
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

serve-prod: ## production server (set SECRET_KEY, DATABASE_URL…)
	CATALOGUE_ENV=production $(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

test: ## whole suite on SQLite, then on TEST_DATABASE_URL (PostgreSQL) when set
	$(MAKE) test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) test-postgres; fi

test-sqlite: install-test
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install-test
	$(BIN)/python -m pytest -p no:cacheprovider -m "not browser" $(PYTEST_ARGS)

test-browser: install-test
	$(BIN)/python -m pytest -p no:cacheprovider -m browser $(PYTEST_ARGS)

install-test: deps assets translations

lint: venv
	$(BIN)/ruff check .
	$(BIN)/flask db check

check: lint test

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) node_modules catalogue/static/vendor instance .pytest_cache
