# Two commands a newcomer needs: `make run` (dashboard on the DeepSeek demo) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
export AFTERSHOCK_DATA ?= $(SHARED)/market-data
export AFTERSHOCK_NEWS ?= $(SHARED)/news
export AFTERSHOCK_REFERENCE ?= $(SHARED)/reference

.PHONY: venv run test check bench clean

$(BIN)/aftershock: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/aftershock

run: venv
	$(BIN)/aftershock serve

test: venv
	$(BIN)/pytest -n 2

check: venv
	$(BIN)/ruff format --check . && $(BIN)/ruff check . && $(BIN)/mypy

bench: venv
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
