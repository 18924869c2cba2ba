# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate console clean

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

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: $(STAMP)
	$(BIN)/mentorbot migrate

console: $(STAMP)
	$(BIN)/mentorbot console

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
