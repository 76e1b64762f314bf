package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// newPollLag is dockwatch_poll_lag_seconds: how long after a poll was due
// (the previous poll plus the interval) it was done. A manager that keeps
// up shows about the difference between two polls' lengths (polls start at
// their host's slot, at most an interval apart: see pacing.NextStart); one
// falling behind shows its backlog growing here long before
// hosts look stale. One series for the whole manager: per-host buckets
// would cost thousands of series on a large fleet.
func newPollLag() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dockwatch_poll_lag_seconds",
		Help:    "Time from when a poll was due (previous poll + interval) to when it was done.",
		Buckets: []float64{0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300},
	})
}

// pollLag is how late a poll done at now was, 0 when early; ok is false
// for a host's first poll, which had no due time.
func pollLag(previous *metav1.Time, interval time.Duration, now time.Time) (lag time.Duration, ok bool) {
	if previous == nil {
		return 0, false
	}
	return max(0, now.Sub(previous.Add(interval))), true
}

// observeLag records a successful poll's lag.
func (m *Metrics) observeLag(previous *metav1.Time, interval time.Duration, now time.Time) {
	if m == nil {
		return
	}
	if lag, ok := pollLag(previous, interval, now); ok {
		m.pollLag.Observe(lag.Seconds())
	}
}
