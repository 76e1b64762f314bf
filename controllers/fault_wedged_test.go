package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestWedgedContainerIsUnmeasuredAndHostStaysReady has one container whose
// stats never answer (as one stuck in uninterruptible I/O) beside four
// healthy ones: over several polls the wedged one is counted unmeasured,
// its siblings are in status with figures, the host stays Ready and no
// DaemonUnreachable event is sent.
func TestWedgedContainerIsUnmeasuredAndHostStaysReady(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	startManager(t, Scope{})
	fake := dockertest.NewHostileAPI(t, "svc", 5)
	fake.HangStatsOf(0)
	key := applyHost(t, plaintextHost(ns, "wedged", fake.Host, "3s"))

	var firstPoll time.Time
	waitFor(t, 30*time.Second, "a second poll with the wedged container unmeasured", func() (bool, string) {
		host := getHost(t, key)
		if host.Status.LastPollTime == nil || host.Status.Summary == nil {
			return false, describe(host)
		}
		if firstPoll.IsZero() {
			firstPoll = host.Status.LastPollTime.Time
		}
		return host.Status.LastPollTime.After(firstPoll), describe(host)
	})
	host := getHost(t, key)
	if c := condition(host, dockwatchv1.ConditionReady); c.Status != metav1.ConditionTrue {
		t.Errorf("Ready=%s (%s: %s), want True beside one wedged container", c.Status, c.Reason, c.Message)
	}
	// containersWatched counts the containers with figures.
	if s := host.Status.Summary; s.ContainersUnmeasured != 1 || s.ContainersWatched != 4 || s.ContainersRunning != 5 {
		t.Errorf("summary: %d running, %d watched, %d unmeasured; want 5, 4 and 1", s.ContainersRunning, s.ContainersWatched, s.ContainersUnmeasured)
	}
	measured := map[string]bool{}
	for _, c := range host.Status.Containers {
		if c.CPUPercent != nil {
			measured[c.Name] = true
		}
	}
	for _, name := range []string{"svc-1", "svc-2", "svc-3", "svc-4"} {
		if !measured[name] {
			t.Errorf("sibling %s has no CPU figure in status: %+v", name, host.Status.Containers)
		}
	}
	if measured["svc-0"] {
		t.Errorf("the wedged container svc-0 has a CPU figure")
	}
	if events := eventsFor(t, key, dockwatchv1.ReasonDaemonUnreachable); len(events) != 0 {
		t.Errorf("%d DaemonUnreachable events for one wedged container: %s", len(events), events[0].Message)
	}
	t.Logf("beside a wedged container: %s", describe(host))
}
