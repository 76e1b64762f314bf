package stats

import (
	"math"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// HostCounter says whether an engine's cpu_stats.system_cpu_usage can be
// the denominator of a Linux CPU figure.
//
// `docker stats` divides the container's CPU time by the host counter's
// delta and multiplies by the online CPUs. That is right only when the
// counter advances with wall time × online CPUs, as Docker's does (it is
// the sum of /proc/stat, idle included). Podman's advances with the host's
// busy time only (the root cgroup's usage), so the formula scales every
// container by online CPUs / busy cores: 195% for a one-core loop on an
// idle two-core host. Where the counter cannot be trusted, the figure is
// the container's CPU time over the wall time between the two samples'
// `read` stamps instead, which keeps 100 = one core and is what
// `podman stats` computes.
type HostCounter int

const (
	// HostCounterChecked decides per sample pair, for engines dockwatch
	// does not recognise: the host counter is used when its delta is
	// within HostCounterTolerance of the wall time between the two reads
	// × online CPUs, and wall time otherwise. A pair without read stamps
	// cannot be checked and gets `docker stats`' formula.
	HostCounterChecked HostCounter = iota
	// HostCounterTrusted always applies `docker stats`' formula, so the
	// figures stay identical to the Docker CLI's: Docker Engine.
	HostCounterTrusted
	// HostCounterUntrusted never reads the host counter and always divides
	// by wall time: Podman.
	HostCounterUntrusted
)

// String names the rule for logs and test output.
func (h HostCounter) String() string {
	switch h {
	case HostCounterTrusted:
		return "trusted"
	case HostCounterUntrusted:
		return "untrusted"
	default:
		return "checked"
	}
}

// HostCounterTolerance is how far, as a fraction, a sample pair's
// system_cpu_usage delta may differ from wall time × online CPUs and still
// be trusted under HostCounterChecked. Docker's counter is off by well under
// 1% over a one-second pair (jiffy rounding, the collector reading the host
// and the container a few microseconds apart); Podman's is off by the idle
// share of the host, 35% with 1.3 of 2 cores busy.
const HostCounterTolerance = 0.10

// minWallWindow is the shortest wall time between two samples that yields a
// wall-clock figure: the read stamp and the cgroup read are not taken at
// the same instant, and over a few milliseconds that skew dominates.
const minWallWindow = 100 * time.Millisecond

// ComputeWith is Compute with an engine's host-counter rule for the Linux
// CPU figures; every other figure is Compute's. With HostCounterTrusted it
// returns exactly what Compute does.
func ComputeWith(cur, prev *container.StatsResponse, osType string, cpuLimitCores float64, rule HostCounter) Usage {
	u := Compute(cur, prev, osType, cpuLimitCores)
	if cur == nil || rule == HostCounterTrusted || strings.EqualFold(osType, osWindows) {
		return u
	}
	u.CPUPercent = linuxCPUPercentWith(cur, prev, rule)
	u.CPULimitPercent = limitPercent(u.CPUPercent, cpuLimitCores)
	if rule == HostCounterUntrusted && !reportsThrottling(cur) {
		u.CPUThrottledPercent = nil
	}
	return u
}

// reportsThrottling reports whether cur's throttling_data has counted any
// CFS period. Podman 4.3.1 always answers zeros: a --cpus 0.5 busy loop
// read 161 periods, 70 of them throttled, in its cgroup's cpu.stat while
// the API said periods 0. Under HostCounterUntrusted a zero counter is
// therefore "not reported", and the figure is none rather than 0%.
func reportsThrottling(cur *container.StatsResponse) bool {
	return cur.CPUStats.ThrottlingData.Periods > 0
}

// linuxCPUPercentWith applies rule to one sample pair.
func linuxCPUPercentWith(cur, prev *container.StatsResponse, rule HostCounter) *float64 {
	switch rule {
	case HostCounterTrusted:
		return linuxCPUPercent(cur, prev)
	case HostCounterUntrusted:
		return wallClockCPUPercent(cur, prev)
	}
	if agrees, known := hostCounterAgrees(cur, prev); known && !agrees {
		return wallClockCPUPercent(cur, prev)
	}
	return linuxCPUPercent(cur, prev)
}

// hostCounterAgrees compares the host counter's delta over the pair that
// `docker stats`' formula would use with wall time × online CPUs. known is
// false when the pair lacks what the comparison needs (read stamps, a host
// counter baseline, a CPU count); a counter that stood still while the
// wall clock moved disagrees.
func hostCounterAgrees(cur, prev *container.StatsResponse) (agrees, known bool) {
	base, baseRead := linuxBaseline(cur, prev), cur.PreRead
	if prev != nil && prev.CPUStats.SystemUsage != 0 {
		baseRead = prev.Read
	}
	cpus := onlineCPUs(cur.CPUStats)
	if base.SystemUsage == 0 || baseRead.IsZero() || cur.Read.IsZero() || cpus == 0 {
		return false, false
	}
	elapsed := cur.Read.Sub(baseRead)
	if elapsed < minWallWindow {
		return false, false
	}
	if cur.CPUStats.SystemUsage <= base.SystemUsage {
		return false, true
	}
	systemDelta := float64(cur.CPUStats.SystemUsage - base.SystemUsage)
	ratio := systemDelta / (float64(elapsed.Nanoseconds()) * float64(cpus))
	return math.Abs(ratio-1) <= HostCounterTolerance, true
}

// wallClockCPUPercent is the container's CPU time over the wall time between
// the baseline's read stamp and cur's, ×100 (100 = one core). The baseline
// is the caller's previous sample when it has a read stamp, else the
// daemon's precpu_stats and preread. There is no figure without a baseline
// read stamp (Podman's precpu_stats is always empty), for a window shorter
// than minWallWindow, or when the container's counter went backwards.
func wallClockCPUPercent(cur, prev *container.StatsResponse) *float64 {
	base, baseRead := cur.PreCPUStats, cur.PreRead
	if prev != nil && !prev.Read.IsZero() {
		base, baseRead = prev.CPUStats, prev.Read
	}
	if baseRead.IsZero() || cur.Read.IsZero() {
		return nil
	}
	elapsed := cur.Read.Sub(baseRead)
	if elapsed < minWallWindow {
		return nil
	}
	now := cur.CPUStats.CPUUsage.TotalUsage
	if now < base.CPUUsage.TotalUsage {
		return nil
	}
	cpuDelta := float64(now - base.CPUUsage.TotalUsage)
	return finitePtr(cpuDelta / float64(elapsed.Nanoseconds()) * 100)
}
