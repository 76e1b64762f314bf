#!/usr/bin/env bash
# Installs the machine packages dockwatch's tests and demo need, when missing:
# Docker Engine (Debian's docker.io: dockerd, containerd, runc and the CLI),
# a static busybox to build test images from (no registry is reachable),
# Prometheus (prometheus and promtool: the metrics, rules and dashboard tests)
# and Podman (its Docker-compatible service, which the Podman tests poll).
# `make test` and `make demo` run it first (`make deps`). As root on Debian it
# installs what is missing; otherwise it prints the exact command and fails.
set -euo pipefail

missing=()          # installed with their recommended packages, as before
missing_norecs=()   # installed without: prometheus would pull in node-exporter
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing_norecs+=(prometheus)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v kubectl >/dev/null 2>&1 || echo "install-deps: no kubectl on PATH; hack/setup-envtest.sh will build one"

all=("${missing[@]}" "${missing_norecs[@]}")
if [[ ${#all[@]} -eq 0 ]]; then
  echo "install-deps: nothing missing"
  exit 0
fi
hint="apt-get install -y ${missing[*]:+${missing[*]} }${missing_norecs[*]:+&& apt-get install -y --no-install-recommends ${missing_norecs[*]}}"
hint=${hint#apt-get install -y && }; hint=${hint% }
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${all[*]}." >&2
  echo "install-deps: as root on Debian, run: $hint" >&2
  echo "install-deps: (or run this script as root; elsewhere install Docker Engine, a static busybox and Prometheus 2.x with promtool)" >&2
  exit 1
fi
echo "install-deps: installing ${all[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [[ ${#missing[@]} -gt 0 ]]; then
  apt-get install -y -qq "${missing[@]}"
fi
if [[ ${#missing_norecs[@]} -gt 0 ]]; then
  apt-get install -y -qq --no-install-recommends "${missing_norecs[@]}"
  # The package starts a system Prometheus on :9090 where a service manager
  # runs. The tests start their own on a free loopback port; stop that one.
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    service prometheus stop >/dev/null 2>&1 || true
  fi
fi
