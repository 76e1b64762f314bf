package docker

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// collectorTick is how often the daemon's stats collector samples (and
// the gap before a second one-shot sample of a container without a fresh
// baseline).
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

// refreshBaselines takes a second sample, one collector tick after the
// first, of every container that had no fresh baseline, when the
// containers' deadline leaves room: so a container's first poll, and the
// first after an outage, carry a CPU figure. A second sample that fails
// leaves the first one's figures, without CPU.
func (c *Client) refreshBaselines(ctx context.Context, results []sampleResult) {
	var due []int
	for i, r := range results {
		if r.done && r.err == nil && r.needsBaseline {
			due = append(due, i)
		}
	}
	if len(due) == 0 || !roomFor(ctx, 2*c.tick) {
		return
	}
	timer := time.NewTimer(c.tick)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return
	}
	_ = c.runEach(ctx, due, results, func(ctx context.Context, i int) sampleResult {
		return c.resample(ctx, results[i])
	})
}

// resample takes the second sample of r's container and computes its
// figures against the first.
func (c *Client) resample(ctx context.Context, r sampleResult) sampleResult {
	cur, osType, err := c.takeSample(ctx, r.stats.ID, r.stats.Name, true)
	if err != nil {
		return r
	}
	if osType == "" {
		osType = r.osType
	}
	c.memory.swapSample(r.stats.ID, cur)
	r.stats.Usage = stats.Compute(cur, r.sample, osType, r.limit)
	r.sample, r.needsBaseline = cur, false
	return r
}

// roomFor reports whether ctx has a deadline at least d away.
func roomFor(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) >= d
}
