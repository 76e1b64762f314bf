package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseOptionsMeasuresTheCgroupSourceUnlessSwitchedOff(t *testing.T) {
	tests := []struct {
		args    []string
		want    options
		wantErr bool
	}{
		{nil, options{containers: 100, runs: 5, cgroup: true}, false},
		{[]string{"-containers", "50", "-runs", "3", "-cgroup=false"}, options{containers: 50, runs: 3}, false},
		{[]string{"-cgroup=true"}, options{containers: 100, runs: 5, cgroup: true}, false},
		{[]string{"-runs", "0"}, options{}, true},
		{[]string{"extra"}, options{}, true},
	}
	for _, tt := range tests {
		got, err := parseOptions(tt.args, &bytes.Buffer{})
		if (err != nil) != tt.wantErr {
			t.Errorf("parseOptions(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("parseOptions(%q) = %+v, want %+v", tt.args, got, tt.want)
		}
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
