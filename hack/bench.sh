#!/usr/bin/env bash
# Benchmarks dockwatch (`make bench`):
#  1. the pure stats math (Decode+Compute per container) and one container's
#     cgroup files (cgroupstats.Read over fixtures) as Go benchmarks;
#  2. on a private, throwaway dockerd with 100 idle containers, in
#     interleaved runs: a dockwatch snapshot through the API stats source
#     (cold and warm), the same with a worker pool of 8, `docker stats
#     --no-stream`, and a warm snapshot through the cgroup stats source, with
#     medians, minimums and ratios, then the cgroup files alone (hack/bench).
# Needs root, dockerd, the docker CLI and busybox-static, as the real-daemon
# tests do; the cgroup source also needs this host's /proc and
# /sys/fs/cgroup to be the daemon's (it is skipped with a note otherwise, or
# with -cgroup=false). Extra arguments go to the snapshot benchmark, e.g.
#   hack/bench.sh -containers 50 -runs 3
# Ctrl-C removes the containers and the daemon before exiting.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== stats math: Decode+Compute of one recorded stats document"
go test -run '^$' -bench DecodeAndCompute -benchmem ./internal/stats

echo
echo "== cgroupstats: Read of one container from fixture files"
go test -run '^$' -bench Read -benchmem ./internal/cgroupstats

echo
echo "== snapshots (API source, worker pool, cgroup source) vs docker stats --no-stream on a real daemon"
bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
go build -o "$bin_dir/dockwatch-bench" ./hack/bench
"$bin_dir/dockwatch-bench" "$@"
