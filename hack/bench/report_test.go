package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
)

func TestMedianAndMinimum(t *testing.T) {
	s := time.Second
	tests := []struct {
		in       []time.Duration
		med, min time.Duration
	}{
		{nil, 0, 0},
		{[]time.Duration{3 * s}, 3 * s, 3 * s},
		{[]time.Duration{5 * s, 1 * s, 3 * s}, 3 * s, 1 * s},
		{[]time.Duration{4 * s, 1 * s, 2 * s, 3 * s}, 2500 * time.Millisecond, 1 * s},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.med {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.med)
		}
		if got := minimum(tt.in); got != tt.min {
			t.Errorf("minimum(%v) = %v, want %v", tt.in, got, tt.min)
		}
	}
	in := []time.Duration{5 * s, 1 * s}
	median(in)
	if in[0] != 5*s {
		t.Error("median sorted its input in place")
	}
}

func TestReportPrintsEveryMeasurementAndTheVerdict(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range v {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	r := &results{containers: 100, runs: 3, endpoint: "unix:///tmp/dw1/d.sock",
		daemon: docker.DaemonInfo{Version: "20.10.24", APIVersion: "1.41", NCPU: 2},
		warm:   ms(900, 1000, 1100), cold: ms(1500, 1400, 1300), bounded: ms(13000, 13500, 14000), dockerStats: ms(3000, 4000, 3500)}
	var out bytes.Buffer
	if err := writeReport(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"100 idle containers", "Docker 20.10.24 (API 1.41)", "3 runs each",
		"(a) dockwatch snapshot, warm", "1.00s", "0.90s", "cold", "1.40s", "MaxConcurrentStats=8", "13.50s",
		"(c) docker stats --no-stream", "3.50s", "ratio a/c (warm)", "0.29", "ratio b/c", "3.86", "): met"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	r.warm = ms(2000, 2000, 2000)
	out.Reset()
	_ = writeReport(&out, r)
	if !strings.Contains(out.String(), "NOT met") {
		t.Errorf("a warm/docker ratio of 0.57 is reported as met:\n%s", out.String())
	}
}

func TestFatalfUnwindsToGuardAndCleanupsAllRun(t *testing.T) {
	var log bytes.Buffer
	tb := newRecoveringTB(&log)
	var ran []string
	tb.Cleanup(func() { ran = append(ran, "first") })
	tb.Cleanup(func() { ran = append(ran, "failing"); tb.Fatalf("cleanup %s", "broke") })
	err := tb.guard(func() error { tb.Fatalf("step %d failed", 2); return nil })
	if err == nil || err.Error() != "step 2 failed" {
		t.Fatalf("guard returned %v, want the Fatalf message", err)
	}
	tb.closeAll()
	if strings.Join(ran, ",") != "failing,first" {
		t.Errorf("cleanups ran %v, want both, last registered first", ran)
	}
	if !strings.Contains(log.String(), "cleanup broke") {
		t.Errorf("cleanup failure not logged: %q", log.String())
	}
}
