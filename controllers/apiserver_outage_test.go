package controllers

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// apiServerOutage is how long the API server is away in the outage test.
const apiServerOutage = 20 * time.Second

// TestAPIServerOutageLosesNoAlertAndRepeatsNoEvent runs a manager against
// its own control plane, with three alerts firing, stops the kube-apiserver
// for 20 s and starts it again. While it is away the host keeps being
// polled and one container falls idle, so its alert resolves during the
// outage. Afterwards the other two are still Firing in status, no
// ThresholdExceeded was sent twice, and the one resolution arrived exactly
// once. (Its own control plane: restarting the shared one would cut every
// other test's connection.)
func TestAPIServerOutageLosesNoAlertAndRepeatsNoEvent(t *testing.T) {
	env, envCfg, c := startRestartableControlPlane(t)
	ctx := context.Background()

	var polls atomic.Int64
	var calmed atomic.Bool // set while the API server is away
	busy := busySnapshot(3)
	startManagerAs(t, envCfg, Scope{}, snapshotDialer(func() *docker.Snapshot {
		polls.Add(1)
		snap := busy()
		if calmed.Load() {
			idle := 1.0
			snap.Containers[0].Usage = statsUsage(&idle, 1<<20)
		}
		return snap
	}))
	key := createBusyHost(t, c, "outage", "through-outage")
	read := func() (*dockwatchv1.DockerHost, []corev1.Event) { return hostAndEvents(ctx, c, key) }
	count := func(events []corev1.Event, reason string) int { return countEvents(events, key.Name, reason) }
	waitFor(t, readyWithin, "3 alerts firing and their 3 events", func() (bool, string) {
		got, events := read()
		return got.Status.Summary != nil && got.Status.Summary.AlertsFiring == 3 &&
			count(events, dockwatchv1.EventThresholdExceeded) == 3, describe(got)
	})

	pollsBefore := polls.Load()
	back := apiServerAway(t, env, apiServerOutage, func() { calmed.Store(true) })
	if during := polls.Load() - pollsBefore; during < 2 {
		t.Errorf("%d polls while the API server was away, want polling to go on (at least 2 in %s)", during, apiServerOutage)
	} else {
		t.Logf("%d polls while the API server was away", during)
	}

	var after *dockwatchv1.DockerHost
	var events []corev1.Event
	waitFor(t, 60*time.Second, "two polls recorded and the resolution sent after the API server came back", func() (bool, string) {
		after, events = read()
		return after.Status.LastPollTime != nil && after.Status.LastPollTime.After(back.Add(5*time.Second)) &&
			count(events, dockwatchv1.EventThresholdResolved) > 0, describe(after)
	})
	time.Sleep(5 * time.Second) // room for a repeat to show
	after, events = read()
	firing := 0
	for _, a := range after.Status.Alerts {
		if a.State == dockwatchv1.AlertFiring {
			firing++
		}
	}
	if firing != 2 || !meta.IsStatusConditionTrue(after.Status.Conditions, dockwatchv1.ConditionThresholdsBreached) {
		t.Errorf("after the outage %d alerts Firing in status (%s), want the 2 still busy", firing, describe(after))
	}
	if n, r := count(events, dockwatchv1.EventThresholdExceeded), count(events, dockwatchv1.EventThresholdResolved); n != 3 || r != 1 {
		t.Errorf("after the outage: %d ThresholdExceeded (want the first 3, none repeated), %d ThresholdResolved (want exactly 1, the container idle since the outage)", n, r)
	}
}

// startRestartableControlPlane starts a control plane of the test's own,
// whose kube-apiserver can be stopped and started again, and a client of it.
func startRestartableControlPlane(t *testing.T) (*envtest.Environment, *rest.Config, client.Client) {
	t.Helper()
	requireControlPlane(t)
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: testEnv.BinaryAssetsDirectory,
		// A directory of our own keeps the serving certificates across the
		// restart; a generated one is replaced, and clients would not trust it.
		// A short stop timeout has it killed rather than drained: it goes
		// away as a crashed or partitioned API server does.
		ControlPlane: envtest.ControlPlane{APIServer: &envtest.APIServer{CertDir: t.TempDir(), StopTimeout: 2 * time.Second}},
	}
	envCfg, err := env.Start()
	if err != nil {
		t.Fatalf("start a second control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(envCfg, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	return env, envCfg, c
}

// createBusyHost creates namespace ns and in it a host name whose rule
// fires on any container above 50% CPU.
func createBusyHost(t *testing.T, c client.Client, ns, name string) client.ObjectKey {
	t.Helper()
	host := &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{Endpoint: "tcp://127.0.0.1:1", AllowPlaintext: true, Interval: dur(pollEvery),
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "busy", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(50)}}},
	}
	for _, obj := range []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, host} {
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	return client.ObjectKeyFromObject(host)
}

// apiServerAway stops env's kube-apiserver, calls meanwhile, waits for d
// and starts it again; it returns when it is back.
func apiServerAway(t *testing.T, env *envtest.Environment, d time.Duration, meanwhile func()) time.Time {
	t.Helper()
	// Stop reports the kill that follows its short timeout as an error.
	if err := env.ControlPlane.APIServer.Stop(); err != nil && !strings.Contains(err.Error(), "timeout waiting") {
		t.Fatalf("stop kube-apiserver: %v", err)
	}
	meanwhile()
	time.Sleep(d)
	if err := env.ControlPlane.APIServer.Start(); err != nil {
		t.Fatalf("start kube-apiserver again: %v", err)
	}
	return time.Now()
}

// hostAndEvents reads the host and the events of its namespace; a failed
// read gives an empty host and no events.
func hostAndEvents(ctx context.Context, c client.Client, key client.ObjectKey) (*dockwatchv1.DockerHost, []corev1.Event) {
	got := &dockwatchv1.DockerHost{}
	var events corev1.EventList
	if err := c.Get(ctx, key, got); err != nil {
		return got, nil
	}
	_ = c.List(ctx, &events, client.InNamespace(key.Namespace))
	return got, events.Items
}

// countEvents counts the events of reason about the host named name.
func countEvents(events []corev1.Event, name, reason string) int {
	n := 0
	for _, e := range events {
		if e.Reason == reason && e.InvolvedObject.Name == name {
			n++
		}
	}
	return n
}
