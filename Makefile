# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench setup clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tradewind run examples/quickstart.yaml --out out/quickstart

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

test: $(STAMP) lint
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(PY) bench/features_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
