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
	r.stats.Usage = stats.ComputeWith(cur, r.sample, osType, r.limit, r.rule)
	r.sample, r.needsBaseline = baselineOf(cur), false
	return r
}

// roomFor reports whether ctx has a deadline at least d away.
func roomFor(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) >= d
}
