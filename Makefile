# Qinqing: `make run` serves the portal, `make test` runs the suite. Both set up what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The local commands run in development mode unless DEBUG is set explicitly.
DEV := DEBUG=$${DEBUG:-true}

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint format migrate seed messages screenshots bench bench-hub bench-policies bench-claims bench-batch bench-persons bench-reevaluate bench-credit bench-credit-draw bench-approvals bench-workhours bench-dashboards clean

help:
	@echo "make run      set up and serve the portal on http://$(HOST):$(PORT)/ (SQLite; a worker and beat beside it)"
	@echo "make test     set up and run the whole test suite"
	@echo "make lint     ruff check and format check, import contracts, missing migrations"
	@echo "make messages refresh and compile translations (needs GNU gettext)"
	@echo "make screenshots  screenshot the main pages (needs Chromium)"
	@echo "make bench    run the benchmarks in bench/ and write bench/results/"
	@echo "make faults   fault injection on the real stack (PostgreSQL; starts its own Redis)"
	@echo "make faults-outage  Redis killed mid-stream under gunicorn, a worker and beat"
	@echo "make bench-load    the load test (locust against gunicorn); make bench-report re-renders docs/performance.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the dependency list or the pinned versions change.
$(VENV)/.installed: pyproject.toml requirements/constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(DEV) $(BIN)/python manage.py migrate --noinput

# The demo city (sandbox/city): every seed in order, then the dashboards; idempotent.
seed: migrate
	$(DEV) $(BIN)/python manage.py seed_demo_city

# The web server, a Celery worker and beat on the embedded filesystem broker (var/celery/),
# as production runs them but with no service to install; one Ctrl-C stops all three.
run: seed
	@echo ""
	@echo "Qinqing is at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@echo "Log in with one of the demo logins printed above. Stop with Ctrl-C."
	@echo ""
	$(DEV) $(BIN)/python manage.py run_embedded $(HOST):$(PORT)

# PYTEST_WORKERS=2 (CI; or auto) runs the whole suite on that many pytest-xdist processes,
# each with its own test database (test_<name>_gw0, ...) and Redis database (REDIS_URL's
# number + N: tests/settings.py); empty, one process. --dist loadgroup: the tests marked
# `long` go out first (tests/conftest.py) and a module's xdist_group stays on one worker.
PYTEST_WORKERS ?=
test: install
	$(BIN)/python -m pytest $(if $(PYTEST_WORKERS),-n $(PYTEST_WORKERS) --dist loadgroup) $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not e2e and not worker" -x -q $(PYTEST_ARGS)

# Ruff; the import contracts of pyproject.toml (layers, independent siblings, no simulator
# in the domain); and no model change without its migration.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete \
		--ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*'
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore '.venv/*'

screenshots: seed
	$(DEV) $(BIN)/python bench/screenshots.py

bench: install
	$(BIN)/python bench/run.py

# The data hub: fetch_facts in-process and over HTTP, and a 1,000,000-enterprise extract
# (about 3 minutes with seeding; use PostgreSQL: DATABASE_URL=postgres://...).
bench-hub: install
	$(BIN)/python bench/hub.py

# The rule engine: single evaluation, 1M in memory, 1M from the database (about 3 minutes).
bench-policies: install
	$(BIN)/python bench/policies.py

# Claims as a partner system makes them: HTTP against gunicorn, Celery workers, PostgreSQL
# and a redis-server of its own; every server process's CPU per paid claim from /proc, the
# floor in the same sitting. Needs DATABASE_URL (PostgreSQL) and the redis-server program.
bench-claims: install
	$(BIN)/python bench/claims.py

# "Enjoy without applying" over 100,000 and 1,000,000 enterprises: needs PostgreSQL and Redis.
bench-batch: install
	$(BIN)/python bench/batch.py

# A policy paying persons (issue #26): 5,000,000 persons over 500,000 enterprises decided
# and paid, as a multiple of its floor; ARGS="--persons 200000" for a quick run.
bench-persons: install
	$(BIN)/python bench/persons.py $(ARGS)

# Re-evaluation when facts change: 1 % of one department's facts changed under ten open
# automatic policies, timed from the extract's arrival to all newly qualifying paid, as a
# multiple of its COPY floor. BENCH_REEVAL_SIZE (default 100000; 1000000 the target).
bench-reevaluate: install
	$(BIN)/python bench/reevaluate.py

# Credit grades recomputed for every enterprise (100,000 and 1,000,000): needs PostgreSQL.
bench-credit: install
	$(BIN)/python bench/credit.py

# A dual-random inspection draw over 1,000,000 enterprises (publish, draw, verify): PostgreSQL.
bench-credit-draw: install
	$(BIN)/python bench/credit_draw.py

# The dashboards at city volume: generate_city_data (1M enterprises and claims, 100k items
# and requests, 1M data calls; a few minutes), the aggregate refresh, and every dashboard
# page and stats API call as four kinds of viewer (p50/p95 server time): PostgreSQL.
# Then 1 % of the claims moved and the tallies brought current (PostgreSQL's recorded
# changes), against the floor of the rows touched. BENCH_KEEP_DB=1 keeps the database
# (BENCH_DASHBOARDS_DB, default qinqing_dashbench) and reuses its data next time.
bench-dashboards: install
	$(BIN)/python bench/dashboards.py

# Five-item project on commitments and a new enterprise's establishment: PostgreSQL and Redis.
bench-approvals: install
	$(BIN)/python bench/approvals.py

# The working-hours clock: working_seconds over day, month and year spans, 20-working-day
# deadlines and readings, computations per second (pure computation, a few seconds).
bench-workhours: install
	$(BIN)/python bench/workhours.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

# The committed OpenAPI contract (docs/openapi.yaml), in English, validated, no warnings.
# tests/api/test_schema_drift.py fails until this is rerun after an API change.
.PHONY: schema
schema: install
	$(DEV) $(BIN)/python manage.py spectacular --lang en --validate --fail-on-warn \
		--file docs/openapi.yaml

# Fault injection on the real stack (tests/reliability/test_faults.py runs a 35 s form):
# claims and approvals while workers are killed, Redis restarted, database connections
# dropped, departments, treasury and a partner's receiver failing; then the invariants.
# Needs DATABASE_URL (PostgreSQL) and the redis-server program; starts its own Redis,
# database and workers. FAULTS_SECONDS (default 240), FAULTS_SEED; bench/results/faults.json.
.PHONY: faults faults-outage
faults: install
	$(BIN)/python bench/faults.py

# Redis killed mid-stream under gunicorn, a worker and beat (bench/faults_outage.py): claim
# latency during the outage, every claim decided after it, no double payment. Needs
# DATABASE_URL (PostgreSQL) and redis-server; writes bench/results/faults_outage.json.
faults-outage: install
	$(BIN)/python bench/faults_outage.py

# The load test: locust (its own process) against gunicorn on loopback, a Celery worker,
# PostgreSQL and Redis; a realistic mix of pages and API calls (bench/locustfile.py) for
# BENCH_LOAD_TIME (150s) with BENCH_LOAD_USERS (40) users, in its own database
# (BENCH_LOAD_DB, default qinqing_load, seeded once and kept). Writes bench/results/load.json.
.PHONY: bench-load bench-floor bench-foundation bench-report
bench-load: install
	$(BIN)/python bench/load.py

# The framework's floor: a minimal Django view under the same gunicorn and locust load, and a
# trivial Celery task's round trip and tasks/s with one worker. Writes bench/results/floor.json.
bench-floor: install
	$(BIN)/python bench/floor.py

# The foundation's figures (test client, Celery ping); SQLite unless DATABASE_URL is set.
bench-foundation: install
	$(BIN)/python bench/foundation.py

# Re-render the generated section of docs/performance.md from bench/results/*.json.
bench-report: install
	$(BIN)/python bench/report.py
