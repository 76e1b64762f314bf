package stats

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Read stamps of the recorded Podman pairs, nanoseconds since 21:17:42 UTC.
const (
	loadedBurn1, loadedBurn2 = 934159389, 5957394633 // pburn-1, pburn-2: 5.023235244 s
	loadedHalf1, loadedHalf2 = 940811264, 5967382996 // cpus0.5-1, -2: 5.026571732 s
)

// hostCounterCase is ComputeWith's CPU figures over one sample pair under
// one rule.
type hostCounterCase struct {
	name      string
	cur, prev string // testdata files; prev "" = none
	rule      HostCounter
	limit     float64
	cpu, lim  *float64
}

var hostCounterCases = []hostCounterCase{{
	name: "podman stream=false has an empty precpu and gives no figure under any rule",
	cur:  "stats-podman-4.3.1-stream-false.json", rule: HostCounterUntrusted,
}, {
	name: "podman stream=false has no figure from docker's formula either",
	cur:  "stats-podman-4.3.1-stream-false.json", rule: HostCounterTrusted,
}, {
	name: "podman one-shot pair divides CPU time by wall time",
	cur:  "stats-podman-4.3.1-oneshot-loaded-2.json", prev: "stats-podman-4.3.1-oneshot-loaded-1.json",
	rule: HostCounterUntrusted,
	// (2351749071-1639716797) ns over 5.023235244 s of wall time.
	cpu: pct((2351749071.0 - 1639716797) / (loadedBurn2 - loadedBurn1) * 100),
}, {
	name: "podman --cpus 0.5 pair against its limit",
	cur:  "stats-podman-4.3.1-oneshot-cpus0.5-2.json", prev: "stats-podman-4.3.1-oneshot-cpus0.5-1.json",
	rule: HostCounterUntrusted, limit: 0.5,
	cpu: pct((2109143160.0 - 1404360394) / (loadedHalf2 - loadedHalf1) * 100),
	lim: pct((2109143160.0 - 1404360394) / (loadedHalf2 - loadedHalf1) * 100 / 0.5),
}, {
	name: "podman pair on a fully busy host: the counter tracks wall time, the check keeps docker's formula",
	cur:  "stats-podman-4.3.1-oneshot-loaded-2.json", prev: "stats-podman-4.3.1-oneshot-loaded-1.json",
	rule: HostCounterChecked,
	// systemDelta 10047312278 ns against 5.023235244 s × 2 CPUs: 0.01% off.
	cpu: pct((2351749071.0 - 1639716797) / (1665739483782 - 1655692171504) * 2 * 100),
}, {
	name: "docker two-sample answer: the check keeps docker's formula",
	cur:  "stats-cgroupv1-twosample-engine20.10.json", rule: HostCounterChecked,
	// systemDelta 2.01e9 over 1.007143308 s × 2 CPUs: 0.2% off.
	cpu: pct(0.0 / (4325080000000 - 4323070000000) * 2 * 100),
}, {
	name: "docker one-shot pair: the check keeps docker's formula",
	cur:  "stats-cgroupv1-twosample-engine20.10.json", prev: "stats-cgroupv1-oneshot-engine20.10.json",
	rule: HostCounterChecked,
	cpu:  pct(0.0 / (4325080000000 - 4321050000000) * 2 * 100),
}, {
	name: "docker two-sample answer read by wall time uses preread",
	cur:  "stats-cgroupv1-twosample-engine20.10.json", rule: HostCounterUntrusted,
	cpu: pct(0.0), // idle: 66032214 both times
}}

func TestComputeWithRecordedPairs(t *testing.T) {
	for _, tt := range hostCounterCases {
		t.Run(tt.name, func(t *testing.T) {
			cur := loadSample(t, tt.cur)
			var prev *container.StatsResponse
			if tt.prev != "" {
				prev = loadSample(t, tt.prev)
			}
			got := ComputeWith(cur, prev, "linux", tt.limit, tt.rule)
			assertPercent(t, "CPUPercent", got.CPUPercent, tt.cpu)
			assertPercent(t, "CPULimitPercent", got.CPULimitPercent, tt.lim)
		})
	}
}

// TestComputeWithTrustedIsCompute pins the Docker parity: under
// HostCounterTrusted every recorded payload gives Compute's figures.
func TestComputeWithTrustedIsCompute(t *testing.T) {
	for _, tt := range recordedCases {
		t.Run(tt.name, func(t *testing.T) {
			cur := loadSample(t, tt.cur)
			var prev *container.StatsResponse
			if tt.prev != "" {
				prev = loadSample(t, tt.prev)
			}
			assertUsage(t, ComputeWith(cur, prev, tt.osType, tt.limit, HostCounterTrusted), tt.want)
		})
	}
}

// TestComputeWithPodmanFiguresBesideCPU checks what Podman's payload gives
// apart from CPU: usage as memory (no stats map, so no cache to subtract,
// as podman stats shows it), the limit, zero block I/O from an empty array
// beside null ones, the interface named after the network, and PIDs.
func TestComputeWithPodmanFiguresBesideCPU(t *testing.T) {
	got := ComputeWith(loadSample(t, "stats-podman-4.3.1-stream-false.json"), nil, "linux", 0, HostCounterUntrusted)
	assertUsage(t, got, Usage{
		MemoryUsageBytes: 520192,
		MemoryLimitBytes: 25276026880,
		MemoryPercent:    520192.0 / 25276026880 * 100,
		PIDs:             1,
	})
	half := ComputeWith(loadSample(t, "stats-podman-4.3.1-oneshot-cpus0.5-2.json"), nil, "linux", 0.5, HostCounterUntrusted)
	if half.MemoryLimitBytes != 64<<20 || half.MemoryUsageBytes != 339968 {
		t.Errorf("-m 64m container: memory %d of %d, want 339968 of %d", half.MemoryUsageBytes, half.MemoryLimitBytes, 64<<20)
	}
}

// partlyBusyPair is a Podman pair as the issue measured it: a one-core
// loop over 2 s of wall time on a two-core host with 1.3 cores busy, so
// the host counter advanced 2.6 s instead of 4 s.
func partlyBusyPair(t *testing.T) (cur, prev *container.StatsResponse) {
	cur = loadSample(t, "stats-podman-4.3.1-stream-false.json")
	prev = &container.StatsResponse{Read: cur.Read.Add(-2 * time.Second), CPUStats: cur.CPUStats}
	prev.CPUStats.CPUUsage.TotalUsage -= 1964000000 // 98.2% of 2 s
	prev.CPUStats.SystemUsage -= 2600000000
	return cur, prev
}

func TestComputeWithPartlyBusyHost(t *testing.T) {
	cur, prev := partlyBusyPair(t)
	tests := []struct {
		rule HostCounter
		want float64
	}{
		{HostCounterUntrusted, 1964000000.0 / 2e9 * 100},          // 98.2
		{HostCounterChecked, 1964000000.0 / 2e9 * 100},            // 35% off: wall time
		{HostCounterTrusted, 1964000000.0 / 2600000000 * 2 * 100}, // docker's 151%
	}
	for _, tt := range tests {
		t.Run(tt.rule.String(), func(t *testing.T) {
			assertPercent(t, "CPUPercent", ComputeWith(cur, prev, "linux", 0, tt.rule).CPUPercent, pct(tt.want))
		})
	}
}

// TestComputeWithWallClockGuards covers the pairs that give no wall-clock
// figure, and where the check falls back to docker's formula.
func TestComputeWithWallClockGuards(t *testing.T) {
	read := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	sample := func(at time.Duration, total, system uint64) *container.StatsResponse {
		return &container.StatsResponse{Read: read.Add(at), CPUStats: container.CPUStats{
			CPUUsage: container.CPUUsage{TotalUsage: total}, SystemUsage: system, OnlineCPUs: 2}}
	}
	tests := []struct {
		name      string
		cur, prev *container.StatsResponse
		rule      HostCounter
		want      *float64
	}{
		{"window shorter than 100ms", sample(50*time.Millisecond, 2e9, 0), sample(0, 1e9, 0), HostCounterUntrusted, nil},
		{"container counter going backwards", sample(time.Second, 1e9, 0), sample(0, 2e9, 0), HostCounterUntrusted, nil},
		{"baseline without a read stamp", sample(time.Second, 2e9, 0), &container.StatsResponse{}, HostCounterUntrusted, nil},
		{"read stamps going backwards", sample(0, 2e9, 0), sample(time.Second, 1e9, 0), HostCounterUntrusted, nil},
		{"idle container over a second", sample(time.Second, 1e9, 0), sample(0, 1e9, 0), HostCounterUntrusted, pct(0)},
		{"check: host counter standing still while time passes",
			sample(time.Second, 15e8, 5e9), sample(0, 1e9, 5e9), HostCounterChecked, pct(50)},
		{"check: counter 5% off stays docker's",
			sample(time.Second, 15e8, 5e9+19e8), sample(0, 1e9, 5e9), HostCounterChecked, pct(5e8 / 19e8 * 2 * 100)},
		{"check: counter 11% off goes by wall time",
			sample(time.Second, 15e8, 5e9+178e7), sample(0, 1e9, 5e9), HostCounterChecked, pct(50)},
		{"check: no read stamps keeps docker's formula",
			&container.StatsResponse{CPUStats: container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 15e8}, SystemUsage: 6e9, OnlineCPUs: 2}},
			&container.StatsResponse{CPUStats: container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1e9}, SystemUsage: 5e9, OnlineCPUs: 2}},
			HostCounterChecked, pct(5e8 / 1e9 * 2 * 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertPercent(t, "CPUPercent", ComputeWith(tt.cur, tt.prev, "linux", 0, tt.rule).CPUPercent, tt.want)
		})
	}
}

// TestComputeWithLeavesWindowsAlone: Windows has no host counter; its
// formula already divides by wall time.
func TestComputeWithLeavesWindowsAlone(t *testing.T) {
	cur := loadSample(t, "stats-windows-twosample.json")
	for _, rule := range []HostCounter{HostCounterChecked, HostCounterUntrusted} {
		assertUsage(t, ComputeWith(cur, nil, "windows", 2, rule), Compute(cur, nil, "windows", 2))
	}
	assertUsage(t, ComputeWith(nil, nil, "linux", 1, HostCounterUntrusted), Usage{})
}

// TestComputeWithThrottlingByRule: Podman 4.3.1's throttling_data is all
// zeros even for a --cpus 0.5 loop its cgroup throttles in ~40% of
// periods, so under the Podman rule a zero counter gives no figure; an
// engine that fills the counter keeps its figure, and Docker's rule keeps
// Compute's.
func TestComputeWithThrottlingByRule(t *testing.T) {
	counted := func(cur, prev *container.StatsResponse) {
		prev.CPUStats.ThrottlingData.Periods, prev.CPUStats.ThrottlingData.ThrottledPeriods = 100, 40
		cur.CPUStats.ThrottlingData.Periods, cur.CPUStats.ThrottlingData.ThrottledPeriods = 200, 90
	}
	tests := []struct {
		name   string
		rule   HostCounter
		counts func(cur, prev *container.StatsResponse)
		want   *float64
	}{
		{name: "podman's recorded --cpus 0.5 pair reports no periods: no figure", rule: HostCounterUntrusted},
		{name: "docker's rule on the same pair keeps Compute's 0", rule: HostCounterTrusted, want: pct(0)},
		{name: "counted periods under the podman rule keep the figure", rule: HostCounterUntrusted, counts: counted, want: pct(50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := loadSample(t, "stats-podman-4.3.1-oneshot-cpus0.5-2.json")
			prev := loadSample(t, "stats-podman-4.3.1-oneshot-cpus0.5-1.json")
			if tt.counts != nil {
				tt.counts(cur, prev)
			}
			got := ComputeWith(cur, prev, "linux", 0.5, tt.rule)
			assertPercent(t, "CPUThrottledPercent", got.CPUThrottledPercent, tt.want)
		})
	}
}
