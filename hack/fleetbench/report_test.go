package main

import (
	"strings"
	"testing"
	"time"
)

// TestHeapGoalDerivesTheLiveHeapOnlyWhereTheGoalImpliesIt: GOGC alone sets
// the goal to the live heap grown by GOGC percent; a soft memory limit or
// GOGC=off breaks that, and the report must not print a live heap then.
func TestHeapGoalDerivesTheLiveHeapOnlyWhereTheGoalImpliesIt(t *testing.T) {
	tests := []struct {
		name string
		r    replicaResults
		want string
	}{
		{"GOGC 100", replicaResults{heapGoal: 196 << 20, gogc: 100}, "196 / ~98 MiB (GOGC 100)"},
		{"GOGC 50", replicaResults{heapGoal: 150 << 20, gogc: 50}, "150 / ~100 MiB (GOGC 50)"},
		{"a soft limit", replicaResults{heapGoal: 170 << 20, gogc: 100, softLimit: true}, "170 MiB (a GOMEMLIMIT is set: live not derived)"},
		{"GOGC off", replicaResults{heapGoal: 4 << 20, gogc: -1}, "4 MiB (GOGC off: live not derived)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := heapGoal(&tt.r); got != tt.want {
				t.Errorf("heapGoal = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReportJudgesEachReplicaOnItsOwnFigures: with several replicas the
// per-process targets are each replica's, and the fleet's rows appear once.
func TestReportJudgesEachReplicaOnItsOwnFigures(t *testing.T) {
	r := &results{
		ages: []time.Duration{20 * time.Second, 30 * time.Second},
		replicas: []replicaResults{
			{cpuCores: 0.3, peakRSS: 150 << 20, hostsOwned: 480, members: 2},
			{cpuCores: 0.3, peakRSS: 250 << 20, hostsOwned: 520, members: 2},
		},
	}
	var out strings.Builder
	writeReport(&out, options{hosts: 1000, containers: 50, replicas: 2}, r)
	text := out.String()
	for _, want := range []string{"2 manager replicas (--sharding)", "replica 1 of 2: 480 hosts owned", "replica 2 of 2: 520 hosts owned"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	var verdicts []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "manager peak RSS in the window") {
			verdicts = append(verdicts, strings.Fields(line)[len(strings.Fields(line))-1])
		}
	}
	if strings.Join(verdicts, ",") != "met,MISSED" {
		t.Errorf("peak RSS verdicts = %v, want [met MISSED]:\n%s", verdicts, text)
	}
	if n := strings.Count(text, "poll age p50 / p99"); n != 1 {
		t.Errorf("the fleet's poll age appears %d times, want once", n)
	}
}
