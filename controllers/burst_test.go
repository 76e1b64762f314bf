package controllers

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// eventTally is what reached the API server for one event reason: events
// sent one by one, and events counted in summary events' annotations.
type eventTally struct{ individual, summarised int }

func tallyEvents(t *testing.T, key client.ObjectKey, reason string) eventTally {
	t.Helper()
	tally := eventTally{individual: len(eventsFor(t, key, reason))}
	for _, e := range eventsFor(t, key, EventThresholdEventsSummarised) {
		n, _ := strconv.Atoi(e.Annotations[AnnotationSummarisedPrefix+reason])
		tally.summarised += n
	}
	return tally
}

// reasonCount reads one reason's series of an event counter.
func reasonCount(t *testing.T, reg prometheus.Gatherer, name, reason string) int {
	t.Helper()
	return int(series(t, reg, name)["reason="+reason])
}

// TestBurstOf3000TransitionsIsAccountedFor has 3,000 containers cross a
// rule in one poll, then removes the rule: 3,000 ThresholdExceeded and 3,000
// ThresholdResolved transitions. Each must reach the API server as its own
// event or be counted in a summary event, and the metrics must agree.
func TestBurstOf3000TransitionsIsAccountedFor(t *testing.T) {
	requireControlPlane(t)
	const containers = 3000
	ns := newNamespace(t)
	mgr := startManagerAs(t, cfg, Scope{}, snapshotDialer(busySnapshot(containers)))
	key := firingHost(t, ns, "burst", containers)

	host := getHost(t, key)
	host.Spec.Thresholds = nil
	if err := k8sClient.Update(t.Context(), host); err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{dockwatchv1.EventThresholdExceeded, dockwatchv1.EventThresholdResolved} {
		var tally eventTally
		waitFor(t, 2*time.Minute, "3,000 "+reason+" transitions delivered or summarised", func() (bool, string) {
			tally = tallyEvents(t, key, reason)
			return tally.individual+tally.summarised == containers && mgr.alertEvents.Pending() == 0,
				fmt.Sprintf("%+v, %d pending", tally, mgr.alertEvents.Pending())
		})
		sent := reasonCount(t, mgr.metrics, "dockwatch_events_sent_total", reason)
		summarised := reasonCount(t, mgr.metrics, "dockwatch_events_summarised_total", reason)
		dropped := reasonCount(t, mgr.metrics, "dockwatch_events_dropped_total", reason)
		t.Logf("%s: %d sent one by one, %d in summary events; metrics sent %d, summarised %d, dropped %d",
			reason, tally.individual, tally.summarised, sent, summarised, dropped)
		if sent != tally.individual || summarised != tally.summarised || dropped != 0 {
			t.Errorf("%s: metrics say %d sent, %d summarised, %d dropped; the API server holds %d and %d",
				reason, sent, summarised, dropped, tally.individual, tally.summarised)
		}
		// The host's lane is shared by both bursts, so how many go one by
		// one depends on how far the first had drained; some always do.
		if tally.individual == 0 || tally.individual > containers {
			t.Errorf("%s: %d sent one by one", reason, tally.individual)
		}
	}
}
