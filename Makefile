PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.installed-runtime

.PHONY: test demo lint install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# what the product needs to run (make demo) ...
$(RUNTIME): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

# ... and to be tested and benchmarked (make test, make bench): the dev extras too
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# the tests run in parallel, one process per core (at most 4): measured on 2 cores, 382 s
# against 549 s one at a time; most of a test's time is a solve's time limit or a server's wait
test: lint
	$(BIN)/pytest -q --numprocesses=auto --maxprocesses=4

demo: $(RUNTIME)
	$(BIN)/allocator solve instances/demo.json -o demo-plan.json --csv demo-out
	$(BIN)/python -m api

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

bench: $(STAMP)  # long: every benchmark suite, results under benchmarks/results/
	$(BIN)/python -m benchmarks engine
	$(BIN)/python -m benchmarks scaling
	$(BIN)/python -m benchmarks peers
	$(BIN)/python -m benchmarks programs
	$(BIN)/python -m benchmarks batch
	$(BIN)/python -m benchmarks api
