# Every target sets up what it needs on a fresh clone: the virtualenv and the project.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install system-deps demo test lint bench bench-extraction clean

BENCH_ARGS ?=

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium renders pages that need JavaScript (scrapy-playwright never downloads one).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium is missing: 'apt-get install chromium' to render JavaScript pages"; \
	  fi; }

demo: $(STAMP) system-deps
	$(BIN)/python -m crawler.demo

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP) system-deps
	$(BIN)/python -m bench.pipeline $(BENCH_ARGS)

bench-extraction: $(STAMP)
	$(BIN)/python -m bench.extraction

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
