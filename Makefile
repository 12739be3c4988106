# Two commands do it all on a fresh machine (each creates .venv when it is missing):
#   make reproduce   execute every notebook on the embedded default data; refresh figures/ and results/
#   make test        run the test suite
.DEFAULT_GOAL := help
SHELL := /bin/bash
DATA ?= data/synthetic
OUT ?=
JOBS ?= 2
# ALLOW_FOREIGN_FILES=1: let a run write into an OUT that holds files no run wrote (never changed or deleted)
ALLOW_FOREIGN_FILES ?=

# The Pythons the project supports (pyproject.toml requires-python; constraints.txt pins each).
SUPPORTED_PYTHONS := 3.11 3.12 3.13
# PYTHON builds the environment. Default: the first of python3.11, python3.12, python3.13 that runs
# (a pyenv shim can be on PATH and still fail). PYTHON_SYSTEM is its old, deprecated name.
ifneq ($(strip $(PYTHON_SYSTEM)),)
PYTHON ?= $(PYTHON_SYSTEM)
endif
ifeq ($(strip $(PYTHON)),)
override PYTHON := $(shell for v in $(SUPPORTED_PYTHONS); do python$$v -c 'import sys' >/dev/null 2>&1 && { echo python$$v; break; }; done)
endif
# "CPython 3.12.1 3.12" for PYTHON, empty when it does not run
PYTHON_TAG := $(if $(PYTHON),$(shell $(PYTHON) -c 'import platform, sys; print(platform.python_implementation(), platform.python_version(), "%d.%d" % sys.version_info[:2])' 2>/dev/null))
ifeq ($(PYTHON),)
PYTHON_ERROR := none of $(SUPPORTED_PYTHONS:%=python%) runs here: install one, or name one with PYTHON=<interpreter>
else ifeq ($(PYTHON_TAG),)
PYTHON_ERROR := PYTHON=$(PYTHON) does not run (a pyenv shim? then e.g. PYENV_VERSION=3.12.1 make ... PYTHON=$(PYTHON))
else ifneq ($(word 1,$(PYTHON_TAG))-$(filter $(word 3,$(PYTHON_TAG)),$(SUPPORTED_PYTHONS)),CPython-$(word 3,$(PYTHON_TAG)))
PYTHON_ERROR := PYTHON=$(PYTHON) is $(wordlist 1,2,$(PYTHON_TAG)); this project supports CPython $(SUPPORTED_PYTHONS)
endif

# The environment: VENV (default .venv), made with PYTHON; its stamp holds the tag of the Python that made it.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# remake the environment when it was made with another Python than PYTHON (or refuse PYTHON)
ifneq ($(PYTHON_ERROR)$(PYTHON_TAG),$(strip $(if $(wildcard $(STAMP)),$(file <$(STAMP)))))
$(STAMP): .FORCE
endif

.PHONY: help env reproduce report test test-fast data check-data compare environment lock clean .FORCE
.FORCE:

help: ## list the targets
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'
	@echo "  variables: DATA=<data set folder> OUT=<output folder> (make reproduce DATA=private/mydata OUT=private/out)"
	@echo "             ALLOW_FOREIGN_FILES=1: write into an OUT holding files no run wrote (they are never changed or deleted)"
	@echo "             PYTHON=<interpreter> builds $(VENV): CPython $(SUPPORTED_PYTHONS); default the first of $(SUPPORTED_PYTHONS:%=python%) that runs"
	@echo "             (make reproduce PYTHON=python3.12; with pyenv: PYENV_VERSION=3.12.1 make reproduce PYTHON=python3.12)"
	@echo "  PYTHON here: $(if $(PYTHON_ERROR),none ($(PYTHON_ERROR)),$(PYTHON) = $(wordlist 1,2,$(PYTHON_TAG)))"

$(STAMP): requirements.txt constraints.txt pyproject.toml
	$(if $(PYTHON_ERROR),$(error $(PYTHON_ERROR)))
	@if [ -x $(PY) ] && [ "$$($(PY) -c 'import platform, sys; print(platform.python_implementation(), platform.python_version(), "%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$(PYTHON_TAG)" ]; then \
	  echo "$(VENV) was made with another Python: making it again with $(PYTHON) ($(wordlist 1,2,$(PYTHON_TAG)))"; rm -rf "$(VENV)"; fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (msc-frailty)" >/dev/null
	echo "$(PYTHON_TAG)" > $@

env: $(STAMP) ## create .venv with the pinned environment (done by the other targets when needed)

reproduce: $(STAMP) ## run every notebook on DATA (default: the embedded synthetic data) into OUT (default: the repository)
	MPLBACKEND=agg $(PY) -m msc_frailty.runner --data "$(DATA)" $(if $(OUT),--out "$(OUT)") --jobs $(JOBS) $(if $(filter 1 yes true,$(ALLOW_FOREIGN_FILES)),--allow-foreign-files)

report: $(STAMP) ## build the static HTML site of the executed notebooks (after make reproduce) into build/report
	test -d build/notebooks || MPLBACKEND=agg $(PY) -m msc_frailty.runner --data "$(DATA)" --jobs $(JOBS)
	$(PY) -m msc_frailty.report --notebooks build/notebooks --out build/report

test: $(STAMP) ## run the test suite (lib, validator, data generator, every notebook end to end)
	MPLBACKEND=agg $(PY) -m pytest -q

test-fast: $(STAMP) ## units and doctests only, no notebook executed (a developer's inner loop; make test runs everything)
	MPLBACKEND=agg $(PY) -m pytest -q --fast

data: $(STAMP) ## regenerate the synthetic default data from data/synthetic/spec.yaml
	$(PY) -m msc_frailty.synthetic --spec data/synthetic/spec.yaml --out data/synthetic

check-data: $(STAMP) ## validate DATA as make reproduce does; list the tables read and left out (and why), and the arms
	$(PY) -m msc_frailty.data "$(DATA)"

environment: ## regenerate environment.yml from requirements.txt (the source of truth)
	python3 lib/msc_frailty/envfile.py > environment.yml

MANUSCRIPT_PDF ?= build/manuscript/manuscript.pdf
.PHONY: manuscript
manuscript: $(STAMP) ## build the example manuscript (manuscript/manuscript.typ, Typst) from results/ and figures/ (OUT=<folder>: of a run there) into build/manuscript/manuscript.pdf
	$(PY) -m msc_frailty.manuscript $(if $(OUT),--out "$(OUT)") --pdf "$(MANUSCRIPT_PDF)"

compare: ## compare the figures and results of a run in OUT with the committed ones, byte for byte (AGAINST=<folder>: with another run)
	@test -n "$(OUT)" || { echo "usage: make compare OUT=<folder of a make reproduce OUT=... run> [AGAINST=<another such folder>]" >&2; exit 2; }
	python3 .ci/compare_outputs.py "$(OUT)" $(if $(AGAINST),"$(AGAINST)")

lock: ## re-resolve requirements.txt on every supported Python and pin every package in constraints.txt (KEEP=1: within the current pins)
	python3 lib/msc_frailty/envfile.py lock $(if $(KEEP),--keep) $(or $(LOCK_PYTHONS),$(SUPPORTED_PYTHONS:%=python%))

clean: ## remove executed notebooks and the environment
	rm -rf build $(VENV)
