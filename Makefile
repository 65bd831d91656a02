# The README's two commands are `make run` and `make test`; both install what they
# need first (.venv/ from the lock files, node_modules/ from package-lock.json).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: run test lint format typecheck install lock clean-data

run: install
	$(BIN)/python -m prm.devstack run

test: install
	$(BIN)/python -m prm.devstack test

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	DJANGO_SETTINGS_MODULE=prm.settings.test SECRET_KEY=typecheck \
	DATABASE_URL=postgres://localhost/typecheck REDIS_URL=redis://localhost/0 $(BIN)/mypy .

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/dev.txt
	@touch $@

node_modules/.installed: package-lock.json $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Regenerate the lock files after changing dependencies in pyproject.toml.
lock: $(VENV)/.installed
	$(BIN)/uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--generate-hashes --no-header pyproject.toml -o requirements/base.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--generate-hashes --no-header pyproject.toml --extra local --extra dev \
		-c requirements/base.txt -o requirements/dev.txt

clean-data:
	rm -rf .devdata
