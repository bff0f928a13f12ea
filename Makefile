# The two commands of the README: `make demo` and `make test`. Both install what they
# need first (scripts/bootstrap.sh: Debian packages as root, then .venv).
PY := .venv/bin/python

.PHONY: bootstrap demo test lint unit bench lab-up lab-down

bootstrap:
	@scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/cti demo

# The core's tests run again under a second hash seed: its effects must not depend on one.
test: bootstrap lint
	PYTHONHASHSEED=1 $(PY) -m pytest -q -p no:cacheprovider
	PYTHONHASHSEED=2024 $(PY) -m pytest -q -p no:cacheprovider tests/unit tests/replay

lint:
	.venv/bin/ruff check cti tests bench
	.venv/bin/ruff format --check cti tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports

unit: bootstrap
	$(PY) -m pytest -q tests/unit tests/replay

bench: bootstrap
	$(PY) bench/ami_pipeline.py
	$(PY) bench/core_decisions.py
	$(PY) bench/dialer_sim.py
	$(PY) bench/route_latency.py --arrivals poisson
	$(PY) bench/route_latency.py --arrivals even
	$(PY) bench/route_latency.py --arrivals poisson --rate 50 --agents 50
	$(PY) bench/route_latency.py --arrivals poisson --talk-ms 1100
	$(PY) bench/api_load.py
	$(PY) bench/wallboard.py
	$(PY) bench/desk_pop.py
	$(PY) bench/outbound_connect.py
	$(PY) bench/take_cost.py
	$(PY) bench/server_scale.py

lab-up: bootstrap
	.venv/bin/cti lab up

lab-down:
	.venv/bin/cti lab down
