package stats

import (
	"testing"

	"github.com/docker/docker/api/types/container"
)

// sampleWithThrottling is a Linux sample with a host counter (so it can be a
// baseline) and the given CFS counters.
func sampleWithThrottling(system, periods, throttled uint64) *container.StatsResponse {
	s := &container.StatsResponse{}
	s.CPUStats.SystemUsage = system
	s.CPUStats.OnlineCPUs = 2
	s.CPUStats.ThrottlingData = container.ThrottlingData{Periods: periods, ThrottledPeriods: throttled}
	return s
}

func TestThrottledPercentIsTheShareOfThrottledPeriodsSinceThePreviousSample(t *testing.T) {
	tests := []struct {
		name      string
		cur, prev *container.StatsResponse
		want      *float64
	}{{
		name: "no previous sample gives no figure",
		cur:  sampleWithThrottling(2000, 50, 40), prev: nil,
		want: nil,
	}, {
		name: "8 of 10 new periods throttled is 80 percent",
		cur:  sampleWithThrottling(2000, 60, 48), prev: sampleWithThrottling(1000, 50, 40),
		want: pct(8.0 / 10 * 100),
	}, {
		name: "idle container whose periods did not advance is 0",
		cur:  sampleWithThrottling(2000, 50, 40), prev: sampleWithThrottling(1000, 50, 40),
		want: pct(0),
	}, {
		name: "container without a CPU quota has no periods: 0",
		cur:  sampleWithThrottling(2000, 0, 0), prev: sampleWithThrottling(1000, 0, 0),
		want: pct(0),
	}, {
		name: "periods going backwards (restart) gives no figure",
		cur:  sampleWithThrottling(2000, 5, 1), prev: sampleWithThrottling(1000, 50, 40),
		want: nil,
	}, {
		name: "throttled going backwards gives no figure",
		cur:  sampleWithThrottling(2000, 60, 1), prev: sampleWithThrottling(1000, 50, 40),
		want: nil,
	}, {
		name: "throttled advancing more than periods is capped at 100",
		cur:  sampleWithThrottling(2000, 51, 45), prev: sampleWithThrottling(1000, 50, 40),
		want: pct(100),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertPercent(t, "CPUThrottledPercent", throttledPercent(tt.cur, tt.prev), tt.want)
		})
	}
}

func TestThrottledPercentUsesTheDaemonsPrecpuInTwoSampleMode(t *testing.T) {
	cur := sampleWithThrottling(2000, 20, 5)
	cur.PreCPUStats = sampleWithThrottling(1000, 10, 0).CPUStats
	got := Compute(cur, nil, "linux", 0).CPUThrottledPercent
	assertPercent(t, "CPUThrottledPercent", got, pct(5.0/10*100))
}

func TestMemoryWithoutCacheMatchesTheDockerCLI(t *testing.T) {
	tests := []struct {
		name  string
		usage uint64
		stats map[string]uint64
		want  uint64
	}{
		{"v1 total_inactive_file below usage is subtracted", 1000, map[string]uint64{"total_inactive_file": 300, "inactive_file": 100}, 700},
		{"v1 total_inactive_file not below usage falls through to inactive_file", 1000, map[string]uint64{"total_inactive_file": 1000, "inactive_file": 100}, 900},
		{"v1 total_inactive_file above usage falls through to inactive_file", 1000, map[string]uint64{"total_inactive_file": 5000, "inactive_file": 250}, 750},
		{"v1 both not below usage gives usage", 1000, map[string]uint64{"total_inactive_file": 5000, "inactive_file": 5000}, 1000},
		{"v1 total_inactive_file above usage without inactive_file gives usage less 0", 1000, map[string]uint64{"total_inactive_file": 5000}, 1000},
		{"v2 inactive_file below usage is subtracted", 1000, map[string]uint64{"inactive_file": 400}, 600},
		{"v2 inactive_file equal to usage gives usage", 1000, map[string]uint64{"inactive_file": 1000}, 1000},
		{"no stats at all gives usage", 1000, nil, 1000},
		{"zero usage stays zero", 0, map[string]uint64{"inactive_file": 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := memoryWithoutCache(container.MemoryStats{Usage: tt.usage, Stats: tt.stats})
			if got != tt.want {
				t.Errorf("memoryWithoutCache = %d, want %d", got, tt.want)
			}
		})
	}
}
