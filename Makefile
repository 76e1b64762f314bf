# Image URL to use all building/pushing image targets
IMG ?= dockwatch:dev

# Tools are built once and cached outside the checkout, so a fresh clone (and
# CI on the same machine) reuses them.
CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dockwatch
TOOLS_BIN ?= $(CACHE_DIR)/bin
CONTROLLER_TOOLS_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(TOOLS_BIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)

# kubectl carries kustomize, so no separate kustomize binary is needed.
KUBECTL ?= kubectl
# -p 1: packages run one after another, because tests that measure a busy
# container's CPU must not share the two cores with another package's burners.
# -count=1: results depend on daemons and binaries the test cache does not track.
GO_TEST_FLAGS ?= -p 1 -count=1 -timeout 45m

# Setting SHELL to bash allows bash commands to be executed by recipes.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and the RBAC ClusterRole from the Go markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd:allowDangerousTypes=true paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when generated files are not committed as generated.
	@git diff --exit-code -- config api || { echo "generated files are stale: run 'make manifests generate' and commit"; exit 1; }

.PHONY: prometheus-rules
prometheus-rules: ## Regenerate the PrometheusRule (config/prometheus/operator) from the plain rules file.
	DOCKWATCH_UPDATE_RULES=1 go test -count=1 -run TestPrometheusRuleCarriesExactlyTheRulesFile ./config

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

.PHONY: test
test: deps manifests generate fmt vet envtest ## Run every test: unit, envtest (real kube-apiserver) and real Docker daemons.
	KUBEBUILDER_ASSETS="$$(hack/setup-envtest.sh)" go test $(GO_TEST_FLAGS) ./... -coverprofile cover.out

# Fuzz targets, as package:FuzzName; each runs alone for FUZZTIME. Add new
# targets with FUZZ_TARGETS += ./pkg:FuzzName. FUZZTIME counts executions
# (Nx), not seconds: Go 1.26's fuzzer can fail a duration-bound run with a
# bare "context deadline exceeded" as the time runs out (golang/go#75804,
# fixed in Go 1.27). 50,000 runs take 3-20 s a target on two cores.
FUZZTIME ?= 50000x
FUZZ_TARGETS := ./internal/stats:FuzzDecodeCompute ./internal/stats:FuzzComputeCounters
FUZZ_TARGETS += ./internal/docker:FuzzContainerList ./internal/docker:FuzzInspect
FUZZ_TARGETS += ./internal/docker:FuzzDaemonInfo ./internal/docker:FuzzPing ./internal/docker:FuzzStatsAnswer
FUZZ_TARGETS += ./internal/docker:FuzzInspectState ./internal/docker:FuzzContainerEvents
FUZZ_TARGETS += ./internal/eventlog:FuzzRead

.PHONY: fuzz
fuzz: ## Run every fuzz target on daemon bytes for FUZZTIME (50000x: executions) each.
	@for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "go test -run '^$$' -fuzz '^$$name$$' -fuzztime $(FUZZTIME) $$pkg"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

.PHONY: bench
bench: ## Benchmarks: snapshots on a real daemon vs `docker stats --no-stream` (and the cgroup source), then a 1,000-host fake fleet on one manager.
	hack/bench.sh $(BENCH_ARGS)

.PHONY: demo
demo: deps build envtest ## Run dockwatch end to end on a local control plane and the local Docker daemon (DEMO_FOR=90s bounds it).
	hack/demo.sh

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager and the dockwatch CLI into bin/.
	go build -o bin/manager ./cmd
	go build -o bin/dockwatch ./cmd/dockwatch

.PHONY: run
run: manifests generate fmt vet ## Run the manager from your host against the current kubeconfig.
	go run ./cmd

.PHONY: docker-build
docker-build: ## Build the container image (one image for cluster and node mode).
	docker build -t $(IMG) .

.PHONY: docker-build-local
docker-build-local: ## Build the same image offline: static binaries from here in a FROM scratch image (hack/image/Dockerfile).
	IMG=$(IMG) hack/docker-build-local.sh

##@ Deployment

.PHONY: install
install: manifests ## Install the CRD into the cluster in the current kubeconfig.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: manifests ## Remove the CRD (and every DockerHost) from the cluster.
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the CRD and the cluster-mode manager with image $(IMG).
	$(KUBECTL) kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' | $(KUBECTL) apply --server-side -f -

# AGENT_OVERLAY=config/agent-cgroup reads container counters from the nodes' cgroup files.
AGENT_OVERLAY ?= config/agent

.PHONY: deploy-agents
deploy-agents: ## Add node mode: the agent DaemonSet (image $(IMG), overlay $(AGENT_OVERLAY)) beside a `make deploy`.
	$(KUBECTL) kustomize $(AGENT_OVERLAY) | sed 's|image: controller:latest|image: $(IMG)|' | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy-agents
undeploy-agents: ## Remove the node agents (their DockerHosts stay until their Nodes go).
	$(KUBECTL) delete --ignore-not-found -k $(AGENT_OVERLAY)

.PHONY: undeploy
undeploy: ## Remove the cluster-mode manager and everything it installed.
	$(KUBECTL) delete --ignore-not-found -k config/default

##@ Dependencies

.PHONY: deps
deps: ## Install the machine packages the tests and demo need (docker.io, podman, busybox-static, prometheus) when missing; as root on Debian.
	@hack/install-deps.sh

.PHONY: envtest
envtest: ## Build (first time, 6-12 min on 2 idle cores) or reuse kube-apiserver and etcd for envtest; prints their directory.
	@hack/setup-envtest.sh

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen into the tools cache if needed.
$(CONTROLLER_GEN):
	@mkdir -p $(TOOLS_BIN)
	@echo "building controller-gen $(CONTROLLER_TOOLS_VERSION) into $(TOOLS_BIN)"
	GOBIN=$(TOOLS_BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(TOOLS_BIN)/controller-gen $(CONTROLLER_GEN)
