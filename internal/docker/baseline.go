package docker

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// collectorTick is how often the daemon's stats collector samples, and the
// gap before a second one-shot sample of a container without a fresh
// baseline (its first poll, or the first after an outage), which makes
// that poll carry a CPU figure. A second sample that fails leaves the
// first one's figures, without CPU.
const collectorTick = time.Second

// baseline is what a later sample's CPU math reads from a container's
// previous one: its read stamp and CPU counters, without the per-CPU list.
// It holds no pointer, so the garbage collector does not scan the 50,000 a
// 1,000-host manager keeps, and at 72 bytes it is a twelfth of a whole
// StatsResponse.
type baseline struct {
	read                        int64 // the daemon's read stamp, Unix nanoseconds; 0: none
	total, kernel, user, system uint64
	online                      uint32
	throttling                  container.ThrottlingData
}

// baselineOf is the part of s a later sample's CPU math reads.
func baselineOf(s *container.StatsResponse) baseline {
	b := baseline{
		total: s.CPUStats.CPUUsage.TotalUsage, kernel: s.CPUStats.CPUUsage.UsageInKernelmode,
		user: s.CPUStats.CPUUsage.UsageInUsermode, system: s.CPUStats.SystemUsage,
		online: s.CPUStats.OnlineCPUs, throttling: s.CPUStats.ThrottlingData,
	}
	if !s.Read.IsZero() {
		b.read = s.Read.UnixNano()
	}
	return b
}

// response is the baseline as the sample the stats math takes.
func (b baseline) response() *container.StatsResponse {
	s := &container.StatsResponse{}
	if b.read != 0 {
		s.Read = time.Unix(0, b.read).UTC()
	}
	s.CPUStats = container.CPUStats{
		CPUUsage:    container.CPUUsage{TotalUsage: b.total, UsageInKernelmode: b.kernel, UsageInUsermode: b.user},
		SystemUsage: b.system, OnlineCPUs: b.online, ThrottlingData: b.throttling,
	}
	return s
}

// freshBaseline returns prev when it can serve as the baseline for cur's
// CPU deltas: present, and taken at most maxAge before cur by the daemon's
// own clock (maxAge 0: any age). A baseline from before an outage would
// average the CPU figure over the whole gap instead of a recent window.
func freshBaseline(prev, cur *container.StatsResponse, maxAge time.Duration) *container.StatsResponse {
	if prev == nil || cur == nil {
		return nil
	}
	if maxAge > 0 && cur.Read.Sub(prev.Read) > maxAge {
		return nil
	}
	return prev
}

// resample takes the second sample of r's container and computes its
// figures against the first, keeping r when it fails.
func (c *Client) resample(ctx context.Context, r sampleResult) sampleResult {
	cur, osType, err := c.takeSample(ctx, r.stats.ID, r.stats.Name, true)
	if err != nil {
		return r
	}
	if osType == "" {
		osType = r.osType
	}
	c.memory.swapSample(r.stats.ID, cur)
	r.stats.Usage = stats.ComputeWith(cur, r.sample.response(), osType, r.limit, r.rule)
	r.sample, r.needsBaseline = baselineOf(cur), false
	return r
}

// roomFor reports whether ctx has a deadline at least d away.
func roomFor(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) >= d
}
