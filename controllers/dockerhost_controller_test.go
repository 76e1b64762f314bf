package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// These tests drive the controller the way a user does: a real API server,
// real Docker daemons started by the harness, objects applied with kubectl,
// and status and events read back from the API server.

const (
	pollEvery   = "5s"
	readyWithin = 45 * time.Second
)

// burnerScript burns one core until /tmp/stop exists, then idles: a
// container whose load the test can switch off without stopping it.
const burnerScript = "while [ ! -f /tmp/stop ]; do :; done; while :; do sleep 3600; done"

// runBurner starts a container running burnerScript and returns its ID.
func runBurner(t *testing.T, d *dockertest.Daemon, name string) string {
	t.Helper()
	return d.Docker(t, "run", "-d", "--name", name, "--network", "none", d.Image(t), "sh", "-c", burnerScript)
}

// stopBurning makes a burner idle.
func stopBurning(t *testing.T, d *dockertest.Daemon, name string) {
	t.Helper()
	d.Docker(t, "exec", name, "touch", "/tmp/stop")
}

func TestTLSHostFromDockerMachineSecretBecomesReady(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{TLS: true})
	daemon.RunBusy(t, "busy")
	daemon.RunIdle(t, "capped", "-m", "64m")
	ns := newNamespace(t)
	createSecretFromDir(t, ns, "docker-machine-test", daemon.CertDir)
	mgr := startManager(t, Scope{})

	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "tls-host", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: daemon.Host,
			TLS:      &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "docker-machine-test"}},
			Interval: dur(pollEvery),
		},
	})
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyWithin)

	// The first poll has no CPU figure yet; wait for the second.
	var busy, capped *dockwatchv1.ContainerUsage
	waitFor(t, 30*time.Second, "CPU figures for both containers", func() (bool, string) {
		host := getHost(t, key)
		busy, capped = findContainer(host, "busy"), findContainer(host, "capped")
		return busy != nil && busy.CPUPercent != nil && capped != nil, describe(host)
	})
	host := getHost(t, key)
	if host.Status.Summary.ContainersWatched != 2 || host.Status.Summary.ContainersRunning != 2 {
		t.Errorf("summary counts = %d watched / %d running, want 2/2", host.Status.Summary.ContainersWatched, host.Status.Summary.ContainersRunning)
	}
	if *busy.CPUPercent < 60 || *busy.CPUPercent > 130 {
		t.Errorf("busy container CPU = %.1f%%, want about 100%%", *busy.CPUPercent)
	}
	if capped.MemoryLimitBytes != 64<<20 {
		t.Errorf("capped container memory limit = %d, want %d (64 MiB)", capped.MemoryLimitBytes, 64<<20)
	}
	if host.Status.Daemon == nil || host.Status.Daemon.APIVersion == "" || host.Status.ObservedGeneration != host.Generation {
		t.Errorf("daemon info or observedGeneration missing: %+v gen %d/%d", host.Status.Daemon, host.Status.ObservedGeneration, host.Generation)
	}
	out, err := kubectl(t, "get", "dockerhosts", "-n", ns)
	if err != nil || !strings.Contains(out, "True") || !strings.Contains(out, daemon.Host) {
		t.Errorf("kubectl get dockerhosts does not show a Ready host:\n%s (%v)", out, err)
	}
	t.Logf("kubectl get dockerhosts:\n%s", out)

	// The same figures reach Prometheus, labelled by host and container.
	if v, ok := gaugeValue(t, mgr, "dockwatch_container_cpu_percent", "busy"); !ok || v < 60 {
		t.Errorf("dockwatch_container_cpu_percent{container=busy} = %v (present %v), want about 100", v, ok)
	}
	if v, ok := gaugeValue(t, mgr, "dockwatch_container_memory_bytes", "capped"); !ok || v <= 0 {
		t.Errorf("dockwatch_container_memory_bytes{container=capped} = %v (present %v)", v, ok)
	}
	if v, ok := gaugeValue(t, mgr, "dockwatch_host_up", ""); !ok || v != 1 {
		t.Errorf("dockwatch_host_up = %v (present %v), want 1", v, ok)
	}
}

// gaugeValue reads a gauge from the manager's registry, for the series of a
// container ("" for a host-level series: any series of the gauge).
func gaugeValue(t *testing.T, mgr *runningManager, name, container string) (float64, bool) {
	t.Helper()
	if container == "" {
		return labelledGauge(t, mgr, name, "", "")
	}
	return labelledGauge(t, mgr, name, "container", container)
}

func TestThresholdFiresOnceAfterForAndResolves(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	mgr := startManager(t, Scope{})
	runBurner(t, daemon, "burner")
	daemon.RunIdle(t, "quiet")

	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "alerting", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: daemon.Host, Interval: dur(pollEvery),
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "high-cpu", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(50), For: dur("10s")}},
		},
	})

	// Pending first: no event while the breach is younger than `for`.
	var pendingSince time.Time
	waitFor(t, readyWithin, "a Pending alert", func() (bool, string) {
		host := getHost(t, key)
		for _, a := range host.Status.Alerts {
			if a.State == dockwatchv1.AlertPending && a.Container == "burner" {
				pendingSince = a.Since.Time
				return true, ""
			}
		}
		return false, describe(host)
	})
	if n := len(eventsFor(t, key, dockwatchv1.EventThresholdExceeded)); n != 0 {
		t.Fatalf("%d ThresholdExceeded events while still pending", n)
	}
	var fired corev1.Event
	waitFor(t, 40*time.Second, "a ThresholdExceeded event", func() (bool, string) {
		events := eventsFor(t, key, dockwatchv1.EventThresholdExceeded)
		if len(events) > 0 {
			fired = events[0]
		}
		return len(events) > 0, describe(getHost(t, key))
	})
	if held := fired.FirstTimestamp.Sub(pendingSince); held < 9*time.Second {
		t.Errorf("alert fired %s after the breach began, want at least the rule's 10s", held)
	}
	assertAlertEvent(t, fired, "burner", "high-cpu")

	// A restarted controller rebuilds alert state from status and does not fire again.
	mgr.stop()
	startManager(t, Scope{})
	time.Sleep(12 * time.Second)
	if n := len(eventsFor(t, key, dockwatchv1.EventThresholdExceeded)); n != 1 {
		t.Fatalf("want exactly 1 ThresholdExceeded event across a controller restart, got %d", n)
	}

	stopBurning(t, daemon, "burner")
	waitFor(t, 40*time.Second, "a ThresholdResolved event", func() (bool, string) {
		return len(eventsFor(t, key, dockwatchv1.EventThresholdResolved)) == 1, describe(getHost(t, key))
	})
	waitCondition(t, key, dockwatchv1.ConditionThresholdsBreached, metav1.ConditionFalse, dockwatchv1.ReasonWithinThresholds, 15*time.Second)
}

func TestEachBreachingContainerGetsItsOwnEvent(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	startManager(t, Scope{})
	daemon.RunBusy(t, "hot-a")
	daemon.RunBusy(t, "hot-b")

	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "two-hot", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: daemon.Host, Interval: dur(pollEvery),
			// On two cores two burners may each get a little less than one.
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "busy", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(30)}},
		},
	})
	waitFor(t, 45*time.Second, "two ThresholdExceeded events", func() (bool, string) {
		return len(eventsFor(t, key, dockwatchv1.EventThresholdExceeded)) >= 2, describe(getHost(t, key))
	})
	seen := map[string]bool{}
	for _, e := range eventsFor(t, key, dockwatchv1.EventThresholdExceeded) {
		seen[e.Annotations[dockwatchv1.AnnotationContainer]] = true
	}
	if !seen["hot-a"] || !seen["hot-b"] {
		t.Fatalf("want one event per container (hot-a, hot-b), got %v", seen)
	}
}

func TestDaemonLossAndRecoveryEmitOneEventEach(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	daemon.RunIdle(t, "survivor")
	ns := newNamespace(t)
	startManager(t, Scope{})
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "flaky", Namespace: ns},
		Spec:       dockwatchv1.DockerHostSpec{Endpoint: daemon.Host, Interval: dur(pollEvery), Timeout: dur("2s")},
	})
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)

	daemon.Stop(t)
	waitCondition(t, key, dockwatchv1.ConditionReachable, metav1.ConditionFalse, dockwatchv1.ReasonDaemonUnreachable, 30*time.Second)
	host := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonDaemonUnreachable, 5*time.Second)
	// Let several failed polls pass: a host that stays down must not repeat its event.
	time.Sleep(8 * time.Second)
	if n := len(eventsFor(t, key, dockwatchv1.ReasonDaemonUnreachable)); n != 1 {
		t.Fatalf("want 1 DaemonUnreachable event while the daemon stays down, got %d (%s)", n, describe(host))
	}

	daemon.Restart(t)
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", 30*time.Second)
	if n := len(eventsFor(t, key, dockwatchv1.ReasonDaemonReachable)); n != 1 {
		t.Fatalf("want 1 DaemonReachable event after recovery, got %d", n)
	}
}

func TestRotatedCertificatesTakeEffectWithoutRestart(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{TLS: true})
	ns := newNamespace(t)
	createSecretFromDir(t, ns, "machine-certs", daemon.CertDir)
	startManager(t, Scope{})
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "rotating", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{Endpoint: daemon.Host, Interval: dur(pollEvery),
			TLS: &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "machine-certs"}}},
	})
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)

	// The daemon moves to a new CA: the old client certificate no longer works.
	rotated := dockertest.NewCerts(t, dockertest.CertOptions{})
	daemon.Restart(t, dockertest.WithCerts(rotated))
	// A certificate the daemon rejects is a TLS problem, not a daemon that is down.
	host := waitCondition(t, key, dockwatchv1.ConditionReachable, metav1.ConditionFalse, dockwatchv1.ReasonTLSVerificationFailed, 30*time.Second)
	t.Logf("with the old certificates: %s", describe(host))

	secret := &corev1.Secret{}
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "machine-certs"}, secret); err != nil {
		t.Fatal(err)
	}
	// The new material arrives in the kubernetes.io/tls layout (as
	// cert-manager writes it), so the second accepted layout is proven on a
	// real daemon too.
	secret.Data = map[string][]byte{"ca.crt": rotated.CAPEM, "tls.crt": rotated.CertPEM, "tls.key": rotated.KeyPEM}
	if err := k8sClient.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", 30*time.Second)
}

func TestBadSecretKeyIsNamedInCondition(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	startManager(t, Scope{})
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: ns},
		Data:       map[string][]byte{"ca.pem": []byte("not pem"), "cert.pem": []byte("x"), "key.pem": []byte("y")},
	}
	if err := k8sClient.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "misconfigured", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{Endpoint: "tcp://127.0.0.1:1", Interval: dur(pollEvery),
			TLS: &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "broken"}}},
	})
	host := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonTLSConfigError, readyWithin)
	msg := condition(host, dockwatchv1.ConditionReady).Message
	if !strings.Contains(msg, "ca.pem") || !strings.Contains(msg, ns+"/broken") {
		t.Fatalf("condition does not name the Secret and key: %q", msg)
	}
	waitFor(t, 10*time.Second, "a TLSConfigError event", func() (bool, string) {
		return len(eventsFor(t, key, dockwatchv1.ReasonTLSConfigError)) == 1, describe(getHost(t, key))
	})
	// A missing Secret is reported by name, and fixed by creating it.
	host.Spec.TLS.SecretRef.Name = "not-there-yet"
	if err := k8sClient.Update(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the missing Secret named in Ready", func() (bool, string) {
		host = getHost(t, key)
		msg := condition(host, dockwatchv1.ConditionReady).Message
		return strings.Contains(msg, "not-there-yet") && strings.Contains(msg, "not found"), msg
	})
	// Creating the Secret is enough: the watch on Secrets retries the host,
	// which now gets as far as dialling (nothing listens on port 1).
	certs := dockertest.NewCerts(t, dockertest.CertOptions{})
	createSecretFromDir(t, ns, "not-there-yet", certs.Dir)
	waitCondition(t, key, dockwatchv1.ConditionReachable, metav1.ConditionFalse, dockwatchv1.ReasonDaemonUnreachable, 15*time.Second)
}

func TestSuspendedHostIsNotPolled(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	startManager(t, Scope{})
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "paused", Namespace: ns},
		Spec:       dockwatchv1.DockerHostSpec{Endpoint: daemon.Host, Interval: dur(pollEvery), Suspend: true},
	})
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonSuspended, readyWithin)
	time.Sleep(7 * time.Second)
	if host := getHost(t, key); host.Status.LastPollTime != nil || host.Status.Daemon != nil {
		t.Fatalf("a suspended host was polled: %s", describe(host))
	}
}

// condition returns the host's condition of a type, or an empty one.
func condition(host *dockwatchv1.DockerHost, condType string) metav1.Condition {
	for _, c := range host.Status.Conditions {
		if c.Type == condType {
			return c
		}
	}
	return metav1.Condition{}
}

func findContainer(host *dockwatchv1.DockerHost, name string) *dockwatchv1.ContainerUsage {
	for i := range host.Status.Containers {
		if host.Status.Containers[i].Name == name {
			return &host.Status.Containers[i]
		}
	}
	return nil
}

// assertAlertEvent checks an alert event carries what routers match on.
func assertAlertEvent(t *testing.T, e corev1.Event, container, rule string) {
	t.Helper()
	if e.Type != corev1.EventTypeWarning || e.Annotations[dockwatchv1.AnnotationContainer] != container ||
		e.Annotations[dockwatchv1.AnnotationRule] != rule || e.Annotations[dockwatchv1.AnnotationValue] == "" {
		t.Errorf("event lacks type or annotations: %s %v", e.Type, e.Annotations)
	}
	for _, want := range []string{container, rule, "above"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("event message %q does not mention %q", e.Message, want)
		}
	}
}

// TestContainerLabelsTuneRules: a container labelled dockwatch.io/ignore is
// exempt, one labelled dockwatch.io/threshold.<rule> gets its own level, and
// an unlabelled one breaching the same rule fires, all on one real daemon.
func TestContainerLabelsTuneRules(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	startManager(t, Scope{})
	daemon.RunBusy(t, "plain")
	daemon.RunBusy(t, "ignored", "--label", dockwatchv1.LabelIgnore+"=true")
	daemon.RunBusy(t, "tolerant", "--label", dockwatchv1.LabelThresholdPrefix+"busy=500")

	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "labelled", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: daemon.Host, Interval: dur(pollEvery),
			// Three burners share two cores: each gets well over 20%.
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "busy", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(20)}},
		},
	})
	waitFor(t, 45*time.Second, "the unlabelled container's ThresholdExceeded", func() (bool, string) {
		return len(eventsFor(t, key, dockwatchv1.EventThresholdExceeded)) > 0, describe(getHost(t, key))
	})
	time.Sleep(2 * 5 * time.Second) // two more polls in which the others could fire
	events := eventsFor(t, key, dockwatchv1.EventThresholdExceeded)
	if len(events) != 1 || events[0].Annotations[dockwatchv1.AnnotationContainer] != "plain" {
		var who []string
		for _, e := range events {
			who = append(who, e.Annotations[dockwatchv1.AnnotationContainer])
		}
		t.Fatalf("ThresholdExceeded for %v, want only [plain] (ignored and tolerant are labelled out)", who)
	}
	host := getHost(t, key)
	if len(host.Status.Alerts) != 1 || host.Status.Alerts[0].Container != "plain" || host.Status.Alerts[0].Threshold != 20 {
		t.Errorf("status alerts = %+v, want one for plain at threshold 20", host.Status.Alerts)
	}
}
