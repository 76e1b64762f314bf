package controllers

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
)

// hostWithAlerts is a polled host whose status lists a firing and a pending alert.
func hostWithAlerts() *dockwatchv1.DockerHost {
	host := unitHost(1)
	host.UID = "uid-1"
	host.Spec.Endpoint = "tcp://10.0.0.5:2376"
	since := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	host.Status.Alerts = []dockwatchv1.AlertStatus{
		{Rule: "busy", ContainerID: "id-a", Container: "a", Metric: dockwatchv1.MetricCPUPercent, Value: 99, Threshold: 50, State: dockwatchv1.AlertFiring, Since: since},
		{Rule: "busy", ContainerID: "id-b", Container: "b", Metric: dockwatchv1.MetricCPUPercent, Value: 60, Threshold: 50, State: dockwatchv1.AlertPending, Since: since},
	}
	host.Status.Daemon = &dockwatchv1.DaemonInfo{Version: "20.10.24"}
	host.Status.Summary = &dockwatchv1.HostSummary{AlertsFiring: 1, AlertsPending: 1}
	markPolled(host, "")
	return host
}

func drainEvents(rec *record.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func TestDeletedHostResolvesItsFiringAlerts(t *testing.T) {
	rec := record.NewFakeRecorder(10)
	rec.IncludeObject = true
	r := &DockerHostReconciler{Recorder: rec, Alerts: NewAlertMemory()}
	host := hostWithAlerts()
	r.Alerts.seed(host)

	r.resolveDeleted(client.ObjectKeyFromObject(host))
	events := drainEvents(rec)
	if len(events) != 1 || !strings.HasPrefix(events[0], "Normal ThresholdResolved Container a on tcp://10.0.0.5:2376") ||
		!strings.Contains(events[0], "the DockerHost was deleted") || !strings.Contains(events[0], string(ReasonHostDeleted)) {
		t.Fatalf("want one ThresholdResolved for the firing alert only, got %q", events)
	}
	r.resolveDeleted(client.ObjectKeyFromObject(host))
	if again := drainEvents(rec); len(again) != 0 {
		t.Fatalf("a second delete event resolved again: %q", again)
	}
}

func TestSuspendedHostResolvesAndClearsItsAlerts(t *testing.T) {
	rec := record.NewFakeRecorder(10)
	r := &DockerHostReconciler{Recorder: rec, Alerts: NewAlertMemory()}
	host := hostWithAlerts()
	markSuspended(host)
	r.resolveSuspended(host)

	events := drainEvents(rec)
	if len(events) != 1 || !strings.HasPrefix(events[0], "Normal ThresholdResolved Container a") || !strings.Contains(events[0], "spec.suspend") {
		t.Fatalf("want one ThresholdResolved for the firing alert, got %q", events)
	}
	if len(host.Status.Alerts) != 0 || host.Status.Summary.AlertsFiring != 0 || host.Status.Summary.AlertsPending != 0 {
		t.Errorf("suspended host keeps alerts: %+v, summary %+v", host.Status.Alerts, host.Status.Summary)
	}
	c := condition(host, dockwatchv1.ConditionThresholdsBreached)
	if c.Status != metav1.ConditionFalse || c.Reason != dockwatchv1.ReasonSuspended {
		t.Errorf("ThresholdsBreached = %s %s, want False Suspended", c.Status, c.Reason)
	}
	if kept := r.Alerts.load(host); len(kept.alerts) != 0 {
		t.Errorf("memory keeps %d alerts after suspend", len(kept.alerts))
	}
	r.resolveSuspended(host)
	if again := drainEvents(rec); len(again) != 0 {
		t.Fatalf("a second suspended reconcile resolved again: %q", again)
	}
}

func TestResolveAllSkipsPendingAlerts(t *testing.T) {
	got := resolveAll([]alert.Alert{{Rule: "r", State: alert.Pending}, {Rule: "r", State: alert.Firing}}, ReasonHostDeleted)
	if len(got) != 1 || got[0].Kind != alert.Resolved || got[0].Reason != ReasonHostDeleted {
		t.Fatalf("resolveAll = %+v", got)
	}
}
