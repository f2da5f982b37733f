# The project's commands. `make test` and `make demo` work from a fresh clone: they install
# what is missing (uv, the Python environment, Kafka, FerretDB) and start what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
STATE := .local
WITH_INFRA = set -a && source $(STATE)/infra.env && set +a &&

.PHONY: help bootstrap infra up down status test lint typecheck unit demo bench docs faults browser reference

help:
	@echo "make test   install what is missing, start Kafka + database, run every test"
	@echo "make demo   start everything and play the seed scenario"
	@echo "make infra  local Kafka + database + mail capture only;  make up: plus the services"
	@echo "make down   stop everything this project started"
	@echo "make bench  benchmarks;  make docs: AsyncAPI + JSON Schemas;  make faults: fault suite"
	@echo "make reference  rebuild the CPV and NUTS data from the EU's eForms SDK (Maven)"

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || { echo "[bootstrap] installing uv from PyPI"; python3 -m pip install --quiet uv; }
	@# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on CI) every
	@# start would otherwise compile typer, rich, pydantic and FastAPI from source again.
	@$(UV) sync --frozen --quiet --compile-bytecode
	@$(UV) run --frozen python -m compileall -q -j 0 apps libs services
	@bash deploy/local/portal_assets.sh

infra: bootstrap
	@bash deploy/local/infra.sh up

up: infra
	@bash deploy/local/services.sh up

down:
	@bash deploy/local/services.sh down
	@bash deploy/local/infra.sh down

status:
	@bash deploy/local/infra.sh status
	@bash deploy/local/services.sh status

lint: bootstrap
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: bootstrap
	$(UV) run mypy

browser:
	@bash deploy/local/browser.sh

test: bootstrap lint typecheck infra browser
	$(WITH_INFRA) $(UV) run pytest $(PYTEST_ARGS)

unit: bootstrap
	$(UV) run pytest -m "not infra" $(PYTEST_ARGS)

demo: up
	@$(WITH_INFRA) $(UV) run python -m marketplace_tools.demo $(if $(PACE),--pace $(PACE))

bench: infra
	$(WITH_INFRA) $(UV) run python -m bench.run_all

docs: bootstrap
	$(UV) run python -m marketplace_tools.docs

faults: infra
	$(WITH_INFRA) MARKETPLACE_FAULTS=full $(UV) run pytest tests/faults tests/hostile $(PYTEST_ARGS)

# CPV and NUTS from the eForms SDK jar on Maven Central, written into the contracts package.
reference: bootstrap
	$(UV) run python -m tools.reference_data
