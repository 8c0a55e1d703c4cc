# Earshot: `make run` serves the demo on localhost; `make test` runs every test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test bench lint services clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m db.migrate
	$(PY) -m db.cli seed-demo
	@echo "Demo logins (password earshot-demo): admin; supervisors sam, lee, priya;"
	@echo "agents ana, ben, chloe, dev, eli, fatima, george, hana."
	$(VENV)/bin/streamlit run server.py --server.port $(PORT)

# Installs Chromium and PostgreSQL from Debian when missing (as root), starts PostgreSQL,
# then runs every suite. Under CI=true a missing browser or database fails the run.
test: $(VENV)/.dev
	@bash tools/ensure_test_services.sh
	$(VENV)/bin/pytest -n 2 --dist loadgroup

bench: $(VENV)/.dev
	$(PY) -m bench.run

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
