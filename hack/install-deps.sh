#!/usr/bin/env bash
# Installs the machine packages dockwatch's tests and demo need, when missing:
# Docker Engine (Debian's docker.io: dockerd, containerd, runc and the CLI)
# a static busybox to build test images from (no registry is reachable), and
# Debian's podman, whose Docker-compatible service the Podman tests poll.
# Needs root; prints what it would install otherwise.
set -euo pipefail

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v kubectl >/dev/null 2>&1 || echo "install-deps: no kubectl on PATH; hack/setup-envtest.sh will build one"

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: nothing missing"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
