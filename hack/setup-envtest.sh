#!/usr/bin/env bash
# Provides kube-apiserver, etcd and kubectl for controller-runtime's envtest
# and prints the directory that holds them, for KUBEBUILDER_ASSETS.
#
# No download of prebuilt binaries reaches our machines, so the control plane
# is built from source through the Go module proxy, in the tools modules under
# hack/controlplane. The first kube-apiserver build takes 5-10 minutes on two idle
# cores; the result is cached outside the checkout, keyed by the tools
# modules' go.sum, so later runs (and CI on the same machine) reuse it.
#
# Usage: hack/setup-envtest.sh           -> prints the assets directory
# In order of preference: KUBEBUILDER_ASSETS when it holds the binaries; the
# cached build; released binaries from controller-runtime's setup-envtest
# (ENVTEST_K8S_VERSION, default 1.37.x) where a download is reachable; and
# last a build from source (DOCKWATCH_ENVTEST_NO_BUILD=1 fails instead).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "setup-envtest: $*" >&2; }

has_assets() { [[ -x "$1/kube-apiserver" && -x "$1/etcd" && -x "$1/kubectl" ]]; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if has_assets "$KUBEBUILDER_ASSETS"; then
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks kube-apiserver, etcd or kubectl; looking elsewhere"
fi

cache_root="${DOCKWATCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dockwatch}"
# The key covers the two control-plane modules only, so the kubectl fallback
# module can change without rebuilding kube-apiserver.
cp_mods=("$here"/controlplane/etcd "$here"/controlplane/kube-apiserver)
# kube-apiserver is stamped with its release, as the release build does, so
# `kubectl version` and other clients that parse the server version work.
k8s_version=v1.37.2
stamp="k8s.io/component-base/version"
apiserver_ldflags="-X $stamp.gitVersion=$k8s_version -X $stamp.gitMajor=1 -X $stamp.gitMinor=37 -X $stamp.gitTreeState=clean -X $stamp.buildDate=1970-01-01T00:00:00Z"
key="$( (cat "${cp_mods[0]}/go.mod" "${cp_mods[1]}/go.mod" "${cp_mods[0]}/go.sum" "${cp_mods[1]}/go.sum"; echo "$apiserver_ldflags") | sha256sum | cut -c1-12)"
assets="$cache_root/envtest/k8s-1.37.2-$key"

if has_assets "$assets"; then
  echo "$assets"
  exit 0
fi

# Where the internet is reachable, controller-runtime's setup-envtest fetches
# released binaries in seconds: prefer them to a build. Offline (as on our
# machines) the download fails within the timeout and we build instead.
envtest_k8s=${ENVTEST_K8S_VERSION:-1.37.x}
setup_envtest_version=v0.25.1
setup_envtest="$cache_root/bin/setup-envtest-$setup_envtest_version"
setup_envtest_dir="$cache_root/setup-envtest"
fetch_released() {
  if [[ ! -x "$setup_envtest" ]]; then
    log "installing setup-envtest $setup_envtest_version (sigs.k8s.io/controller-runtime/tools/setup-envtest)"
    mkdir -p "$cache_root/bin"
    GOBIN="$cache_root/bin.tmp.$$" timeout "${ENVTEST_INSTALL_TIMEOUT:-300}" \
      go install "sigs.k8s.io/controller-runtime/tools/setup-envtest@$setup_envtest_version" >&2 || return 1
    mv "$cache_root/bin.tmp.$$/setup-envtest" "$setup_envtest" && rmdir "$cache_root/bin.tmp.$$"
  fi
  local dir
  # Already downloaded earlier, then a download with a short deadline.
  dir=$("$setup_envtest" use "$envtest_k8s" --bin-dir "$setup_envtest_dir" -i -p path 2>/dev/null) ||
    dir=$(timeout "${ENVTEST_DOWNLOAD_TIMEOUT:-30}" "$setup_envtest" use "$envtest_k8s" --bin-dir "$setup_envtest_dir" -p path) ||
    return 1
  has_assets "$dir" || return 1
  echo "$dir"
}
if released=$(fetch_released); then
  log "using released control-plane binaries from setup-envtest: $released"
  echo "$released"
  exit 0
fi
log "setup-envtest could not provide kube-apiserver $envtest_k8s (no download reachable?)"
if [[ "${DOCKWATCH_ENVTEST_NO_BUILD:-}" == "1" ]]; then
  log "DOCKWATCH_ENVTEST_NO_BUILD=1: not building from source"
  exit 1
fi
log "building the control plane from source instead: about 6-12 minutes on 2 idle cores, much longer under load (etcd ~1, kube-apiserver 5-10, kubectl ~3 when missing), once; cached in $assets"

mkdir -p "$assets"
build() { # build NAME MODULE_DIR PACKAGE [LDFLAGS]
  local name=$1 dir=$2 pkg=$3 ldflags=${4:-} start=$SECONDS
  if [[ -x "$assets/$name" ]]; then return; fi
  log "building $name from $pkg (cached afterwards in $assets)..."
  # Progress: print a line every minute so a long first build is visibly alive.
  ( while sleep 60; do log "  still building $name ($(( (SECONDS - start) / 60 )) min)"; done ) &
  local ticker=$!
  # -trimpath and no VCS stamping keep the build reproducible; CGO off gives a static binary.
  if ! (cd "$here/controlplane/$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$assets/$name.tmp" "$pkg"); then
    kill "$ticker" 2>/dev/null || true
    log "building $name failed"
    exit 1
  fi
  kill "$ticker" 2>/dev/null || true
  mv "$assets/$name.tmp" "$assets/$name"
  log "built $name in $(( SECONDS - start ))s"
}

build etcd etcd go.etcd.io/etcd/server/v3
build kube-apiserver kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$apiserver_ldflags"

# Tests drive kubectl from beside the other binaries: the machine's own when it
# has one, else one built from the same Kubernetes release.
if [[ ! -e "$assets/kubectl" ]]; then
  if command -v kubectl >/dev/null; then
    ln -s "$(command -v kubectl)" "$assets/kubectl"
  else
    build kubectl kubectl k8s.io/kubernetes/cmd/kubectl "$apiserver_ldflags"
  fi
fi
echo "$assets"
