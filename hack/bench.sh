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
# with -cgroup=false);
#  3. the fleet: one manager (bin/manager, default flags) holding -fleet-hosts
#     fake mutual-TLS Engines (hack/fakefleet, its own process) on its own
#     envtest API server (hack/fleetbench): CPU, peak RSS, poll age,
#     handshakes, sockets and API writes; -fleet-replicas N runs N managers
#     with --sharding instead, with the per-process figures of each.
# Arguments starting with -fleet- go to the fleet benchmark without the
# prefix; -only snapshot|fleet runs one part; the rest go to the snapshot
# benchmark, e.g.
#   hack/bench.sh -containers 50 -runs 3
#   make bench BENCH_ARGS="-only fleet -fleet-hosts 100"
# Ctrl-C removes the containers and the daemon before exiting.
set -euo pipefail
cd "$(dirname "$0")/.."

snapshot_args=() fleet_args=() only=""
while (($#)); do
  case "$1" in
    -only) only="$2"; shift 2 ;;
    -only=*) only="${1#-only=}"; shift ;;
    -fleet-*=*) fleet_args+=("-${1#-fleet-}"); shift ;;
    -fleet-*) # a flag without a value (-fleet-pprof) is followed by another flag or nothing
      if (($# < 2)) || [[ "$2" == -* ]]; then fleet_args+=("-${1#-fleet-}"); shift
      else fleet_args+=("-${1#-fleet-}" "$2"); shift 2; fi ;;
    *) snapshot_args+=("$1"); shift ;;
  esac
done
bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT

# run_fleet builds the manager, the fake fleet and the benchmark, and runs it.
run_fleet() {
  go build -o "$bin_dir/manager" ./cmd
  go build -o "$bin_dir/fakefleet" ./hack/fakefleet
  go build -o "$bin_dir/fleetbench" ./hack/fleetbench
  echo "== fleet: dockwatch manager (-fleet-replicas: several, sharding), fake mutual-TLS Engines, envtest API server"
  "$bin_dir/fleetbench" -manager "$bin_dir/manager" -fakefleet "$bin_dir/fakefleet" -assets "$(hack/setup-envtest.sh)" ${fleet_args[@]+"${fleet_args[@]}"}
}

if [[ "$only" == "fleet" ]]; then
  run_fleet
  exit 0
fi

echo "== stats math: Decode+Compute of one recorded stats document"
go test -run '^$' -bench DecodeAndCompute -benchmem ./internal/stats

echo
echo "== cgroupstats: Read of one container from fixture files"
go test -run '^$' -bench Read -benchmem ./internal/cgroupstats

echo
echo "== snapshots (API source, worker pool, cgroup source) vs docker stats --no-stream on a real daemon"
go build -o "$bin_dir/dockwatch-bench" ./hack/bench
"$bin_dir/dockwatch-bench" ${snapshot_args[@]+"${snapshot_args[@]}"}

if [[ "$only" != "snapshot" ]]; then
  echo
  run_fleet
fi
