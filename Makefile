# The front door: `make run` starts the system, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench chaos chaos-ha cluster-up cluster-down clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: install  ## start the orchestrator and its services on this machine and restart any that dies (ORCHESTRATORS=N for N replicas, CLUSTER=1 on the local cluster)
	$(BIN)/python -m ops.run --orchestrators $(or $(ORCHESTRATORS),1) $(if $(CLUSTER),--cluster)

test: install  ## every test: unit, integration, end-to-end, faults
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## throughput and latency against the machine's ceiling
	$(BIN)/python -m ops.bench

cluster-up: install  ## three RabbitMQ nodes and a Postgres primary with a synchronous standby, here
	$(BIN)/python -m ops.cluster up

cluster-down: install  ## stops and removes the local cluster
	$(BIN)/python -m ops.cluster down

chaos-ha: install  ## 500 sagas on a local cluster while its nodes and our processes are killed
	$(BIN)/python -m ops.chaos_ha

chaos: install  ## hundreds of sagas while processes are killed and servers restarted
	$(BIN)/python -m ops.chaos

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache *.egg-info
