package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/stats"
)

// snapshotDialer dials HostClients whose every poll returns what snapshot
// gives: for daemons whose answers no real dockerd would send.
func snapshotDialer(snapshot func() *docker.Snapshot) Dialer {
	return func(docker.Config) (HostClient, error) {
		return snapshotFunc(func(context.Context) (*docker.Snapshot, error) { return snapshot(), nil }), nil
	}
}

// TestMegabyteDaemonStringsStillPatchStatus has a daemon describe itself and
// its containers with megabyte strings: the host still becomes Ready, its
// status holds the cut strings with their marker, and the CRD's maxLength
// accepts them.
func TestMegabyteDaemonStringsStillPatchStatus(t *testing.T) {
	requireControlPlane(t)
	huge := strings.Repeat("m", 1<<20)
	dial := snapshotDialer(func() *docker.Snapshot {
		cpu := 99.0
		return &docker.Snapshot{
			Daemon:  docker.DaemonInfo{Version: huge, APIVersion: huge, OS: huge, KernelVersion: huge, NCPU: 4, MemTotalBytes: 8 << 30},
			Running: 1,
			Containers: []docker.ContainerStats{{ID: huge, Name: huge, Image: huge, State: "running",
				Usage: statsUsage(&cpu, 10<<20)}},
		}
	})
	ns := newNamespace(t)
	startManagerAs(t, cfg, Scope{}, dial)
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "megabytes", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{Endpoint: "tcp://127.0.0.1:1", AllowPlaintext: true, Interval: dur(pollEvery),
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "busy", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(50)}}},
	})
	host := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)
	waitFor(t, 20*time.Second, "the alert on the megabyte-named container in status", func() (bool, string) {
		host = getHost(t, key)
		return len(host.Status.Alerts) == 1, describe(host)
	})
	d := host.Status.Daemon
	for field, got := range map[string]string{"version": d.Version, "kernelVersion": d.KernelVersion,
		"container name": host.Status.Containers[0].Name, "image": host.Status.Containers[0].Image,
		"alert container": host.Status.Alerts[0].Container} {
		if len(got) > maxImageLength || !strings.Contains(got, "…(truncated") {
			t.Errorf("status %s is %d bytes without the truncation marker", field, len(got))
		}
	}
	if events := eventsFor(t, key, dockwatchv1.EventThresholdExceeded); len(events) != 1 {
		t.Errorf("want the megabyte-named container's alert as 1 event, got %d", len(events))
	}
}

// statsUsage is a container's figures for a fake snapshot.
func statsUsage(cpu *float64, memory uint64) stats.Usage {
	return stats.Usage{CPUPercent: cpu, MemoryUsageBytes: memory, MemoryLimitBytes: 1 << 30, PIDs: 1}
}
