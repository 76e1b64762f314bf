package controllers

import (
	"context"
	"os"
	"path/filepath"
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

// readCertDir returns a docker-machine folder's three files.
func readCertDir(t *testing.T, dir string) (ca, cert, key []byte) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return read("ca.pem"), read("cert.pem"), read("key.pem")
}

// TestTLSMistakesHaveReasonsOfTheirOwn proves, on a real --tlsverify
// daemon: a Secret with wrong key names is TLSConfigError naming the
// Secret, its keys and the keys expected, and fixing it brings a Normal
// ConfigurationFixed event and Ready; a CA the daemon's certificate is not
// signed by is TLSVerificationFailed; a pinned API version the daemon
// refuses is APIVersionMismatch. None of them is DaemonUnreachable.
func TestTLSMistakesHaveReasonsOfTheirOwn(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{TLS: true})
	ns := newNamespace(t)
	startManager(t, Scope{})
	ca, cert, key := readCertDir(t, daemon.CertDir)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "wrong-keys", Namespace: ns},
		Data: map[string][]byte{"ca.crt": ca, "client.pem": cert, "client-key.pem": key}}
	if err := k8sClient.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	tlsHost := func(name, secretName, apiVersion string) client.ObjectKey {
		return applyHost(t, &dockwatchv1.DockerHost{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: dockwatchv1.DockerHostSpec{Endpoint: daemon.Host, Interval: dur(pollEvery), APIVersion: apiVersion,
				TLS: &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: secretName}}},
		})
	}
	wrong := tlsHost("wrong-keys", "wrong-keys", "")
	host := waitCondition(t, wrong, dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonTLSConfigError, readyWithin)
	want := "Secret " + ns + "/wrong-keys has keys ca.crt, client-key.pem, client.pem, but dockwatch reads ca.pem, cert.pem, key.pem (docker-machine) or ca.crt, tls.crt, tls.key (kubernetes.io/tls)"
	if msg := condition(host, dockwatchv1.ConditionReady).Message; !strings.Contains(msg, want) {
		t.Errorf("Ready says %q, want %q", msg, want)
	}

	foreign := dockertest.WrongCACerts(t)
	createSecretFromDir(t, ns, "foreign-ca", foreign.Dir)
	host = waitCondition(t, tlsHost("foreign-ca", "foreign-ca", ""), dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonTLSVerificationFailed, readyWithin)
	if msg := condition(host, dockwatchv1.ConditionReady).Message; !strings.Contains(msg, "signed by unknown authority") || !strings.Contains(msg, "Secret "+ns+"/foreign-ca") {
		t.Errorf("TLSVerificationFailed says %q, want the cause and the Secret to fix", msg)
	}

	createSecretFromDir(t, ns, "good", daemon.CertDir)
	pinned := tlsHost("too-new", "good", "1.99")
	host = waitCondition(t, pinned, dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonAPIVersionMismatch, readyWithin)
	if msg := condition(host, dockwatchv1.ConditionReady).Message; !strings.Contains(msg, "1.99") || !strings.Contains(msg, "spec.apiVersion") {
		t.Errorf("APIVersionMismatch says %q, want the pinned version and spec.apiVersion", msg)
	}
	if c := condition(host, dockwatchv1.ConditionReachable); c.Status != metav1.ConditionTrue {
		t.Errorf("Reachable = %s (%s); the daemon answered", c.Status, c.Message)
	}

	// Fix the key names: Ready, and a Normal event saying so.
	secret.Data = map[string][]byte{"ca.pem": ca, "cert.pem": cert, "key.pem": key}
	if err := k8sClient.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, wrong, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, 30*time.Second)
	waitFor(t, 10*time.Second, "a ConfigurationFixed event", func() (bool, string) {
		events := eventsFor(t, wrong, dockwatchv1.ReasonConfigurationFixed)
		return len(events) == 1 && events[0].Type == corev1.EventTypeNormal, describe(getHost(t, wrong))
	})
	for _, k := range []client.ObjectKey{wrong, pinned} {
		if n := len(eventsFor(t, k, dockwatchv1.ReasonDaemonUnreachable)); n != 0 {
			t.Errorf("%s: %d DaemonUnreachable events for a misconfiguration", k.Name, n)
		}
	}
}

// TestFirstStatusAndResolvedEventsTellTheTruth proves on a real daemon:
// the first status after apply has no host CPU figure (or a true one), never
// 0 for busy containers (thresholds are low: the test machine is shared); an alert that clears says it dropped below
// clearBelow and annotates that level; one whose container goes away says
// the container is gone.
func TestFirstStatusAndResolvedEventsTellTheTruth(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	startManager(t, Scope{})
	runBurner(t, daemon, "cools-down")
	runBurner(t, daemon, "goes-away")
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "truthful", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{Endpoint: daemon.Host, Interval: dur(pollEvery),
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "hot", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(5), ClearBelow: ptr(intstr.FromInt32(2))}}},
	})
	host := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyWithin)
	if s := host.Status.Summary; s.CPUPercent != nil && *s.CPUPercent < 5 || s.CPUPercent == nil && s.CPU != "-" {
		t.Errorf("first status shows CPU %s (%v) for two busy containers; want no figure (-) or a true one", s.CPU, s.CPUPercent)
	}

	waitFor(t, 40*time.Second, "two ThresholdExceeded events", func() (bool, string) {
		return len(eventsFor(t, key, dockwatchv1.EventThresholdExceeded)) == 2, describe(getHost(t, key))
	})
	stopBurning(t, daemon, "cools-down")
	daemon.Docker(t, "rm", "-f", "goes-away")
	var resolved []corev1.Event
	waitFor(t, 40*time.Second, "two ThresholdResolved events", func() (bool, string) {
		resolved = eventsFor(t, key, dockwatchv1.EventThresholdResolved)
		return len(resolved) == 2, describe(getHost(t, key))
	})
	for _, e := range resolved {
		container := e.Annotations[dockwatchv1.AnnotationContainer]
		if e.Annotations[dockwatchv1.AnnotationThreshold] != "2" || e.Annotations[dockwatchv1.AnnotationClearBelow] != "2" ||
			e.Annotations[dockwatchv1.AnnotationReason] != dockwatchv1.EventThresholdResolved {
			t.Errorf("%s: annotations %v, want threshold and clear-below 2, reason ThresholdResolved", container, e.Annotations)
		}
		want := map[string]string{
			"cools-down": "cpuPercent dropped to ",
			"goes-away":  "Container goes-away on " + daemon.Host + " is gone or no longer watched: alert hot (cpuPercent above 5; last ",
		}[container]
		if !strings.Contains(e.Message, want) || container == "cools-down" && !strings.Contains(e.Message, "at or below clearBelow 2 (rule hot fired above 5)") {
			t.Errorf("%s: ThresholdResolved says %q, want %q", container, e.Message, want)
		}
		t.Logf("%s: %s", container, e.Message)
	}
}
