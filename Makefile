# dpif.ovs: build, test and demo entry points.
#
#   make test    lint, unit tests on the host, kernel tests in the sandbox, sanity
#   make kernel-zones   conntrack-zone flow tests under Debian's amd64 kernel (qemu)
#   make demo    provision an example hypervisor datapath in the sandbox, twice
#   make bench   flow-language and flow-table benchmarks in the sandbox
#   make molecule   the role's molecule scenarios (extensions/molecule) in the sandbox
#   make lint-docs  antsibull-docs, antsibull-changelog and ansible-lint (production)
#   make docs    the docs site (antsibull-docs + Sphinx) in .build/docs
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
ZONES_SANDBOX := tests/sandbox/run-zones
export PYTHONPATH := $(COLL_ROOT)
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_PYTHON_INTERPRETER := $(CURDIR)/$(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: all deps system-deps venv link lint unit kernel kernel-zones sanity test demo bench clean molecule lint-docs docs

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

# The UML kernel of $(SANDBOX) has no conntrack zones; these flows need Debian's amd64 kernel.
# The CPU is emulated there: hypothesis's pytest plugin alone costs ~30 s to import.
kernel-zones: deps
	$(ZONES_SANDBOX) $(PY) -m pytest tests/kernel_zones -q -p no:cacheprovider -p no:hypothesispytest

sanity: deps
	@tests/sandbox/sanity

molecule: deps
	$(SANDBOX) sh -c 'cd extensions && PATH=$(CURDIR)/$(VENV)/bin:$$PATH molecule test --all'

lint-docs: deps
	cd $(COLL) && PATH=$(CURDIR)/$(VENV)/bin:$$PATH antsibull-docs lint-collection-docs --plugin-docs .
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH antsibull-changelog lint
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-lint --profile production roles/ demo/ extensions/

docs: deps
	@PATH=$(CURDIR)/$(VENV)/bin:$$PATH docs/build

test: lint unit kernel kernel-zones sanity lint-docs molecule

demo: deps
	$(SANDBOX) demo/run

bench: deps
	$(PY) tests/bench/bench_odp.py --flows 100000
	$(SANDBOX) $(PY) tests/bench/run.py

clean:
	rm -rf .build tests/output
