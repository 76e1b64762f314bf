// Package stats turns Docker Engine stats samples into the utilization figures
// `docker stats` shows: CPU %, memory without page cache, network and block I/O
// totals and PIDs.
//
// It is pure arithmetic over github.com/docker/docker/api/types/container
// values: no I/O and no Docker client, so the math can be tested (and fuzzed)
// against recorded payloads alone. Every figure is guarded so that no NaN or
// Inf can reach a caller, and counters that go backwards (a container
// restarted between two samples) yield "no figure" instead of a wrapped
// unsigned subtraction.
package stats

import (
	"math"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// Usage is one container's utilization computed like `docker stats`.
type Usage struct {
	// CPUPercent is CPU use where 100 means one full core. It is nil when no
	// previous sample exists (never 0 and never a since-boot average), when
	// the host's CPU counter did not move, or when counters went backwards.
	CPUPercent *float64
	// CPULimitPercent is CPUPercent against the container's own CPU limit
	// (100 = the limit is fully used); nil without a limit or without CPUPercent.
	CPULimitPercent *float64
	// CPUThrottledPercent is the share of CFS periods since the previous
	// sample in which the container was throttled (0-100); nil without a
	// previous sample, 0 without a CPU quota. Linux only.
	CPUThrottledPercent *float64
	// MemoryUsageBytes excludes the inactive page cache, as `docker stats` does.
	MemoryUsageBytes uint64
	// MemoryLimitBytes is the cgroup limit the daemon reports (host memory
	// when the container has none); 0 on Windows.
	MemoryLimitBytes uint64
	// MemoryPercent is MemoryUsageBytes/MemoryLimitBytes*100, 0 without a limit.
	MemoryPercent float64
	// NetRxBytes and NetTxBytes are summed over all interfaces.
	NetRxBytes, NetTxBytes uint64
	// BlockReadBytes and BlockWriteBytes are summed over all block devices.
	BlockReadBytes, BlockWriteBytes uint64
	// PIDs is the number of processes and threads in the container's cgroup.
	PIDs uint64
}

// osWindows is the OSType the daemon reports for Windows containers; their
// counters use other units and fields, so Compute needs to know.
const osWindows = "windows"

// Compute derives a container's Usage from its current sample.
//
// prev is the caller's previous sample of the same container (one-shot mode,
// where the daemon leaves precpu_stats empty); it may be nil. When prev is nil
// or unusable, cur.PreCPUStats is the baseline (two-sample mode, stream=false,
// where the daemon fills it). osType is the daemon's "Ostype" header
// ("windows" selects the Windows formulas; anything else is Linux).
// cpuLimitCores is the container's CPU limit in cores, 0 for none (see
// CPULimitCores).
func Compute(cur, prev *container.StatsResponse, osType string, cpuLimitCores float64) Usage {
	if cur == nil {
		return Usage{}
	}
	rx, tx := networkTotals(cur.Networks)
	u := Usage{NetRxBytes: rx, NetTxBytes: tx}
	if strings.EqualFold(osType, osWindows) {
		fillWindows(&u, cur, prev)
	} else {
		fillLinux(&u, cur, prev)
	}
	u.CPULimitPercent = limitPercent(u.CPUPercent, cpuLimitCores)
	return u
}

// fillLinux sets the figures whose source fields are Linux (cgroup) specific.
func fillLinux(u *Usage, cur, prev *container.StatsResponse) {
	u.CPUPercent = linuxCPUPercent(cur, prev)
	u.CPUThrottledPercent = throttledPercent(cur, prev)
	u.MemoryUsageBytes = memoryWithoutCache(cur.MemoryStats)
	u.MemoryLimitBytes = cur.MemoryStats.Limit
	u.MemoryPercent = percentOf(u.MemoryUsageBytes, u.MemoryLimitBytes)
	u.BlockReadBytes, u.BlockWriteBytes = blockTotals(cur.BlkioStats.IoServiceBytesRecursive)
	u.PIDs = cur.PidsStats.Current
}

// fillWindows sets the figures from the Windows-only fields. Windows reports
// no memory limit and no PIDs (num_procs counts processors, not processes).
func fillWindows(u *Usage, cur, prev *container.StatsResponse) {
	u.CPUPercent = windowsCPUPercent(cur, prev)
	u.MemoryUsageBytes = cur.MemoryStats.PrivateWorkingSet
	u.BlockReadBytes = cur.StorageStats.ReadSizeBytes
	u.BlockWriteBytes = cur.StorageStats.WriteSizeBytes
}

// memoryWithoutCache subtracts the inactive file cache from usage, because the
// kernel reclaims it first and counting it makes idle containers look full.
// As docker/cli's calculateMemUsageUnixNoCache: cgroup v1's
// total_inactive_file when present and smaller than usage, else
// inactive_file (cgroup v2, and the v1 fall-through) when smaller than
// usage, else usage itself.
func memoryWithoutCache(m container.MemoryStats) uint64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage {
		return m.Usage - v
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return m.Usage - v
	}
	return m.Usage
}

// percentOf returns part/whole*100, or 0 when whole is 0 (no limit known).
func percentOf(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole) * 100
}

// networkTotals sums received and sent bytes over every interface.
func networkTotals(networks map[string]container.NetworkStats) (rx, tx uint64) {
	for _, n := range networks {
		rx = addSaturating(rx, n.RxBytes)
		tx = addSaturating(tx, n.TxBytes)
	}
	return rx, tx
}

// blockTotals sums io_service_bytes_recursive per operation over all devices.
// cgroup v1 spells the ops "Read"/"Write", cgroup v2 "read"/"write"; the
// other v1 ops (Sync, Async, Total) would double count and are skipped.
func blockTotals(entries []container.BlkioStatEntry) (read, write uint64) {
	for _, e := range entries {
		switch {
		case strings.EqualFold(e.Op, "read"):
			read = addSaturating(read, e.Value)
		case strings.EqualFold(e.Op, "write"):
			write = addSaturating(write, e.Value)
		}
	}
	return read, write
}

// addSaturating adds without wrapping around, so a corrupt counter shows as
// "very large" rather than as a small, plausible-looking number.
func addSaturating(a, b uint64) uint64 {
	if sum := a + b; sum >= a {
		return sum
	}
	return math.MaxUint64
}

// finitePtr returns a pointer to v, or nil when v is NaN or Inf, so that no
// non-number can reach JSON encoding or alert comparisons downstream.
func finitePtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
