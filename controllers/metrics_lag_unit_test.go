package controllers

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPollLagMeasuresFromDueToDone(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := &metav1.Time{Time: t0}
	cases := []struct {
		name     string
		previous *metav1.Time
		done     time.Time
		want     time.Duration
		ok       bool
	}{
		{"first poll has no due time", nil, t0, 0, false},
		{"on time", prev, t0.Add(30 * time.Second), 0, true},
		{"early (slack) counts as no lag", prev, t0.Add(29 * time.Second), 0, true},
		{"behind by the backlog", prev, t0.Add(95 * time.Second), 65 * time.Second, true},
	}
	for _, c := range cases {
		lag, ok := pollLag(c.previous, 30*time.Second, c.done)
		if lag != c.want || ok != c.ok {
			t.Errorf("%s: lag %s ok %v, want %s %v", c.name, lag, ok, c.want, c.ok)
		}
	}
}

func TestPollLagHistogramIsExported(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	t0 := time.Now()
	m.observeLag(&metav1.Time{Time: t0.Add(-40 * time.Second)}, 30*time.Second, t0)
	m.observeLag(nil, 30*time.Second, t0)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "dockwatch_poll_lag_seconds" {
			if got := f.GetMetric()[0].GetHistogram().GetSampleCount(); got != 1 {
				t.Fatalf("dockwatch_poll_lag_seconds counted %d polls, want 1 (the first poll has no lag)", got)
			}
			return
		}
	}
	t.Fatal("dockwatch_poll_lag_seconds is not exported")
}
