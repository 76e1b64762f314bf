#!/usr/bin/env bash
# Benchmarks dockwatch (`make bench`):
#  1. the pure stats math (Decode+Compute per container) as a Go benchmark;
#  2. a snapshot of 100 idle containers on a private, throwaway dockerd
#     against `docker stats --no-stream` on the same daemon, with medians,
#     minimums and ratios (hack/bench).
# Needs root, dockerd, the docker CLI and busybox-static, as the real-daemon
# tests do. Extra arguments go to the snapshot benchmark, e.g.
#   hack/bench.sh -containers 50 -runs 3
# Ctrl-C removes the containers and the daemon before exiting.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== stats math: Decode+Compute of one recorded stats document"
go test -run '^$' -bench DecodeAndCompute -benchmem ./internal/stats

echo
echo "== snapshot vs docker stats --no-stream on a real daemon"
bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
go build -o "$bin_dir/dockwatch-bench" ./hack/bench
"$bin_dir/dockwatch-bench" "$@"
