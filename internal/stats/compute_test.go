package stats

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Expected values below are the hand arithmetic over the numbers in the
// testdata files, written as expressions so they can be checked by reading.

// recordedCase is Compute over testdata files.
type recordedCase struct {
	name      string
	cur, prev string // testdata file names; prev "" = no previous sample
	osType    string
	limit     float64
	want      Usage
}

var recordedCases = []recordedCase{{
	name: "v1 first stream frame with all-zero precpu has no CPU figure",
	cur:  "stats-cgroupv1-example-1.json", osType: "linux",
	want: Usage{
		CPUPercent:       nil,
		MemoryUsageBytes: 56270848 - 0, // total_inactive_file is 0
		MemoryLimitBytes: 1044246528,
		MemoryPercent:    (56270848.0 - 0) / 1044246528 * 100,
		NetRxBytes:       648 + 648, // eth0 + eth1
		NetTxBytes:       648 + 648,
		PIDs:             5,
	},
}, {
	name: "v1 idle container with daemon precpu is 0 percent not nil",
	cur:  "stats-cgroupv1-example-2.json", osType: "linux", limit: 0.5,
	want: Usage{
		// cpuDelta 709001154-709001154 = 0 over systemDelta
		// 185643040000000-185639070000000 > 0, 4 CPUs from percpu_usage.
		CPUPercent:       pct(0.0 / (185643040000000 - 185639070000000) * 4 * 100),
		CPULimitPercent:  pct(0 / 0.5),
		MemoryUsageBytes: 51126272 - 18386944,
		MemoryLimitBytes: 2097557504,
		MemoryPercent:    (51126272.0 - 18386944) / 2097557504 * 100,
		NetRxBytes:       117457,
		NetTxBytes:       76077,
		BlockReadBytes:   19857408, // only "Read"; Async and Total not added
		BlockWriteBytes:  0,
		PIDs:             9,
	},
}, {
	name: "container counter going backwards (restart) gives no CPU figure",
	cur:  "stats-cgroupv1-example-2.json", prev: "stats-cgroupv1-example-1.json",
	osType: "linux", limit: 1,
	want: Usage{
		CPUPercent:       nil, // 709001154 < 26505881978
		CPULimitPercent:  nil,
		MemoryUsageBytes: 51126272 - 18386944,
		MemoryLimitBytes: 2097557504,
		MemoryPercent:    (51126272.0 - 18386944) / 2097557504 * 100,
		NetRxBytes:       117457,
		NetTxBytes:       76077,
		BlockReadBytes:   19857408,
		PIDs:             9,
	},
}, {
	name: "engine 20.10 first one-shot sample has no CPU figure",
	cur:  "stats-cgroupv1-oneshot-engine20.10.json", osType: "linux", limit: 2,
	want: Usage{
		CPUPercent:       nil,
		CPULimitPercent:  nil,
		MemoryUsageBytes: 499712 - 172032,
		MemoryLimitBytes: 25276026880,
		MemoryPercent:    (499712.0 - 172032) / 25276026880 * 100,
		PIDs:             1, // no networks key: host or none network mode
	},
}, {
	name: "engine 20.10 previous one-shot sample is the baseline",
	cur:  "stats-cgroupv1-twosample-engine20.10.json",
	prev: "stats-cgroupv1-oneshot-engine20.10.json", osType: "linux",
	want: Usage{
		// 66032214-66032214 over 4325080000000-4321050000000, 2 online.
		CPUPercent:       pct(0.0 / (4325080000000 - 4321050000000) * 2 * 100),
		MemoryUsageBytes: 499712 - 172032,
		MemoryLimitBytes: 25276026880,
		MemoryPercent:    (499712.0 - 172032) / 25276026880 * 100,
		PIDs:             1,
	},
}, {
	name: "engine 20.10 two-sample answer uses the daemon's precpu",
	cur:  "stats-cgroupv1-twosample-engine20.10.json", osType: "",
	want: Usage{
		CPUPercent:       pct(0.0 / (4325080000000 - 4323070000000) * 2 * 100),
		MemoryUsageBytes: 499712 - 172032,
		MemoryLimitBytes: 25276026880,
		MemoryPercent:    (499712.0 - 172032) / 25276026880 * 100,
		PIDs:             1,
	},
}, {
	name: "cgroup v2 first one-shot sample has no CPU figure",
	cur:  "stats-cgroupv2-oneshot-1.json", osType: "linux", limit: 0.5,
	want: Usage{
		CPUPercent:       nil,
		CPULimitPercent:  nil,
		MemoryUsageBytes: 104857600 - 20971520, // usage - inactive_file
		MemoryLimitBytes: 536870912,
		MemoryPercent:    (104857600.0 - 20971520) / 536870912 * 100, // 15.625
		NetRxBytes:       1000 + 500,
		NetTxBytes:       2000 + 250,
		BlockReadBytes:   8192 + 4096,
		BlockWriteBytes:  1048576 + 0,
		PIDs:             12,
	},
}, {
	name: "cgroup v2 second one-shot sample computes CPU from the first",
	cur:  "stats-cgroupv2-oneshot-2.json", prev: "stats-cgroupv2-oneshot-1.json",
	osType: "linux", limit: 0.5,
	want: Usage{
		// (2.5e9-2e9) / (1000004000000000-1000000000000000) * 2 * 100 = 25
		CPUPercent:       pct((2500000000.0 - 2000000000) / (1000004000000000 - 1000000000000000) * 2 * 100),
		CPULimitPercent:  pct(25 / 0.5), // a quarter core is half of a 0.5-core limit
		MemoryUsageBytes: 115343360 - 20971520,
		MemoryLimitBytes: 536870912,
		MemoryPercent:    (115343360.0 - 20971520) / 536870912 * 100, // 17.578125
		NetRxBytes:       3000 + 500,
		NetTxBytes:       4000 + 250,
		BlockReadBytes:   8192 + 4096,
		BlockWriteBytes:  2097152 + 0,
		PIDs:             13,
	},
}, {
	name: "windows two-sample answer uses preread and num_procs",
	cur:  "stats-windows-twosample.json", osType: "windows", limit: 2,
	want: Usage{
		// 100ns intervals used: 150000000-130000000; available: 1 s = 1e9 ns /100 * 4 procs
		CPUPercent:       pct((150000000.0 - 130000000) / (1e9 / 100 * 4) * 100), // 50
		CPULimitPercent:  pct(50.0 / 2),
		MemoryUsageBytes: 73400320, // privateworkingset, no limit on Windows
		NetRxBytes:       5000,
		NetTxBytes:       3000,
		BlockReadBytes:   4096000,
		BlockWriteBytes:  1024000,
		PIDs:             0, // num_procs counts processors, not processes
	},
}}

func TestComputeRecordedPayloads(t *testing.T) {
	for _, tt := range recordedCases {
		t.Run(tt.name, func(t *testing.T) {
			cur := loadSample(t, tt.cur)
			var prev *container.StatsResponse
			if tt.prev != "" {
				prev = loadSample(t, tt.prev)
			}
			assertUsage(t, Compute(cur, prev, tt.osType, tt.limit), tt.want)
		})
	}
}

func TestComputeWindowsPreviousSampleReplacesPreread(t *testing.T) {
	cur := loadSample(t, "stats-windows-twosample.json")
	prev := &container.StatsResponse{
		Read:     time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC), // 2 s before cur.Read
		NumProcs: 4,
		CPUStats: container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 110000000}},
	}
	got := Compute(cur, prev, "Windows", 0)
	// (150000000-110000000) / (2e9/100 * 4) * 100 = 50
	assertPercent(t, "CPUPercent", got.CPUPercent, pct((150000000.0-110000000)/(2e9/100*4)*100))
	assertPercent(t, "CPULimitPercent", got.CPULimitPercent, nil)
}

func TestComputeNilCurrentSampleIsEmpty(t *testing.T) {
	assertUsage(t, Compute(nil, nil, "linux", 1), Usage{})
}
