package stats

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestDecodeRejectsMalformedPayloadsClearly(t *testing.T) {
	tests := []struct {
		name, payload, wantInError string
	}{
		{"empty body", "", "empty payload"},
		{"whitespace only", " \n\t", "empty payload"},
		{"JSON null", "null", "not a JSON object"},
		{"JSON array", "[{}]", "not a JSON object"},
		{"HTML error page from a proxy", "<html><body>502 Bad Gateway</body></html>", `"<html><body>502 Bad Gateway</bod..."`},
		{"truncated object", `{"cpu_stats":{"cpu_usage":`, "unexpected end of JSON input"},
		{"wrong field type", `{"cpu_stats":{"cpu_usage":{"total_usage":"lots"}}}`, "total_usage"},
		{"negative counter", `{"pids_stats":{"current":-1}}`, "pids_stats.current"},
		{"two streamed frames", `{"read":"2026-11-29T05:00:00Z"}{"read":"2026-11-29T05:00:01Z"}`, "after top-level value"},
		{"bad timestamp", `{"read":"yesterday"}`, "yesterday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode([]byte(tt.payload))
			if err == nil {
				t.Fatalf("Decode(%q) = %+v, want an error", tt.payload, s)
			}
			if !errors.Is(err, ErrMalformedStats) {
				t.Errorf("error %q does not wrap ErrMalformedStats", err)
			}
			if !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("error %q does not mention %q", err, tt.wantInError)
			}
		})
	}
}

func TestDecodeAcceptsEveryRecordedPayload(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "stats-*.json"))
	if err != nil || len(files) < 7 {
		t.Fatalf("testdata payloads: %v (found %d)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Decode(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if s.Read.IsZero() {
			t.Errorf("%s: read timestamp not decoded", f)
		}
	}
}

// FuzzDecodeCompute feeds arbitrary bytes through Decode and, when they
// decode, through Compute in both OS modes with and without a previous
// sample: nothing may panic and no figure may be NaN or Inf.
func FuzzDecodeCompute(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stats-*.json"))
	for i, name := range files {
		cur, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		prev, _ := os.ReadFile(files[(i+1)%len(files)])
		f.Add(cur, prev, 1.5)
	}
	f.Add([]byte(`{}`), []byte(`{}`), 0.0)
	f.Add([]byte(`{"cpu_stats":{"system_cpu_usage":1}}`), []byte(`null`), math.Inf(1))
	f.Fuzz(func(t *testing.T, curData, prevData []byte, limit float64) {
		cur, err := Decode(curData)
		if err != nil {
			if !errors.Is(err, ErrMalformedStats) {
				t.Fatalf("error %v does not wrap ErrMalformedStats", err)
			}
			return
		}
		prev, _ := Decode(prevData) // nil on error: the first-sample path
		for _, osType := range []string{"linux", "windows"} {
			assertFinite(t, Compute(cur, prev, osType, limit))
			assertFinite(t, Compute(cur, nil, osType, limit))
		}
	})
}

// assertFinite fails when any floating-point figure is NaN or Inf.
func assertFinite(t *testing.T, u Usage) {
	t.Helper()
	check := func(name string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s = %v", name, v)
		}
	}
	check("MemoryPercent", u.MemoryPercent)
	if u.CPUPercent != nil {
		check("CPUPercent", *u.CPUPercent)
	}
	if u.CPULimitPercent != nil {
		check("CPULimitPercent", *u.CPULimitPercent)
		if u.CPUPercent == nil {
			t.Fatal("CPULimitPercent set without CPUPercent")
		}
	}
}

// FuzzComputeCounters drives the arithmetic directly with arbitrary counter
// values, which byte-level JSON fuzzing reaches only rarely.
func FuzzComputeCounters(f *testing.F) {
	f.Add(uint64(2500000000), uint64(1000004000000000), uint64(2000000000), uint64(1000000000000000),
		uint32(2), uint64(115343360), uint64(20971520), uint64(536870912), int64(2e9), uint32(4), 0.5)
	f.Add(uint64(0), uint64(0), uint64(0), uint64(0), uint32(0), uint64(0), uint64(0), uint64(0), int64(0), uint32(0), 0.0)
	f.Fuzz(func(t *testing.T, total, system, preTotal, preSystem uint64, online uint32,
		usage, inactive, limit uint64, elapsedNs int64, numProcs uint32, limitCores float64) {
		cur := &container.StatsResponse{
			Read:     time.Unix(0, 0).Add(time.Duration(elapsedNs)),
			PreRead:  time.Unix(0, 0),
			NumProcs: numProcs,
			CPUStats: container.CPUStats{
				CPUUsage: container.CPUUsage{TotalUsage: total}, SystemUsage: system, OnlineCPUs: online,
			},
			PreCPUStats: container.CPUStats{
				CPUUsage: container.CPUUsage{TotalUsage: preTotal}, SystemUsage: preSystem,
			},
			MemoryStats: container.MemoryStats{
				Usage: usage, Limit: limit, Stats: map[string]uint64{"inactive_file": inactive},
			},
		}
		for _, osType := range []string{"linux", "windows"} {
			u := Compute(cur, nil, osType, limitCores)
			assertFinite(t, u)
			if u.MemoryUsageBytes > usage {
				t.Fatalf("memory %d above usage %d", u.MemoryUsageBytes, usage)
			}
			if u.CPUPercent != nil && *u.CPUPercent < 0 {
				t.Fatalf("negative CPU %v", *u.CPUPercent)
			}
		}
	})
}
