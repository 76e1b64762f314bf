package controllers

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestBigHostStaysSmallAndDoesNotHotLoop watches a (fake) host with 5,000
// containers, every one breaching a rule, for a minute. The DockerHost must
// stay under 64 KiB, and the controller must poll on its interval, not in a
// loop driven by its own status patches.
func TestBigHostStaysSmallAndDoesNotHotLoop(t *testing.T) {
	requireControlPlane(t)
	fake := dockertest.NewFakeAPI(t, "svc", 5000)
	ns := newNamespace(t)
	mgr := startManager(t, Scope{})
	interval := 10 * time.Second
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "huge", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: fake.Host, AllowPlaintext: true, Interval: &metav1.Duration{Duration: interval},
			MaxContainersInStatus: 100,
			Thresholds: []dockwatchv1.ThresholdRule{
				{Name: "any-cpu", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(1)},
				{Name: "any-memory", Metric: dockwatchv1.MetricMemoryBytes, Above: intstr.FromInt32(1)},
			},
		},
	})
	start := time.Now()
	before := mgr.reconciles.Load()
	waitFor(t, 2*interval+10*time.Second, "alerts firing on 5,000 containers", func() (bool, string) {
		host := getHost(t, key)
		return host.Status.Summary != nil && host.Status.Summary.AlertsFiring == 10000, describe(host)
	})

	time.Sleep(time.Minute - time.Since(start))
	elapsed := time.Since(start)
	reconciles := mgr.reconciles.Load() - before
	// One reconcile per interval (jitter stretches it by up to 5%), plus the
	// initial create; a hot loop would show hundreds.
	if maxWant := int64(elapsed/interval) + 2; reconciles > maxWant || reconciles < int64(elapsed/interval)-2 {
		t.Errorf("%d reconciles in %s with a %s interval, want about %d", reconciles, elapsed.Round(time.Second), interval, elapsed/interval)
	}

	host := getHost(t, key)
	raw, err := json.Marshal(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("5,000 containers: DockerHost is %d bytes; %d reconciles in %s; %d containers and %d alerts listed, %d/%d omitted",
		len(raw), reconciles, elapsed.Round(time.Second), len(host.Status.Containers), len(host.Status.Alerts),
		host.Status.ContainersOmitted, host.Status.AlertsOmitted)
	if len(raw) >= 64<<10 {
		t.Errorf("DockerHost is %d bytes with 5,000 containers, want < 64 KiB", len(raw))
	}
	if host.Status.Summary.ContainersWatched != 5000 || host.Status.ContainersOmitted != 4900 {
		t.Errorf("watched %d, omitted %d; want 5000 and 4900", host.Status.Summary.ContainersWatched, host.Status.ContainersOmitted)
	}
}
