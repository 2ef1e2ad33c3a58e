# Two commands matter: `make demo` (set up, then run the main job on the bundled data) and
# `make test` (set up, then type-check and run every test: unit, property, doctests and notebooks).
# `make docs` builds the documentation site, `make lint` checks style and types (CONTRIBUTING.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbval with journey's plugin (journey/nbval_plugin.py): its sanitizer, and the pictures compared too. The
# plugin loads through its pytest11 entry point, installed by the $(VENV) rule (rebuilt when pyproject.toml
# changes); `-p journey.nbval_plugin` as well would register it twice.
NBVAL  := --nbval --nbval-current-env --journey
# Test files spread over the cores (pytest-xdist, at most four workers): a file, and so a notebook with its
# kernel, a module's LocalCluster or its PostgreSQL server, stays on one worker. `make test PARALLEL=` runs
# them in one process.
PARALLEL ?= -n auto --maxprocesses 4 --dist loadfile

.PHONY: demo test lint docs bench notebooks data clean

# The virtual environment: the package, editable, with every extra. Rebuilt when pyproject.toml changes.
$(VENV): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "journey needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	@touch $(VENV)

demo: $(VENV)
	$(BIN)/journey summary journey/datasets/data/events.csv.gz
	$(BIN)/journey report --out report
	$(BIN)/journey map journey/datasets/data/events.csv.gz --goal purchase --min-share 0.1 --out docs/journey_map.png

test: $(VENV)
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest $(PARALLEL) --doctest-modules journey tests $(NBVAL) notebooks --ignore=journey/report/templates

# ruff (lint, and the format check: nothing is rewritten) and mypy, as .pre-commit-config.yaml runs them.
lint: $(VENV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

# The documentation site, from docs/ (notebooks rendered from their stored outputs), into docs/_build/html.
# Warnings are errors, all of them reported before the build fails.
docs: $(VENV)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)
	$(BIN)/python benchmarks/read_events.py
	$(BIN)/python benchmarks/graph.py
	$(BIN)/python benchmarks/markov.py
	$(BIN)/python benchmarks/wide.py
	$(BIN)/python benchmarks/dask_graph.py
	$(BIN)/python benchmarks/engine.py

# Re-execute every notebook in place (outputs are committed and checked by nbval).
notebooks: $(VENV)
	$(BIN)/python notebooks/execute.py notebooks/*.ipynb

# Regenerate the bundled sample data from its seeded generator, in place in this checkout (the folder is
# named: an installed package is never written to).
data: $(VENV)
	$(BIN)/python -m journey.datasets journey/datasets/data

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache build dist *.egg-info docs/_build docs/api/generated
