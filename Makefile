# The two commands of the README's quick start, and the steps they stand on.
#   make demo   installs everything into .venv (first run builds llama.cpp: about 5 minutes) and
#               answers a question on the embedded model
#   make test   installs the same and runs the whole test suite, integration tests included
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The llava/mtmd part of llama.cpp is not used; skipping it saves about a minute of build.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
export PIP_DISABLE_PIP_VERSION_CHECK = 1

QUESTION ?= Tom has 3 apples and buys 4 more. Then he eats 2 of them. How many apples does Tom have now?

.PHONY: install demo test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[local,plot,dev]'
	touch $(STAMP)

demo: install
	$(BIN)/ttc solve "$(QUESTION)" --n 8

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check ttc_modules planners tests benchmarks examples

bench: install
	$(BIN)/python benchmarks/local_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
