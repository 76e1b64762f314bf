package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// busySnapshot is a daemon with n running containers at 99% CPU each.
func busySnapshot(n int) func() *docker.Snapshot {
	return func() *docker.Snapshot {
		snap := &docker.Snapshot{Daemon: docker.DaemonInfo{Version: "20.10.24-fake", NCPU: 64, MemTotalBytes: 256 << 30}, Running: n}
		for i := range n {
			cpu := 99.0
			snap.Containers = append(snap.Containers, docker.ContainerStats{
				ID: fmt.Sprintf("%064x", i+1), Name: fmt.Sprintf("busy-%04d", i), Image: "fake:latest", State: "running",
				Usage: statsUsage(&cpu, 1<<20)})
		}
		return snap
	}
}

// firingHost creates a host whose n containers all breach its rule at once
// and waits until their alerts fire.
func firingHost(t *testing.T, ns, name string, n int) client.ObjectKey {
	t.Helper()
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{Endpoint: "tcp://127.0.0.1:1", AllowPlaintext: true, Interval: dur(pollEvery),
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "busy", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(50)}}},
	})
	waitFor(t, readyWithin, fmt.Sprintf("%d alerts firing", n), func() (bool, string) {
		host := getHost(t, key)
		return host.Status.Summary != nil && host.Status.Summary.AlertsFiring == int32(n), describe(host)
	})
	return key
}

// resolvedFor counts ThresholdResolved events of a host with the given
// dockwatch.io/reason annotation.
func resolvedFor(t *testing.T, key client.ObjectKey, reason string) int {
	n := 0
	for _, e := range eventsFor(t, key, dockwatchv1.EventThresholdResolved) {
		if e.Annotations[dockwatchv1.AnnotationCause] == reason {
			n++
		}
	}
	return n
}

func TestDeletedHostResolvesEachFiringAlert(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	startManagerAs(t, cfg, Scope{}, snapshotDialer(busySnapshot(3)))
	key := firingHost(t, ns, "to-delete", 3)

	if err := k8sClient.Delete(context.Background(), getHost(t, key)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a ThresholdResolved event per firing alert, reason HostDeleted", func() (bool, string) {
		n := resolvedFor(t, key, string(ReasonHostDeleted))
		return n == 3, fmt.Sprintf("%d resolved", n)
	})
}

func TestSuspendedHostResolvesItsAlerts(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	startManagerAs(t, cfg, Scope{}, snapshotDialer(busySnapshot(3)))
	key := firingHost(t, ns, "to-suspend", 3)

	host := getHost(t, key)
	host.Spec.Suspend = true
	if err := k8sClient.Update(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	host = waitCondition(t, key, dockwatchv1.ConditionThresholdsBreached, metav1.ConditionFalse, dockwatchv1.ReasonSuspended, 20*time.Second)
	if len(host.Status.Alerts) != 0 || host.Status.Summary.AlertsFiring != 0 || host.Status.Summary.AlertsPending != 0 {
		t.Errorf("suspended host still lists alerts: %d listed, summary %+v", len(host.Status.Alerts), host.Status.Summary)
	}
	waitFor(t, 20*time.Second, "a ThresholdResolved event per firing alert, reason HostSuspended", func() (bool, string) {
		n := resolvedFor(t, key, string(ReasonHostSuspended))
		return n == 3, fmt.Sprintf("%d resolved", n)
	})
}
