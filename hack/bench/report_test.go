package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
)

func TestMedianMinimumAndMaximum(t *testing.T) {
	s := time.Second
	tests := []struct {
		in            []time.Duration
		med, min, max time.Duration
	}{
		{nil, 0, 0, 0},
		{[]time.Duration{3 * s}, 3 * s, 3 * s, 3 * s},
		{[]time.Duration{5 * s, 1 * s, 3 * s}, 3 * s, 1 * s, 5 * s},
		{[]time.Duration{4 * s, 1 * s, 2 * s, 3 * s}, 2500 * time.Millisecond, 1 * s, 4 * s},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.med {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.med)
		}
		if got := minimum(tt.in); got != tt.min {
			t.Errorf("minimum(%v) = %v, want %v", tt.in, got, tt.min)
		}
		if got := maximum(tt.in); got != tt.max {
			t.Errorf("maximum(%v) = %v, want %v", tt.in, got, tt.max)
		}
	}
	in := []time.Duration{5 * s, 1 * s}
	median(in)
	if in[0] != 5*s {
		t.Error("median sorted its input in place")
	}
}

// ms turns milliseconds into durations, for short test tables.
func ms(v ...int) []time.Duration {
	var ds []time.Duration
	for _, x := range v {
		ds = append(ds, time.Duration(x)*time.Millisecond)
	}
	return ds
}

// sampleResults are three runs of every measurement, the cgroup source
// included, with medians that are easy to check by hand.
func sampleResults() *results {
	return &results{containers: 100, runs: 3, endpoint: "unix:///tmp/dw1/d.sock",
		daemon: docker.DaemonInfo{Version: "20.10.24", APIVersion: "1.41", NCPU: 2},
		warm:   ms(900, 1000, 1100), cold: ms(1500, 1400, 1300), bounded: ms(13000, 13500, 14000), dockerStats: ms(3000, 4000, 3500),
		cgroup: cgroupResults{warm: ms(100, 120, 110), filesOnly: 32 * time.Millisecond, version: "1"}}
}

// lineWith returns the report's line that starts with prefix, or "".
func lineWith(report, prefix string) string {
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func TestReportPrintsEveryMeasurementRatioAndTheVerdict(t *testing.T) {
	var out bytes.Buffer
	if err := writeReport(&out, sampleResults()); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	for _, want := range []string{"100 idle containers", "Docker 20.10.24 (API 1.41)", "2 CPUs, cgroup v1", "3 runs each", "): met"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	for prefix, want := range map[string][]string{ // figures in order: median, min, max, first
		"(a) dockwatch snapshot, warm":                       {"1000.0ms", "900.0ms", "1100.0ms", "900.0ms"},
		"    dockwatch snapshot, cold":                       {"1400.0ms", "1300.0ms", "1500.0ms", "1500.0ms"},
		"(b) dockwatch snapshot, warm, MaxConcurrentStats=8": {"13500.0ms", "13000.0ms", "14000.0ms"},
		"(c) docker stats --no-stream":                       {"3500.0ms", "3000.0ms", "4000.0ms"},
		"(d) dockwatch snapshot, warm, cgroup":               {"110.0ms", "100.0ms", "120.0ms"},
		"ratio a/c (warm)":                                   {"0.286", "0.300"},
		"ratio b/c":                                          {"3.857", "4.333"},
		"ratio d/a":                                          {"0.110", "0.111"},
		"ratio d/c":                                          {"0.031", "0.033"},
		"(d) cgroup files alone":                             {"32.0ms, 320µs per container"},
	} {
		line := lineWith(report, prefix)
		if got := strings.Fields(line); len(line) == 0 || !strings.Contains(strings.Join(got, " "), strings.Join(want, " ")) {
			t.Errorf("line %q = %q, want it to show %q:\n%s", prefix, line, want, report)
		}
	}
}

func TestReportSaysNotMetWhenWarmSnapshotIsOverHalfOfDockerStats(t *testing.T) {
	r := sampleResults()
	r.warm = ms(2000, 2000, 2000)
	var out bytes.Buffer
	_ = writeReport(&out, r)
	if !strings.Contains(out.String(), "NOT met") {
		t.Errorf("a warm/docker ratio of 0.57 is reported as met:\n%s", out.String())
	}
}

func TestReportNotesASkippedCgroupSourceInsteadOfItsFigures(t *testing.T) {
	r := sampleResults()
	r.cgroup = cgroupResults{skipped: "skipped, the cgroup source does not work on this machine: no /sys/fs/cgroup"}
	var out bytes.Buffer
	if err := writeReport(&out, r); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	if got := strings.Count(report, "(d)"); got != 1 {
		t.Errorf("report mentions (d) %d times, want once, in the note:\n%s", got, report)
	}
	if !strings.Contains(lineWith(report, "(d) cgroup stats source: skipped"), "no /sys/fs/cgroup") {
		t.Errorf("report lacks the one-line skip note with its reason:\n%s", report)
	}
	for _, unwanted := range []string{"ratio d/", "cgroup v", "files alone"} {
		if strings.Contains(report, unwanted) {
			t.Errorf("report shows %q for a skipped cgroup source:\n%s", unwanted, report)
		}
	}
	if lineWith(report, "ratio b/c") == "" {
		t.Errorf("skipping the cgroup source lost the other measurements:\n%s", report)
	}
}
