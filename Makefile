# The whole interface of this repository; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

CACHE ?= $(or $(BOTCORE_CACHE_DIR),$(HOME)/.cache/botcore-platform)
export BOTCORE_CACHE_DIR := $(CACHE)
PYTHON ?= python3
VENV := $(CACHE)/venv-$(shell cat requirements.txt | sha256sum | cut -c1-12)
BIN := $(VENV)/bin
# Ansible finds this checkout as botcore.platform through a link kept outside the tree.
COLLECTIONS := $(CACHE)/collections-$(shell echo $(CURDIR) | sha256sum | cut -c1-8)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)
export ANSIBLE_FORCE_COLOR ?= false
export NO_COLOR ?= 1
export PY_COLORS ?= 0
CLUSTER := $(BIN)/python -m tools.localcluster
SCENARIOS ?= smoke platform day2 prerequisites
RENDER_DIR := $(CURDIR)/build/manifests
# checkov has a virtual environment of its own: see requirements-checkov.txt.
CHECKOV_VENV := $(CACHE)/venv-checkov-$(shell cat requirements-checkov.txt | sha256sum | cut -c1-12)

.PHONY: help setup shell run demo test lint sanity units integration molecule cluster-build cluster-up cluster-down kubeconfig status render checkov bench ee

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(VENV)/.installed: requirements.txt
	@echo "setting up $(VENV)" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt >&2
	@touch $@

$(COLLECTIONS)/ansible_collections/botcore/platform:
	@mkdir -p $(dir $@) && ln -sfn $(CURDIR) $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@echo "setting up $(CHECKOV_VENV)" >&2
	@$(PYTHON) -m venv $(CHECKOV_VENV) >&2
	@$(CHECKOV_VENV)/bin/pip install --disable-pip-version-check -q -r requirements-checkov.txt >&2
	@touch $@

setup: $(VENV)/.installed $(COLLECTIONS)/ansible_collections/botcore/platform ## install the pinned Python tools

# The environment every target runs in: the virtual environment first on PATH, and the checkout as the only
# botcore.platform (ANSIBLE_COLLECTIONS_PATH names the link to it, so no copy under ~/.ansible/collections is read).
shell: setup ## a shell with the virtual environment and this checkout as botcore.platform (exit leaves it)
	@echo "botcore.platform from $(CURDIR); ansible $$(ansible --version | head -1 | sed 's/.*core //;s/]//'); exit to leave" >&2
	@$${SHELL:-/bin/bash} -i

CMD ?= ansible-playbook --version
run: setup ## run CMD in that environment, e.g. make run CMD='ansible-doc -t role -l botcore.platform'
	@$(CMD)

cluster-build: setup ## build (or reuse) the local cluster binaries
	@$(CLUSTER) build

cluster-up: setup ## start the local cluster (BOTCORE_CLUSTER_PROVIDER=local|kind|existing)
	@$(CLUSTER) up

cluster-down: setup ## stop the local cluster and remove its state (says what it stopped)
	@$(CLUSTER) down

kubeconfig: setup ## print the path of the cluster's kubeconfig and nothing else
	@$(CLUSTER) kubeconfig

# The CLI exits 3 when the API is not ready: an answer, not a failure of the target.
status: setup ## print the state of the cluster processes; exits 0 on a stopped cluster
	@$(CLUSTER) status || { rc=$$?; [ $$rc -eq 3 ] || exit $$rc; \
	  echo "make status: the cluster's API is not ready (stopped or starting); make cluster-up starts it" >&2; }

# The add-ons' charts and release files from an offline mirror (charts/<chart>-<version>.tgz,
# gateway-api/<version>/standard-install.yaml): ../shared when it exists; empty reads the upstream sources.
BOTCORE_ADDON_MIRROR ?= $(if $(wildcard $(CURDIR)/../shared/charts),$(abspath $(CURDIR)/../shared))
export BOTCORE_ADDON_MIRROR
KUBECTL = $$($(CLUSTER) bin kubectl) --kubeconfig=$$($(CLUSTER) kubeconfig)

# Production's shape on the local cluster: the add-ons from their real charts, then the platform behind the Gateway.
demo: setup ## fresh machine: start the local cluster, deploy the add-ons and the platform to it, print the status
	@$(BIN)/python -m tools.addon_sources
	@$(CLUSTER) up
	@# The add-on roles run `helm`: the one built with the cluster, unless PATH has one.
	@PATH=$$PATH:$$(dirname $$($(CLUSTER) bin helm)) KUBECONFIG=$$($(CLUSTER) kubeconfig) \
	  ansible-playbook site.yml -i inventories/local \
	  || { echo "make demo: site.yml failed; the cluster keeps running for a look (make cluster-down stops it)" >&2; exit 1; }
	@$$($(CLUSTER) bin helm) --kubeconfig=$$($(CLUSTER) kubeconfig) list --all-namespaces
	@$(KUBECTL) get deployments,statefulsets,hpa,pvc -n bot-core-production
	@$(KUBECTL) get gateways,httproutes --all-namespaces
	@echo
	@echo "The platform runs on the local cluster, every workload at its desired replicas. export KUBECONFIG=$$($(CLUSTER) kubeconfig)"
	@echo "Stop it with: make cluster-down"

lint: setup ## yamllint, ansible-lint (production profile), ruff
	yamllint --strict .
	ansible-lint --profile production
	ruff check .
	ruff format --check .

sanity: setup ## ansible-test sanity on a copy of the collection, no ignore entries
	@tools/ansible-test.sh sanity

units: setup ## unit tests of the plugins and tools
	pytest -q tests/unit

integration: setup cluster-build ## lifecycle tests of the local cluster provider
	pytest -q tests/integration

# Tests run their own cluster beside any `make cluster-up` one: other state directory, other ports.
molecule: export BOTCORE_CLUSTER_STATE ?= $(CACHE)/test-cluster
molecule: export BOTCORE_CLUSTER_PORT_OFFSET ?= 100
# A failed scenario's failed tasks are printed again at the end: CI shows the tail of a long log.
molecule: setup cluster-build ## the Molecule scenarios against the local cluster
	@mkdir -p build/molecule; for s in $(SCENARIOS); do echo "=== molecule test -s $$s"; \
	if ! molecule test -s $$s 2>&1 | tee build/molecule/$$s.log; then \
	echo "=== molecule test -s $$s failed; its failed tasks (whole log: build/molecule/$$s.log):"; \
	grep -B3 -A25 'fatal: \|failed: \[' build/molecule/$$s.log | cut -c1-400 | tail -120; exit 1; fi; done

# Render mode reads no cluster and needs no vault: the secrets role skips its lookup and redacts every value.
# The directory is emptied first so that objects no longer rendered do not linger.
INVENTORY ?= inventories/production
render: setup ## write an inventory's manifests (INVENTORY=..., default inventories/production) to build/manifests, touching no cluster
	@rm -rf $(RENDER_DIR)
	ansible-playbook site.yml -i $(INVENTORY) -e platform_render_dir=$(RENDER_DIR)
	@echo "render: $(INVENTORY): $$(find $(RENDER_DIR) -name '*.yaml' | wc -l) component files, $$(cat $(RENDER_DIR)/*/*.yaml | grep -c '^kind: ') objects in $(RENDER_DIR)"

# --skip-download: no Prisma Cloud guidelines to fetch (unreachable offline); skips name CKV_ ids, which need none.
checkov: render $(CHECKOV_VENV)/.installed ## checkov on the rendered manifests; any failed check fails
	$(CHECKOV_VENV)/bin/checkov --directory $(RENDER_DIR) --framework kubernetes --skip-download --compact --quiet

# The collection is built from this checkout into the context, so the image holds exactly this commit's roles.
EE_DIR := $(CURDIR)/build/ee
ee: setup ## the AWX execution environment's build context in build/ee/context (then: podman build build/ee/context)
	@rm -rf $(EE_DIR) && mkdir -p $(EE_DIR)
	ansible-galaxy collection build --force --output-path $(EE_DIR) .
	mv $(EE_DIR)/botcore-platform-*.tar.gz $(EE_DIR)/botcore-platform.tar.gz
	ansible-builder create --file execution-environment.yml --context $(EE_DIR)/context --output-filename Containerfile

# Its own cluster beside every other one: other state directory, ports +600 (tests use 100 and 200), unless the
# environment names others, as for `make molecule`. Always the local provider: kind's cluster name is shared with
# `make cluster-up`, and an existing cluster is not ours to reset. FLEET=N (or BENCH_FLEET) runs the fleet mode:
# N clusters at ports +600, +650, ...; ROUNDS (default 3) sets the rounds of either mode.
bench: export BOTCORE_CLUSTER_STATE ?= $(CACHE)/bench-cluster
bench: export BOTCORE_CLUSTER_PORT_OFFSET ?= 600
bench: export BOTCORE_CLUSTER_PROVIDER := local
bench: export BENCH_FLEET ?= $(FLEET)
bench: setup cluster-build ## site.yml against naive, Helm, kubectl, one-task anchors (build/bench.json); FLEET=N: N clusters
	@$(BIN)/python -m tools.bench

test: ## fresh machine: set up everything and run every test
	@start=$$(date +%s); \
	$(MAKE) lint sanity units checkov integration molecule; \
	echo "make test: all stages passed in $$(( $$(date +%s) - start ))s"
