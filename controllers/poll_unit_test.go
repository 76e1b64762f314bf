package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/pacing"
)

// TestUntilPollDueWaitsOnlyForAHealthyHostPolledRecently: events that
// change nothing (a Secret's metadata, a racing requeue) must not poll early,
// but anything that needs a fresh look polls at once. The host's last poll
// started at its slot, so the next is due an interval after that start.
func TestUntilPollDueWaitsOnlyForAHealthyHostPolledRecently(t *testing.T) {
	const interval = 30 * time.Second
	onSlot := onSlotOf("ns/host", interval)
	type poll struct {
		ago, took time.Duration // how long ago it ended, and how long it took
		ready     bool
		observed  int64
	}
	tests := []struct {
		name string
		last *poll // nil: never polled
		want time.Duration
	}{
		{"never polled", nil, 0},
		{"polled 10s ago, healthy", &poll{ago: 10 * time.Second, ready: true, observed: 2}, 20 * time.Second},
		{"polled 10s ago, its start read back a hair early", &poll{ago: 10*time.Second - 300*time.Millisecond, ready: true, observed: 2}, 20*time.Second + 300*time.Millisecond},
		{"interval elapsed", &poll{ago: 31 * time.Second, ready: true, observed: 2}, 0},
		{"within a second of due", &poll{ago: 29500 * time.Millisecond, ready: true, observed: 2}, 0},
		{"not Ready", &poll{ago: 10 * time.Second, observed: 2}, 0},
		{"new generation", &poll{ago: 10 * time.Second, ready: true, observed: 1}, 0},
		{"a 4 s poll ended 10s ago: due 30s after it started", &poll{ago: 10 * time.Second, took: 4 * time.Second, ready: true, observed: 2}, 16 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := unitHost(2)
			host.Spec.Interval = &metav1.Duration{Duration: interval}
			now := onSlot.Add(time.Hour)
			if p := tt.last; p != nil {
				now = onSlot.Add(p.took + p.ago)
				host.Status.LastPollTime = &metav1.Time{Time: now.Add(-p.ago)}
				host.Status.PollDurationMillis = p.took.Milliseconds()
				host.Status.ObservedGeneration = p.observed
				status := metav1.ConditionFalse
				if p.ready {
					status = metav1.ConditionTrue
				}
				setCondition(host, dockwatchv1.ConditionReady, status, "R", "m")
			}
			if got := untilPollDue(host, now); got != tt.want {
				t.Errorf("untilPollDue = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestNextPollInCountsFromThePollsStartAndKeepsTheSlot: the period is start
// to start, the next poll comes at the host's slot, and never later than an
// interval after the poll's start.
func TestNextPollInCountsFromThePollsStartAndKeepsTheSlot(t *testing.T) {
	const interval = 30 * time.Second
	host := unitHost(2)
	host.Spec.Interval = &metav1.Duration{Duration: interval}
	onSlot := onSlotOf("ns/host", interval)
	for _, took := range []time.Duration{0, 4 * time.Second, 29 * time.Second} {
		if got, want := nextPollIn(host, onSlot, onSlot.Add(took)), interval-took; got != want {
			t.Errorf("a poll that started on its slot and took %s: next in %s, want %s", took, got, want)
		}
	}
	// A poll (with its lifecycle step) that ran past its next slot is
	// requeued for the slot after, never at once and never not at all.
	for _, took := range []time.Duration{interval, 40 * time.Second, time.Minute} {
		if got := nextPollIn(host, onSlot, onSlot.Add(took)); got < interval*4/5 || got > interval {
			t.Errorf("a poll that took %s: next in %s, want between four fifths and a whole interval", took, got)
		}
	}
	if got, want := nextPollIn(host, onSlot, onSlot.Add(40*time.Second)), 24*time.Second; got != want {
		t.Errorf("a poll that took 40 s: next in %s, want %s (as if it had started now, off its slot)", got, want)
	}
	offSlot := onSlot.Add(-10 * time.Second) // the slot is 10 s into the interval after it
	if got, want := nextPollIn(host, offSlot, offSlot.Add(4*time.Second)), 20*time.Second; got != want {
		t.Errorf("a 4 s poll that started 10 s before its slot: next in %s, want %s (a fifth early, towards the slot)", got, want)
	}
}

// onSlotOf is a time at the slot of the host with that key (see
// pacing.Slot), so tests of the schedule can say when the next poll is due.
func onSlotOf(key string, interval time.Duration) time.Time {
	return time.Unix(1_800_000_000, 0).Add(pacing.Slot(key, interval)) // 1,800,000,000 s is a multiple of 30 s
}
