package stats

import (
	"math"
	"testing"

	"github.com/docker/docker/api/types/container"
)

// inlineCase is Compute over payloads written in the test.
type inlineCase struct {
	name   string
	cur    string
	prev   string // "" = none
	osType string
	want   Usage
}

// missingAndZeroCases are payloads with missing, zero or inconsistent
// fields, as old daemons, stopped containers and restarts produce them.
var missingAndZeroCases = []inlineCase{{
	name: "empty object gives zero figures and no CPU",
	cur:  `{}`,
	want: Usage{},
}, {
	name: "stopped container answer (zero read, zero counters) gives no CPU",
	cur:  `{"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","name":"/x","id":"abc"}`,
	want: Usage{},
}, {
	name: "per-CPU list length stands in for missing online_cpus",
	cur: `{"cpu_stats":{"cpu_usage":{"total_usage":1000000000,"percpu_usage":[1,2,3,4]},"system_cpu_usage":8000000000},
		       "precpu_stats":{"cpu_usage":{"total_usage":500000000},"system_cpu_usage":4000000000}}`,
	want: Usage{CPUPercent: pct((1e9 - 5e8) / (8e9 - 4e9) * 4 * 100)}, // 50
}, {
	name: "unknown CPU count gives no CPU figure",
	cur: `{"cpu_stats":{"cpu_usage":{"total_usage":1000000000},"system_cpu_usage":8000000000},
		       "precpu_stats":{"cpu_usage":{"total_usage":500000000},"system_cpu_usage":4000000000}}`,
	want: Usage{},
}, {
	name: "same collector tick twice (system delta 0) gives no CPU figure",
	cur:  `{"cpu_stats":{"cpu_usage":{"total_usage":9},"system_cpu_usage":100,"online_cpus":2}}`,
	prev: `{"cpu_stats":{"cpu_usage":{"total_usage":9},"system_cpu_usage":100,"online_cpus":2}}`,
	want: Usage{},
}, {
	name: "host counter going backwards gives no CPU figure",
	cur:  `{"cpu_stats":{"cpu_usage":{"total_usage":20},"system_cpu_usage":100,"online_cpus":2}}`,
	prev: `{"cpu_stats":{"cpu_usage":{"total_usage":10},"system_cpu_usage":200,"online_cpus":2}}`,
	want: Usage{},
}, {
	name: "previous sample without host counter falls back to precpu",
	cur: `{"cpu_stats":{"cpu_usage":{"total_usage":300},"system_cpu_usage":2000,"online_cpus":1},
		       "precpu_stats":{"cpu_usage":{"total_usage":100},"system_cpu_usage":1000}}`,
	prev: `{}`,
	want: Usage{CPUPercent: pct((300.0 - 100) / (2000 - 1000) * 1 * 100)}, // 20
}, {
	name: "memory without stats map is plain usage",
	cur:  `{"memory_stats":{"usage":1000,"limit":4000}}`,
	want: Usage{MemoryUsageBytes: 1000, MemoryLimitBytes: 4000, MemoryPercent: 1000.0 / 4000 * 100},
}, {
	name: "inactive_file not smaller than usage is ignored",
	cur:  `{"memory_stats":{"usage":1000,"limit":4000,"stats":{"inactive_file":5000}}}`,
	want: Usage{MemoryUsageBytes: 1000, MemoryLimitBytes: 4000, MemoryPercent: 1000.0 / 4000 * 100},
}, {
	name: "cgroup v1 total_inactive_file wins over inactive_file",
	cur:  `{"memory_stats":{"usage":1000,"limit":2000,"stats":{"total_inactive_file":100,"inactive_file":300}}}`,
	want: Usage{MemoryUsageBytes: 1000 - 100, MemoryLimitBytes: 2000, MemoryPercent: (1000.0 - 100) / 2000 * 100},
}, {
	name: "zero memory limit gives 0 percent",
	cur:  `{"memory_stats":{"usage":1000,"stats":{"inactive_file":200}}}`,
	want: Usage{MemoryUsageBytes: 1000 - 200},
}, {
	name: "null blkio list and unknown ops count nothing",
	cur:  `{"blkio_stats":{"io_service_bytes_recursive":[{"op":"Discard","value":7},{"op":"total","value":9}]}}`,
	want: Usage{},
}, {
	name:   "windows without preread gives no CPU figure",
	cur:    `{"read":"2026-11-29T05:00:02Z","num_procs":4,"cpu_stats":{"cpu_usage":{"total_usage":50}}}`,
	osType: "windows",
	want:   Usage{},
}, {
	name: "windows with zero num_procs gives no CPU figure",
	cur: `{"read":"2026-11-29T05:00:02Z","preread":"2026-11-29T05:00:01Z",
		       "cpu_stats":{"cpu_usage":{"total_usage":50}},"precpu_stats":{"cpu_usage":{"total_usage":10}}}`,
	osType: "windows",
	want:   Usage{},
}, {
	name: "windows counter going backwards gives no CPU figure",
	cur: `{"read":"2026-11-29T05:00:02Z","preread":"2026-11-29T05:00:01Z","num_procs":2,
		       "cpu_stats":{"cpu_usage":{"total_usage":10}},"precpu_stats":{"cpu_usage":{"total_usage":50}}}`,
	osType: "windows",
	want:   Usage{},
}, {
	name: "windows read before preread gives no CPU figure",
	cur: `{"read":"2026-11-29T05:00:01Z","preread":"2026-11-29T05:00:02Z","num_procs":2,
		       "cpu_stats":{"cpu_usage":{"total_usage":50}},"precpu_stats":{"cpu_usage":{"total_usage":10}}}`,
	osType: "windows",
	want:   Usage{},
}, {
	name: "network counters near the top saturate instead of wrapping",
	cur:  `{"networks":{"a":{"rx_bytes":18446744073709551615,"tx_bytes":1},"b":{"rx_bytes":2,"tx_bytes":2}}}`,
	want: Usage{NetRxBytes: math.MaxUint64, NetTxBytes: 1 + 2},
}}

func TestComputeMissingAndZeroFields(t *testing.T) {
	for _, tt := range missingAndZeroCases {
		t.Run(tt.name, func(t *testing.T) {
			cur := decodeInline(t, tt.cur)
			var prev *container.StatsResponse
			if tt.prev != "" {
				prev = decodeInline(t, tt.prev)
			}
			assertUsage(t, Compute(cur, prev, tt.osType, 0), tt.want)
		})
	}
}

func TestComputeHugeCountersStayFinite(t *testing.T) {
	cur := decodeInline(t, `{"cpu_stats":{"cpu_usage":{"total_usage":18446744073709551615},
		"system_cpu_usage":2,"online_cpus":4294967295},"precpu_stats":{"system_cpu_usage":1}}`)
	got := Compute(cur, nil, "linux", 1e-300)
	// 2^64-1 / 1 * (2^32-1) * 100 is about 7.9e30: large but a number;
	// divided by a 1e-300 core limit it overflows and must become nil.
	if got.CPUPercent == nil || math.IsInf(*got.CPUPercent, 0) {
		t.Fatalf("CPUPercent = %v, want a finite figure", got.CPUPercent)
	}
	if got.CPULimitPercent != nil {
		t.Errorf("CPULimitPercent = %v, want nil (overflowed to Inf)", *got.CPULimitPercent)
	}
}

func TestCPULimitCores(t *testing.T) {
	tests := []struct {
		name                string
		nano, quota, period int64
		want                float64
	}{
		{name: "no limit", want: 0},
		{name: "--cpus 1.5", nano: 1500000000, want: 1.5},
		{name: "--cpus wins over quota", nano: 2000000000, quota: 50000, period: 100000, want: 2},
		{name: "quota over period", quota: 50000, period: 100000, want: 50000.0 / 100000},
		{name: "quota with custom period", quota: 30000, period: 10000, want: 30000.0 / 10000},
		{name: "quota with default period", quota: 150000, want: 150000.0 / 100000},
		{name: "quota -1 means unlimited", quota: -1, period: 100000, want: 0},
		{name: "negative nano ignored", nano: -5, quota: 25000, period: 100000, want: 25000.0 / 100000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CPULimitCores(tt.nano, tt.quota, tt.period); got != tt.want {
				t.Errorf("CPULimitCores(%d, %d, %d) = %v, want %v", tt.nano, tt.quota, tt.period, got, tt.want)
			}
		})
	}
}

func TestCPULimitPercentNeedsAUsableLimit(t *testing.T) {
	busy := decodeInline(t, `{"cpu_stats":{"cpu_usage":{"total_usage":300},"system_cpu_usage":2000,"online_cpus":1},
		"precpu_stats":{"cpu_usage":{"total_usage":100},"system_cpu_usage":1000}}`)
	for _, limit := range []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := Compute(busy, nil, "linux", limit); got.CPULimitPercent != nil {
			t.Errorf("limit %v: CPULimitPercent = %v, want nil", limit, *got.CPULimitPercent)
		}
	}
	got := Compute(busy, nil, "linux", 0.25)
	// 20% of one core against a quarter-core limit: 20 / 0.25 = 80
	assertPercent(t, "CPULimitPercent", got.CPULimitPercent, pct((300.0-100)/(2000-1000)*100/0.25))
}
