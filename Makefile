# Kinga: `make run` starts everything on embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest install catalogs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

catalogs: $(STAMP)
	$(BIN)/kinga translate compile

run: catalogs
	$(BIN)/kinga run

lint: $(STAMP)
	$(BIN)/ruff check gateway dialogs case_store workers tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: catalogs
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
