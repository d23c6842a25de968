# Catalogue ENS — the two commands: `make run` and `make test`.
# Needs Python 3.11+, Node 20 with npm; the browser tests need Debian's chromium-headless-shell (or chromium) and Java 11+.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The suite runs on pytest-xdist workers, a module per unit (tests/conftest.py names the
# units: the browser modules form two chains, which go first). Many tests wait on a browser,
# a server or a subprocess, so there are twice as many workers as cores.
# WORKERS=0 runs it in one process.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
XDIST := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadscope --no-loadscope-reorder)
export FLASK_APP := wsgi.py
# The suite compiles once: bytecode, and pytest's rewritten test modules, are cached under
# .venv/pycache even where the environment sets PYTHONDONTWRITEBYTECODE (CI's does); otherwise
# every xdist worker and every server a test starts compiles everything again.
# Its files (SQLite databases, stored evidence, the live servers' copies, the browser's
# profiles) go to memory where the machine has it: thousands of small files and commits.
TEST_TMPDIR ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
TEST_ENV := -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache TMPDIR=$(TEST_TMPDIR)
.DEFAULT_GOAL := run

.PHONY: run install deps npm assets vnu translations extract-messages migrate seed serve serve-prod \
        test test-sqlite test-postgres test-browser test-cluster install-test lint audit check bench bench-quick clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

run: install seed ## set everything up and serve on 127.0.0.1:$(PORT)
	@echo ""
	@echo "  Catalogue ENS : http://127.0.0.1:$(PORT)/"
	@echo "  Comptes de démonstration : voir ci-dessus (mot de passe Demo-ENS-2026!)"
	@echo ""
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

install: deps assets translations migrate ## everything but serving

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalled only when a requirements file changes (works offline afterwards).
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.installed ## Python dependencies in .venv

# npm packages pinned in package.json/package-lock.json: Bootstrap, and the Nu HTML checker
# (vnu.jar) that the browser tests run. Reinstalled only when either file changes.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent
	touch $@

npm: node_modules/.installed

# Bootstrap, copied into an ignored folder.
catalogue/static/vendor/bootstrap/bootstrap.min.css: node_modules/.installed
	mkdir -p catalogue/static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map catalogue/static/vendor/bootstrap/
	touch $@

assets: catalogue/static/vendor/bootstrap/bootstrap.min.css ## front-end assets

# The browser tests validate every page with the Nu HTML checker: its jar (npm) and Java.
vnu: node_modules/.installed ## the Nu HTML checker for the browser tests (vnu.jar, Java)
	@test -f node_modules/vnu-jar/build/dist/vnu.jar || \
	  { echo "node_modules/vnu-jar/build/dist/vnu.jar is missing (npm package vnu-jar)" >&2; exit 1; }
	@java -version >/dev/null 2>&1 || \
	  { echo "Java is missing: the Nu HTML checker needs it (apt-get install default-jre-headless)" >&2; exit 1; }

translations: deps ## compile the message catalogues (French is the source language)
	$(BIN)/pybabel compile -d translations -f --statistics

extract-messages: deps ## developers: extract _() strings and update translations/en
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o translations/messages.pot \
	  --no-location --sort-output --project "Catalogue ENS" .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	@echo "Now translate the empty msgstr of translations/en/LC_MESSAGES/messages.po, then make translations."

migrate: deps ## migrate the database (DATABASE_URL, default SQLite in instance/)
	$(BIN)/flask db upgrade heads

seed: ## demo data (idempotent); prints the demo accounts and their TOTP secrets
	$(BIN)/flask demo seed

serve: ## development server
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

serve-prod: ## production server (set SECRET_KEY, AUDIT_HMAC_KEY, BASE_URL, DATABASE_URL…)
	CATALOGUE_ENV=production $(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(PORT) \
	  --access-logfile - wsgi:app

test: ## whole suite on SQLite (browser tests included), then on TEST_DATABASE_URL when set
	$(MAKE) test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) test-postgres; fi

# The cluster tests start real servers on PostgreSQL, Redis and S3: `make test-cluster` runs them.
test-sqlite: install-test
	env -u TEST_DATABASE_URL $(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider -m "not cluster" $(XDIST) $(PYTEST_ARGS)

# Browser tests run their own SQLite live server: the PostgreSQL pass skips them.
test-postgres: install-test
	env $(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider -m "not browser and not cluster" $(XDIST) $(PYTEST_ARGS)

# Two gunicorn instances, two RQ workers, one fresh PostgreSQL database (on the server of
# TEST_DATABASE_URL, default postgres@127.0.0.1:5432), Redis on 127.0.0.1:6379, moto's S3.
test-cluster: install-test ## the cluster test: two app servers sharing PostgreSQL, Redis and S3
	env $(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider -m cluster tests/cluster $(PYTEST_ARGS)

test-browser: install-test ## real-browser tests alone (headless chromium)
	env -u TEST_DATABASE_URL $(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider -m browser $(XDIST) $(PYTEST_ARGS)

install-test: deps assets vnu translations

lint: deps ## ruff, mypy (strict on workflows/ and the services) and migration drift
	$(BIN)/ruff check .
	$(BIN)/mypy
	@# Drift is judged on a database migrated for the purpose, not on the demo's.
	check=$$(mktemp -u /tmp/lint-check-XXXXXX).sqlite; \
	  DATABASE_URL=sqlite:///$$check $(BIN)/flask db upgrade heads 2>/dev/null && \
	  DATABASE_URL=sqlite:///$$check $(BIN)/flask db check; status=$$?; rm -f $$check; exit $$status

audit: deps ## security linters: bandit, pip-audit (needs PyPI's vulnerability data)
	$(BIN)/bandit -r catalogue workflows -lll -q
	$(BIN)/pip-audit -r requirements.txt --no-deps --disable-pip --progress-spinner off

check: lint test

bench: install ## performance benchmarks (bench/; BENCH_ARGS="--quick" for a short run)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: install
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules catalogue/static/vendor .pytest_cache translations/*/LC_MESSAGES/*.mo
