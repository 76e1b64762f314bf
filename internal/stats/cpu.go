package stats

import (
	"math"
	"time"

	"github.com/docker/docker/api/types/container"
)

// defaultCFSPeriod is the kernel's default CFS period in microseconds; Docker
// leaves CpuPeriod at 0 when only --cpu-quota is set, meaning this value.
const defaultCFSPeriod = 100000

// CPULimitCores converts a container's HostConfig CPU settings into cores:
// NanoCpus/1e9 (`--cpus`), else CpuQuota/CpuPeriod (`--cpu-quota`, period
// defaulting to 100000 µs when 0), else 0 for "no limit". Negative values
// (-1 means unlimited for the quota) also give 0.
func CPULimitCores(nanoCPUs, cpuQuota, cpuPeriod int64) float64 {
	if nanoCPUs > 0 {
		return float64(nanoCPUs) / 1e9
	}
	if cpuQuota > 0 {
		if cpuPeriod <= 0 {
			cpuPeriod = defaultCFSPeriod
		}
		return float64(cpuQuota) / float64(cpuPeriod)
	}
	return 0
}

// linuxCPUPercent applies the `docker stats` formula
// cpuDelta/systemDelta*onlineCPUs*100 between the baseline and cur.
//
// It returns nil rather than a number when there is no baseline (first
// one-shot sample, or an all-zero precpu_stats as the first frame of a stream
// has), when the host counter did not advance (the same collector tick served
// twice), when the container counter went backwards (restart) or when the CPU
// count is unknown. An idle container with a valid baseline gets 0.
func linuxCPUPercent(cur, prev *container.StatsResponse) *float64 {
	base := linuxBaseline(cur, prev)
	now := cur.CPUStats
	if base.SystemUsage == 0 || now.SystemUsage <= base.SystemUsage {
		return nil
	}
	if now.CPUUsage.TotalUsage < base.CPUUsage.TotalUsage {
		return nil
	}
	cpus := onlineCPUs(now)
	if cpus == 0 {
		return nil
	}
	cpuDelta := float64(now.CPUUsage.TotalUsage - base.CPUUsage.TotalUsage)
	systemDelta := float64(now.SystemUsage - base.SystemUsage)
	return finitePtr(cpuDelta / systemDelta * float64(cpus) * 100)
}

// linuxBaseline picks the earlier CPU sample: the caller's previous sample
// when it holds a host counter, else the precpu_stats the daemon filled.
func linuxBaseline(cur, prev *container.StatsResponse) container.CPUStats {
	if prev != nil && prev.CPUStats.SystemUsage != 0 {
		return prev.CPUStats
	}
	return cur.PreCPUStats
}

// onlineCPUs is online_cpus, or the per-CPU list length for daemons older
// than API 1.27 that did not report it (cgroup v2 daemons always do).
func onlineCPUs(s container.CPUStats) uint64 {
	if s.OnlineCPUs > 0 {
		return uint64(s.OnlineCPUs)
	}
	return uint64(len(s.CPUUsage.PercpuUsage))
}

// windowsCPUPercent applies the Docker CLI's Windows formula: CPU time used
// (in 100 ns units) over the 100 ns intervals that elapsed on all processors.
// Windows has no system counter, so the wall clock between the two reads is
// the denominator; without an earlier read there is no figure.
func windowsCPUPercent(cur, prev *container.StatsResponse) *float64 {
	preTotal, preRead := cur.PreCPUStats.CPUUsage.TotalUsage, cur.PreRead
	if prev != nil && !prev.Read.IsZero() {
		preTotal, preRead = prev.CPUStats.CPUUsage.TotalUsage, prev.Read
	}
	if preRead.IsZero() || cur.Read.IsZero() || cur.NumProcs == 0 {
		return nil
	}
	elapsed := cur.Read.Sub(preRead)
	total := cur.CPUStats.CPUUsage.TotalUsage
	if elapsed <= 0 || total < preTotal {
		return nil
	}
	intervals := float64(uint64(elapsed/time.Nanosecond)/100) * float64(cur.NumProcs)
	if intervals <= 0 {
		return nil
	}
	return finitePtr(float64(total-preTotal) / intervals * 100)
}

// limitPercent expresses CPU use against the container's own limit, so that a
// container capped at half a core shows 100 when it uses all of it.
func limitPercent(cpuPercent *float64, limitCores float64) *float64 {
	if cpuPercent == nil || !(limitCores > 0) || math.IsInf(limitCores, 0) {
		return nil
	}
	return finitePtr(*cpuPercent / limitCores)
}
