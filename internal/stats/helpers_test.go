package stats

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/container"
)

// loadSample decodes a payload from testdata, failing the test when it does
// not decode: every file there is a valid stats document.
func loadSample(t *testing.T, name string) *container.StatsResponse {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	s, err := Decode(data)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return s
}

// decodeInline decodes a payload written in a test case.
func decodeInline(t *testing.T, doc string) *container.StatsResponse {
	t.Helper()
	s, err := Decode([]byte(doc))
	if err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
	return s
}

// pct returns a pointer for expected CPU figures.
func pct(v float64) *float64 { return &v }

// closeEnough compares floats computed in a different order than the code
// does (the expectations are written as the hand arithmetic).
func closeEnough(got, want float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= 1e-9*math.Max(math.Abs(got), math.Abs(want))
}

// assertPercent compares optional figures: both nil, or both set and equal.
func assertPercent(t *testing.T, field string, got, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil:
		t.Errorf("%s = nil, want %v", field, *want)
	case want == nil:
		t.Errorf("%s = %v, want nil", field, *got)
	case !closeEnough(*got, *want):
		t.Errorf("%s = %v, want %v", field, *got, *want)
	}
}

// assertUsage compares every field of a Usage.
func assertUsage(t *testing.T, got, want Usage) {
	t.Helper()
	assertPercent(t, "CPUPercent", got.CPUPercent, want.CPUPercent)
	assertPercent(t, "CPULimitPercent", got.CPULimitPercent, want.CPULimitPercent)
	if !closeEnough(got.MemoryPercent, want.MemoryPercent) {
		t.Errorf("MemoryPercent = %v, want %v", got.MemoryPercent, want.MemoryPercent)
	}
	got.CPUPercent, got.CPULimitPercent, got.MemoryPercent = nil, nil, 0
	want.CPUPercent, want.CPULimitPercent, want.MemoryPercent = nil, nil, 0
	// Throttling has its own table (throttle_test.go).
	got.CPUThrottledPercent, want.CPUThrottledPercent = nil, nil
	if got != want {
		t.Errorf("counters:\n got  %+v\n want %+v", got, want)
	}
}
