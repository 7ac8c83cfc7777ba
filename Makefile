# peerpulse — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test unit lint bench demo screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,embedded]'
	touch $(STAMP)

install: $(STAMP)

# constraints.txt pins every transitive dependency of every extra: re-run after editing
# pyproject.toml's dependencies (LOCK_ARGS=--upgrade moves every pin to the newest release).
UV := uv==0.13.9
.PHONY: lock
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(UV)'
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 \
	  --python-platform linux --custom-compile-command 'make lock' --quiet \
	  $(LOCK_ARGS) -o constraints.txt

test: install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

unit: install
	$(BIN)/python -m pytest tests/unit -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m benchmarks

# A data dir already in use is moved to .peerpulse/previous-<time>/; DEMO_ARGS=--fresh deletes it.
demo: install
	$(BIN)/peerpulse demo $(DEMO_ARGS)

# The README's screenshots (docs/screenshots/): runs the demo in a temporary data dir, or
# uses a running one with SCREENSHOT_ARGS='--login <the login URL make demo printed>'.
screenshots: install
	$(BIN)/python -m tools.screenshots $(SCREENSHOT_ARGS)

clean:
	rm -rf .peerpulse .pytest_cache
