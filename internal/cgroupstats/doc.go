// Package cgroupstats reads a Docker container's resource counters straight
// from its cgroup (v1 or v2) and /proc, and returns them as the
// container.StatsResponse the Engine API's stats endpoint would give for the
// same container. Feeding that to stats.Compute gives `docker stats` figures
// by construction, without a request per container to the daemon and without
// waiting for the daemon's once-a-second collector.
//
// It is meant for node mode, where the agent runs on the daemon's machine
// with the host's /proc and /sys/fs/cgroup visible (possibly mounted
// elsewhere: see NewReader). The Docker API still lists and inspects the
// containers: Locate turns what inspect and /info say about a container into
// the directories of its cgroup, once, and Read samples them on every poll.
//
// The counters follow the daemon (Engine 20.10 and later with containerd):
//
//   - cpu_stats.cpu_usage.total_usage: v1 cpuacct.usage, v2 cpu.stat
//     usage_usec × 1000 (ns).
//   - cpu_stats.throttling_data: cpu.stat nr_periods and nr_throttled, and
//     v1 throttled_time (ns) or v2 throttled_usec × 1000. On v1 they come
//     from the cpu hierarchy (usually shared with cpuacct); without it there
//     is no CFS quota and they stay 0.
//   - cpu_stats.system_cpu_usage: the first seven fields of /proc/stat's
//     "cpu" line (user nice system idle iowait irq softirq; not steal)
//     × 1e9/USER_HZ, USER_HZ being 100 on Linux, as the daemon computes it.
//   - cpu_stats.online_cpus: the cpuN lines of /proc/stat. The daemon counts
//     its own scheduler affinity mask instead; the two agree unless dockerd
//     itself is pinned to a subset of the CPUs.
//   - memory_stats: v1 memory.usage_in_bytes, memory.limit_in_bytes and
//     memory.stat; v2 memory.current, memory.max and memory.stat. A limit
//     above the host's MemTotal ("no limit") is reported as MemTotal, as the
//     daemon does. stats holds every key of memory.stat (the daemon copies a
//     fixed subset that includes total_inactive_file and inactive_file).
//   - pids_stats.current: pids.current.
//   - blkio_stats.io_service_bytes_recursive: v1 the CFQ file
//     blkio.io_service_bytes_recursive when it has entries, else
//     blkio.throttle.io_service_bytes_recursive ("Read", "Write", ... ops);
//     v2 io.stat rbytes/wbytes as "read"/"write" entries. For a container's
//     leaf cgroup the recursive throttle file equals the non-recursive one
//     containerd reads.
//   - networks: /proc/<pid>/net/dev of a process in the container, that is
//     the container's network namespace, without the loopback interface
//     (the daemon reports only the interfaces of its own endpoints, so a
//     container with --network none has no networks at all). Containers on
//     the host's network have none either, as with the daemon.
//
// Not filled, because nothing in dockwatch reads them: per-CPU usage, v1
// user/kernel split, max_usage, failcnt, the pids limit,
// and the blkio lists other than io_service_bytes_recursive.
package cgroupstats
