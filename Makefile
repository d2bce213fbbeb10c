# Every target sets up what it needs on a fresh clone: the virtualenv and the project.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# pywb pins redis==2.10.6, while the crawl needs a current redis-py (scrapy-redis): pywb gets
# a tool virtualenv of its own, used only by the replay test.
PYWB_VENV := .venv-pywb
PYWB_VERSION := 2.10.0
PYWB_STAMP := $(PYWB_VENV)/.installed-stamp

.PHONY: install pywb system-deps demo test lint bench bench-extraction clean

# The release before issue 14 (pages of real weight), run again in every benchmark.
BENCH_BASELINE ?= c3b128b
BENCH_ARGS ?= --baseline $(BENCH_BASELINE)
WORKERS_BENCH_ARGS ?=

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(PYWB_STAMP):
	test -x $(PYWB_VENV)/bin/python || $(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet 'pywb==$(PYWB_VERSION)'
	touch $(PYWB_STAMP)

pywb: $(PYWB_STAMP)

# Debian's Chromium renders pages that need JavaScript (scrapy-playwright never downloads one):
# the headless shell, which the crawl prefers, and the full browser.
CHROMIUM_PACKAGES := chromium chromium-headless-shell
# Debian's Redis: the shared frontier of several workers (REDIS_URL); tests start their own.
SYSTEM_PACKAGES := $(CHROMIUM_PACKAGES) redis-server

system-deps:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
	  command -v $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing:$$missing ('apt-get install$$missing': Chromium renders JavaScript pages, redis-server runs shared crawls)"; \
	  fi; \
	fi

demo: $(STAMP) system-deps
	$(BIN)/python -m crawler.demo

test: $(STAMP) $(PYWB_STAMP) system-deps
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP) system-deps
	$(BIN)/python -m bench.pipeline $(BENCH_ARGS)
	$(BIN)/python -m bench.workers $(WORKERS_BENCH_ARGS)

bench-extraction: $(STAMP)
	$(BIN)/python -m bench.extraction

clean:
	rm -rf $(VENV) $(PYWB_VENV) build *.egg-info .pytest_cache .ruff_cache
