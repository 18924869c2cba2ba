# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install migrate console clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Install, migrate, start: the platform named in .env, else the local console on SQLite.
run: $(STAMP)
	$(BIN)/mentorbot migrate
	$(BIN)/mentorbot run

# Lint and types first (any finding fails `make test` before a test runs), then pytest.
# The Hypothesis profile is `dev` (a few hundred examples) unless CI=true (`ci`: 10,000).
# Bytecode caching stays on here even if the shell disables it: pytest then reuses its
# assertion-rewritten test modules instead of rewriting all of them on every run.
# The tests run on pytest-xdist workers, one per core, a test module at a time per worker
# (its module fixtures are built once). `make test WORKERS=3` runs one more (about 5 % faster
# on 2 cores, bench/RESULTS.md) but twice a Discord whole-process test lost a delivery under
# that contention (see RESULTS, "Ninth session"); `make test XDIST=` runs them in one process.
WORKERS ?= auto
XDIST ?= -n $(WORKERS) --dist loadfile
PYTEST_ARGS ?= -q
test: lint
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# ruff's rules and format check on the whole tree, mypy on the core and storage
# (its cache in .mypy_cache makes a rerun take seconds). Also run by `make test`.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot storage

migrate: $(STAMP)
	$(BIN)/mentorbot migrate

console: $(STAMP)
	$(BIN)/mentorbot console

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
