# dpif.ovs: build, test and demo entry points.
#
#   make test    lint, unit tests on the host, kernel tests in the sandbox, sanity
#   make demo    provision an example hypervisor datapath in the sandbox, twice
#   make bench   flow-language and flow-table benchmarks in the sandbox
#
# Each target installs what it needs first (`make deps`): Debian packages when
# missing and we are root, a .venv with the pinned Python tools, and the
# collection linked as ansible_collections.dpif.ovs under .build/.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
COLL_ROOT := $(CURDIR)/.build/collections
COLL := $(COLL_ROOT)/ansible_collections/dpif/ovs
SANDBOX := tests/sandbox/run
export PYTHONPATH := $(COLL_ROOT)
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_PYTHON_INTERPRETER := $(CURDIR)/$(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: all deps system-deps venv link lint unit kernel sanity test demo bench clean

all: test

deps: system-deps venv link

system-deps:
	@tests/sandbox/install-system-deps

$(VENV)/.stamp: requirements-dev.txt
	@py=$$(tests/sandbox/find-python) && echo "Using $$py for the virtualenv" && \
	  rm -rf $(VENV) && $$py -m venv $(VENV) && \
	  $(PY) -m pip install -q --upgrade pip && \
	  $(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.stamp

link:
	@mkdir -p $(dir $(COLL)) && ln -sfn $(CURDIR) $(COLL)

lint: deps
	$(VENV)/bin/ruff check .

unit: deps
	$(PY) -m pytest tests/unit -q

kernel: deps
	$(SANDBOX) $(PY) -m pytest tests/kernel -q -p no:cacheprovider

sanity: deps
	@tests/sandbox/sanity

test: lint unit kernel sanity

demo: deps
	$(SANDBOX) demo/run

bench: deps
	$(SANDBOX) $(PY) tests/bench/run.py

clean:
	rm -rf .build tests/output
