# Earshot: `make run` serves the demo on localhost; `make test` runs every test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run worker test test-fast bench lint types services clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The app and, beside it, a background job worker on the embedded SQLite queue (or on
# Redis when EARSHOT_REDIS_URL is set); stopping the app stops the worker.
run: $(VENV)/.runtime
	$(PY) -m db.operations.migrate
	$(PY) -m db.operations.cli seed-demo
	@echo "Demo logins (password earshot-demo): admin; supervisors sam, lee, priya;"
	@echo "agents ana, ben, chloe, dev, eli, fatima, george, hana."
	$(PY) -m jobs.worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/streamlit run server.py --server.port $(PORT)

# A background job worker alone (more of them, or on another machine with Redis).
worker: $(VENV)/.runtime
	$(PY) -m jobs.worker

# What CI runs: lint, the type gate, then every suite. Installs Chromium, PostgreSQL,
# Redis and espeak-ng from Debian when missing (as root) and starts the servers. Under
# CI=true a missing browser or server fails the run.
test: $(VENV)/.dev
	@bash tools/ensure_test_services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) tools/typecheck.py
	$(VENV)/bin/pytest -n 2 --dist loadgroup

# The inner loop: the pure core and the SQLite half of the database tests; no browser,
# no PostgreSQL, no Redis, and none of the heavy end-to-end tests marked slow.
test-fast: $(VENV)/.dev
	$(VENV)/bin/pytest -n 2 -q tests/unit tests/db tests/support \
		-m "not postgres and not browser and not slow" -k "not redis"

types: $(VENV)/.dev
	$(PY) tools/typecheck.py

bench: $(VENV)/.dev
	$(PY) -m bench.run

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
