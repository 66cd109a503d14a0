# Two commands: `make demo` and `make test`. Both create .venv/ on first use.
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint format setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/savenvideo demo --out outputs/demo

test: $(STAMP)
	$(VENV)/bin/python -m pytest

test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) outputs .pytest_cache .ruff_cache
