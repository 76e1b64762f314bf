#!/usr/bin/env bash
# Benchmarks the cgroup stats source against the API stats source:
#  1. reading one container's counters from fixture files (Go benchmark);
#  2. a warm snapshot of 100 idle containers on a private, throwaway dockerd
#     through each source, with medians and their ratio
#     (hack/bench-cgroup).
# Needs root, dockerd, the docker CLI and busybox-static, as the real-daemon
# tests do, on a host whose /proc and /sys/fs/cgroup are the daemon's.
# Extra arguments go to the snapshot benchmark, e.g.
#   hack/bench-cgroup.sh -containers 50 -runs 3
# Ctrl-C removes the containers and the daemon before exiting.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cgroupstats: Read of one container from fixture files"
go test -run '^$' -bench 'Read' -benchmem ./internal/cgroupstats

echo
echo "== warm snapshot through the API source and the cgroup source"
bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
go build -o "$bin_dir/cgroupbench" ./hack/bench-cgroup
# Ctrl-C reaches the benchmark too; it cleans up and exits 130.
"$bin_dir/cgroupbench" "$@"
