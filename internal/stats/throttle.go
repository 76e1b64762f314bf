package stats

import "github.com/docker/docker/api/types/container"

// throttledPercent is the share of CFS enforcement periods in which the
// container was throttled between the baseline and cur, from
// cpu_stats.throttling_data: (throttled_periods delta) / (periods delta) * 100.
//
// It is nil without a baseline (the first one-shot sample) and when either
// counter went backwards (a restart resets the cgroup). A container whose
// periods did not advance (idle, or without a CPU quota, which has no CFS
// periods at all) was not throttled: 0.
func throttledPercent(cur, prev *container.StatsResponse) *float64 {
	base := linuxBaseline(cur, prev)
	if base.SystemUsage == 0 {
		return nil
	}
	now, was := cur.CPUStats.ThrottlingData, base.ThrottlingData
	if now.Periods < was.Periods || now.ThrottledPeriods < was.ThrottledPeriods {
		return nil
	}
	periods := now.Periods - was.Periods
	throttled := now.ThrottledPeriods - was.ThrottledPeriods
	if periods == 0 {
		zero := 0.0
		return &zero
	}
	return finitePtr(min(100, float64(throttled)/float64(periods)*100))
}
