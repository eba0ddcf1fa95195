# Kinga: `make run` starts everything on embedded defaults, `make test` runs the whole suite,
# `make bench` measures serving against bare Flask references, `make soak` serves a mixed load for
# 10 minutes and checks errors, memory and drained queues (bench/README.md; neither is a test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test lint typecheck pytest install catalogs browser clean bench soak

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

# The browser tests drive Debian's Chromium (Playwright downloads no browser): installed here
# when missing, where apt-get runs as root; elsewhere those tests are skipped, saying why.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "make browser: installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      || echo "make browser: chromium could not be installed; browser tests will be skipped" >&2; \
	  else \
	    echo "make browser: no $(CHROMIUM) and no apt-get as root; browser tests will be skipped" >&2; \
	  fi; \
	fi

pytest: catalogs browser
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(BENCH_STAMP) catalogs
	$(BIN)/python bench/run.py $(BENCH_ARGS)

soak: $(BENCH_STAMP) catalogs
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
