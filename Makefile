# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench presets setup clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The Node.js client's parity test needs onnxruntime-node; without node/npm it skips.
NODE_STAMP := clients/node/node_modules/.installed
$(NODE_STAMP): clients/node/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd clients/node && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --silent --no-audit --no-fund) \
		&& touch $(NODE_STAMP) \
		|| { rm -rf clients/node/node_modules; echo "npm ci failed: the Node client test will skip"; }; \
	else echo "node/npm not found: the Node client test will skip"; fi

setup: $(STAMP) $(NODE_STAMP)

demo: $(STAMP)
	$(VENV)/bin/tradewind run examples/quickstart.yaml --out out/quickstart --overwrite

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

test: $(STAMP) $(NODE_STAMP) lint
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(PY) bench/features_speed.py
	$(PY) bench/train_throughput.py
	$(PY) bench/backtest_speed.py

# The seed presets at full settings on ../shared/data (long: about three hours on 2 CPU cores).
presets: $(STAMP)
	for p in presets/*.yaml; do \
		$(VENV)/bin/tradewind run $$p --out out/presets/$$(basename $$p .yaml) --overwrite || exit 1; \
	done

clean:
	rm -rf $(VENV) build *.egg-info
