#!/usr/bin/env bash
# `make demo`: dockwatch end to end on this machine. Provides the control
# plane binaries, then runs hack/demo. DEMO_FOR=90s bounds the run (CI does);
# without it the demo runs until Ctrl-C. Either way everything it started is
# stopped and removed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  echo "demo: Docker is not installed on this machine." >&2
  echo "      install it (as root) with: apt-get install -y docker.io busybox-static" >&2
  echo "      or run hack/install-deps.sh" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "demo: needs root, to start Docker daemons of its own" >&2
  exit 1
fi

KUBEBUILDER_ASSETS="$(hack/setup-envtest.sh)"
export KUBEBUILDER_ASSETS
exec go run ./hack/demo --for "${DEMO_FOR:-0}" --manager bin/manager
