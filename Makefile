# cryotrace developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv/bin
PYTEST_ARGS ?=

.PHONY: bench help setup native demo test test-unit test-flows test-integration lint typecheck format infra-up infra-down infra-status clean

help: ## list the commands
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

setup: ## virtualenv with pinned dependencies (Kafka jars come with the first `infra up`)
	scripts/setup.sh

native: ## compile the rule modules with mypyc again (setup does when their sources changed)
	$(VENV)/python scripts/build_native.py

demo: setup ## the main job: local Kafka, DuckDB warehouse, workers, a simulated fleet
	$(VENV)/cryotrace demo

test: ## everything CI runs: set-up, local Kafka + PostgreSQL, all test tiers
	scripts/setup.sh --postgres --browser
	$(VENV)/cryotrace infra up --postgres --no-topics
	$(VENV)/ruff check schemas alerts sinks streams tests
	$(VENV)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-unit: ## pure unit tests only (no services)
	$(VENV)/pytest -q tests/unit

test-flows: ## Faust flows with test_context (no broker)
	$(VENV)/pytest -q tests/flows

test-integration: ## real Kafka and databases
	$(VENV)/cryotrace infra up --postgres --no-topics
	$(VENV)/pytest -q tests/integration

lint: ## ruff
	$(VENV)/ruff check schemas alerts sinks streams tests

typecheck: ## mypy --strict over the packages
	$(VENV)/mypy

format: ## ruff format
	$(VENV)/ruff format schemas alerts sinks streams tests

infra-up: ## start local Kafka and PostgreSQL
	$(VENV)/cryotrace infra up --postgres

infra-down: ## stop them
	$(VENV)/cryotrace infra down --postgres

infra-status: ## show them
	$(VENV)/cryotrace infra status

clean: infra-down ## stop infrastructure and delete local state (.cryotrace, data)
	rm -rf .cryotrace data

bench: setup ## the benchmark (raw Kafka, textbook Faust, cryotrace); writes docs/benchmarks.md
	$(VENV)/cryotrace infra up --no-topics
	$(VENV)/cryotrace bench --json --markdown docs/benchmarks.md

.PHONY: faults
faults: ## the fault suite at full length (minutes-long outages); rewrites docs/reliability.md
	$(VENV)/cryotrace infra up --postgres --no-topics
	CRYOTRACE_FAULTS_FULL=1 $(VENV)/pytest -q -p no:cacheprovider tests/integration/faults $(PYTEST_ARGS)
