# escalyzer: two commands for a fresh machine with Python 3.11 (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
OUT    ?= out

.PHONY: demo test setup sysdeps bench train evaluate clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# Debian packages the browser tests need (headless Chromium and its driver); installed only when missing.
sysdeps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "sysdeps: chromium not installed and no root apt-get; browser tests will be skipped"; fi; \
	fi

demo: setup
	mkdir -p $(OUT)
	$(VENV)/bin/escalyzer score data/samples -o $(OUT)/samples.jsonl --table

test: setup sysdeps
	$(VENV)/bin/python -m pytest -q

bench: setup
	$(PY) benchmarks/bench.py

train: setup
	$(VENV)/bin/escalyzer train --data data

evaluate: setup
	$(VENV)/bin/escalyzer evaluate ../shared/dev/gold.jsonl ../shared/dev/calls.jsonl

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info
