package main

import "testing"

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
