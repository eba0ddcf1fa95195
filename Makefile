# Kinga: `make run` starts everything on embedded defaults, `make test` runs the whole suite,
# `make bench` measures serving against bare Flask references (bench/README.md; not a test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test lint typecheck pytest install catalogs clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

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

bench: $(BENCH_STAMP) catalogs
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
