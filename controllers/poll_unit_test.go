package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// TestUntilPollDueWaitsOnlyForAHealthyHostPolledRecently: events that
// change nothing (a Secret's metadata, a racing requeue) must not poll early,
// but anything that needs a fresh look polls at once.
func TestUntilPollDueWaitsOnlyForAHealthyHostPolledRecently(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	polled := func(ago time.Duration, ready bool, observed int64) *dockwatchv1.DockerHost {
		host := unitHost(2)
		host.Spec.Interval = &metav1.Duration{Duration: 30 * time.Second}
		host.Status.LastPollTime = &metav1.Time{Time: now.Add(-ago)}
		host.Status.ObservedGeneration = observed
		status := metav1.ConditionFalse
		if ready {
			status = metav1.ConditionTrue
		}
		setCondition(host, dockwatchv1.ConditionReady, status, "R", "m")
		return host
	}
	took := func(host *dockwatchv1.DockerHost, d time.Duration) *dockwatchv1.DockerHost {
		host.Status.PollDurationMillis = d.Milliseconds()
		return host
	}
	never := unitHost(2)
	tests := []struct {
		name string
		host *dockwatchv1.DockerHost
		want time.Duration
	}{
		{"never polled", never, 0},
		{"polled 10s ago, healthy", polled(10*time.Second, true, 2), 19 * time.Second},
		{"interval elapsed", polled(31*time.Second, true, 2), 0},
		{"within a second of due", polled(29500*time.Millisecond, true, 2), 0},
		{"not Ready", polled(10*time.Second, false, 2), 0},
		{"new generation", polled(10*time.Second, true, 1), 0},
		{"a 4 s poll ended 10s ago: due 30s after it started", took(polled(10*time.Second, true, 2), 4*time.Second), 15 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := untilPollDue(tt.host, now); got != tt.want {
				t.Errorf("untilPollDue = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestNextPollInCountsFromThePollsStart: the period is start to start.
func TestNextPollInCountsFromThePollsStart(t *testing.T) {
	for _, took := range []time.Duration{0, 4 * time.Second, 29 * time.Second, time.Minute} {
		got := nextPollIn(30*time.Second, took)
		low, high := max(0, 30*time.Second-took), max(0, 31500*time.Millisecond-took)
		if got < low || got > high {
			t.Errorf("nextPollIn(30s, %s) = %s, want within [%s, %s]", took, got, low, high)
		}
	}
}
